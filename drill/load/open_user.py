"""An open-model Locust user: requests leave on the arrival schedule, not when earlier ones finish.

One instance per Locust process walks this process's share of the schedule,
launching each request in its own greenlet at its intended time.  Latency runs
from the *intended* time to the end of the body, so a stalled server shows up in
the numbers instead of silently slowing the generator (coordinated omission).

Imports gevent/Locust: only the locustfile may import this module.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field

import gevent
from gevent.pool import Group
from locust import User, constant, task
from locust.env import Environment
from locust.exception import StopUser
from locust.runners import WorkerRunner

from gateway.core.call_key import REQUEST_ID_HEADER
from reports.records import OK, RequestRecord
from workload import outcome
from workload.chat_outcome import chat_answered
from workload.deadline import client_timeout
from workload.prompts import Prompt, choose_prompt, load_prompts
from workload.schedule import arrivals

from .chat import chat_body
from .config import DRAIN_SLACK_S, STOP_POLL_S, LoadConfig, load_config
from .http import ClientPool, RequestFailed
from .recorder import RecordSink

__all__ = ["DONE_MESSAGE", "OpenModelUser", "install_hooks", "load_process_setup"]

DONE_MESSAGE = "llmdrill_load_done"

_log = logging.getLogger("llmdrill.load")


@dataclass(slots=True)
class _Process:
    """What one Locust process knows: its config, and whether its schedule was already walked."""

    config: LoadConfig | None = None
    prompts: tuple[Prompt, ...] = ()
    walked: bool = False
    finished: bool = False
    done_reports: int = 0
    sinks: list[RecordSink] = field(default_factory=list)


_PROCESS = _Process()


def load_process_setup(config_path: str) -> None:
    """Read the config and prompts once per process; raises ConfigError/PromptsError."""
    config = load_config(config_path)
    _PROCESS.config = config
    _PROCESS.prompts = load_prompts(config.prompts_path)


def _now() -> float:
    return time.monotonic()


def _stop_requested(path: str | None) -> float | None:
    """The run second from which no request leaves, once the stop file exists (else None)."""
    if path is None or not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return float(f.read().strip())
    except (OSError, ValueError):
        return None   # written by rename, so a partial read means "not yet": the next poll sees it


class OpenModelUser(User):
    wait_time = constant(0)

    def on_start(self) -> None:
        self._group = Group()
        self._sink: RecordSink | None = None
        self._pool: ClientPool | None = None

    @task
    def walk_schedule(self) -> None:
        # Locust may hand this process a second user (e.g. when a worker leaves):
        # the schedule is walked once per process, never twice.
        if _PROCESS.walked or _PROCESS.config is None:
            raise StopUser()
        _PROCESS.walked = True
        cfg = _PROCESS.config
        epoch = cfg.epoch_monotonic if cfg.epoch_monotonic is not None else _now()
        if _now() > epoch + 0.5:
            _log.warning("load started %.2f s after t=0; early requests carry that lag", _now() - epoch)
        self._pool = ClientPool(self.host or "")
        self._sink = sink = RecordSink(cfg.records_path)
        _PROCESS.sinks.append(sink)
        stop_at: float | None = None
        for arrival in arrivals(cfg.stages, cfg.seed, cfg.arrival, cfg.worker_index, cfg.worker_count):
            while (delay := epoch + arrival.t_s - _now()) > 0:
                gevent.sleep(min(delay, STOP_POLL_S) if cfg.stop_file else delay)
                stop_at = stop_at if stop_at is not None else _stop_requested(cfg.stop_file)
                if stop_at is not None and arrival.t_s >= stop_at:
                    break
            if stop_at is None:
                stop_at = _stop_requested(cfg.stop_file)
            if stop_at is not None and arrival.t_s >= stop_at:
                _log.info("stop requested from run second %.3f: no new request; awaiting those in flight",
                          stop_at)
                break
            prompt = choose_prompt(_PROCESS.prompts, cfg.seed, arrival.id)
            sink.begin(arrival.id, arrival.t_s, prompt.id)
            self._group.spawn(self._one, cfg, epoch, arrival.id, arrival.t_s, prompt)
        self._group.join(timeout=cfg.client_timeout_s + DRAIN_SLACK_S)
        self._finish()
        _PROCESS.finished = True
        self.environment.runner.send_message(DONE_MESSAGE, {"worker": cfg.worker_index})
        raise StopUser()

    def _one(self, cfg: LoadConfig, epoch: float, rid: int, intended_s: float, prompt: Prompt) -> None:
        sink, pool = self._sink, self._pool
        assert sink is not None and pool is not None
        chat = cfg.endpoint == "chat"
        payload = chat_body(prompt, cfg.model) if chat else prompt.body()
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        sent_s = _now() - epoch
        sink.mark_sent(rid, sent_s)
        try:
            # the arrival id goes with the request: the gateway tags its calls with it (calls.jsonl) and keys
            # their fates by it, as the twin does for the same arrival
            answer = pool.post_json(cfg.path, body, client_timeout(cfg.client_timeout_s, intended_s, sent_s),
                                    {**cfg.headers, REQUEST_ID_HEADER: str(rid)})
        except RequestFailed as exc:
            latency = _now() - epoch - intended_s
            record = outcome.failed(rid, intended_s, sent_s, latency, exc.error, prompt.id)
            self._report(record, 0, exc)
            sink.complete(record)
            return
        latency = _now() - epoch - intended_s
        if chat:
            seen = answer.headers if cfg.gateway_headers else {}
            record = chat_answered(rid, intended_s, sent_s, latency, answer.status, answer.body, seen,
                                   prompt.id, prompt.gold)
        else:
            record = outcome.answered(
                rid, intended_s, sent_s, latency, answer.status, answer.body, prompt.id, prompt.gold
            )
        self._report(record, len(answer.body), None if record.outcome == OK else Exception(record.error))
        sink.complete(record)

    def _report(self, record: RequestRecord, length: int, exc: BaseException | None) -> None:
        # Locust's own stats still show the traffic, timed from the intended send
        self.environment.events.request.fire(
            request_type="POST",
            name=_PROCESS.config.path if _PROCESS.config else "",
            response_time=(record.latency_s or 0.0) * 1000.0,
            response_length=length,
            exception=exc,
            context={"request_id": record.id},
        )

    def _finish(self) -> None:
        # whatever has not answered by now is LOST: kill it first so it cannot write
        self._group.kill(block=True, timeout=5)
        if self._sink is not None:
            self._sink.close()
        if self._pool is not None:
            self._pool.close()

    def on_stop(self) -> None:
        self._finish()


def install_hooks(environment: Environment) -> None:
    """Wire the end of the run: the master (or the lone process) quits once every worker is done."""
    runner = environment.runner
    if runner is None:
        return
    if not isinstance(runner, WorkerRunner):
        expected = _PROCESS.config.worker_count if _PROCESS.config else 1

        def on_done(environment: Environment, msg: object, **_: object) -> None:
            _PROCESS.done_reports += 1
            if _PROCESS.done_reports >= expected:
                gevent.spawn(environment.runner.quit)  # type: ignore[union-attr]

        runner.register_message(DONE_MESSAGE, on_done)

    def on_quitting(environment: Environment, **_: object) -> None:
        for sink in _PROCESS.sinks:
            sink.close()
        master_done = not isinstance(runner, WorkerRunner) and _PROCESS.done_reports >= (
            _PROCESS.config.worker_count if _PROCESS.config else 1
        )
        if master_done or (isinstance(runner, WorkerRunner) and _PROCESS.finished):
            # failures of the system under test are the report's business, not an exit code
            environment.process_exit_code = 0

    environment.events.quitting.add_listener(on_quitting)  # type: ignore[no-untyped-call]
