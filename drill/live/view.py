"""The live terminal view: phase, request rate, p95, errors, alerts, breakers, severity.

Reads the run's own record files as they grow (never the processes' memory), and judges them with
the report's own evaluator (``reports.live.snapshot``): the same rules, overrides, evaluation points
and severity windows as the report.  What the facilitator sees firing is what the report will say
fired, and a rule without enough samples shows as "no data", as in the report.  On a terminal it
redraws one line; in a log (CI) it prints a line every few seconds.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from reports.live import horizon_s, snapshot
from reports.records import CallRecord, EventRecord, RequestRecord, request_from_dict
from reports.report import rescale
from reports.rules import apply_overrides

from .plan import LivePlan

#: the request-rate figure's window (wall seconds); verdicts use the rules' own windows
WINDOW_S = 10.0
SEVERITY_WINDOW_S = 60.0


class _Tail:
    """Read whole new lines appended to a file since the last call."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._offset = 0
        self._partial = b""

    def lines(self) -> list[dict[str, Any]]:
        try:
            with self._path.open("rb") as f:
                f.seek(self._offset)
                data = f.read()
        except FileNotFoundError:
            return []
        self._offset += len(data)
        data = self._partial + data
        *whole, self._partial = data.split(b"\n")
        out = []
        for raw in whole:
            try:
                out.append(json.loads(raw))
            except ValueError:
                continue
        return out


class LiveView:
    def __init__(self, plan: LivePlan, run_dir: Path, epoch: float, gateway_url: str | None,
                 period_s: float | None = None) -> None:
        self._plan = plan
        self._epoch = epoch
        self._gateway = gateway_url
        self._info = plan.run_info
        self._rules = apply_overrides(plan.run_info.rules)
        # records older than this (wall seconds) can no longer change a verdict
        self._keep_s = horizon_s(self._rules, SEVERITY_WINDOW_S) * self._info.time_scale
        # Locust processes append to their own files while the run goes; requests.jsonl is the merge at the end.
        self._load_dir = run_dir / "logs" / "load"
        self._requests: dict[Path, _Tail] = {}
        self._calls = _Tail(run_dir / "gateway-events.jsonl")
        self._tty = sys.stderr.isatty()
        self._period = period_s if period_s is not None else (1.0 if self._tty else 5.0)
        self._done: deque[tuple[float, RequestRecord]] = deque()
        self._upstream: deque[tuple[float, CallRecord]] = deque()
        self._events: list[EventRecord] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="live-view", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        if self._tty:
            sys.stderr.write("\n")
            sys.stderr.flush()

    def _run(self) -> None:
        while not self._stop.wait(self._period):
            try:
                line = self.render(time.monotonic() - self._epoch)
            except Exception as exc:  # the view must never break a run
                line = f"(live view: {type(exc).__name__})"
            sys.stderr.write(("\r\x1b[2K" if self._tty else "") + line + ("" if self._tty else "\n"))
            sys.stderr.flush()

    def _ingest(self) -> None:
        for path in sorted(self._load_dir.glob("requests.w*.jsonl")):
            self._requests.setdefault(path, _Tail(path))
        for raw in (r for tail in self._requests.values() for r in tail.lines()):
            if "outcome" not in raw:
                continue  # a sent mark, not a record
            try:
                rec = request_from_dict(raw)
            except TypeError:
                continue  # a record the merge will report; the view only shows
            self._done.append((rec.intended_s + (rec.latency_s or 0.0), rec))
        for c in self._calls.lines():
            # the gateway logs raw monotonic seconds; place them on the run's time
            if c.get("record") == "call" and not c.get("probe"):
                call = CallRecord(float(c["t_s"]) - self._epoch, str(c["provider"]), float(c["latency_s"]),
                                  str(c["result"]), c.get("status"))
                self._upstream.append((call.t_s + call.latency_s, call))
            elif c.get("record") == "event":
                self._events.append(EventRecord(float(c["t_s"]) - self._epoch, str(c["kind"]),
                                                dict(c.get("detail") or {})))

    def render(self, now_s: float) -> str:
        self._ingest()
        for q in (self._done, self._upstream):
            while q and q[0][0] < now_s - self._keep_s:
                q.popleft()
        scale = self._info.time_scale
        requests: Sequence[RequestRecord] = [r for _, r in self._done]
        calls: Sequence[CallRecord] = [c for _, c in self._upstream]
        events = self._events
        if scale != 1.0:
            requests, calls, events = rescale(scale, requests, calls, events)
        # the finished report's end, hence its evaluation step
        planned = self._info.duration_s if self._info.duration_s is not None else self._plan.scenario.duration_s
        snap = snapshot(self._info, self._rules, requests, calls, events, now_s / scale, planned,
                        SEVERITY_WINDOW_S)
        recent = sum(1 for end, _ in self._done if end >= now_s - WINDOW_S)
        fallback = sum(1 for end, r in self._done if end >= now_s - WINDOW_S and r.fallback)
        run_duration = self._plan.run.duration_s
        phase = next((p.name for p in self._plan.run.phases if p.at_s <= now_s < p.end(run_duration)), "-")
        n = snap.window_requests
        # scenario units, as the report speaks: seconds ÷ time_scale, rates × time_scale
        parts = [
            f"[{min(now_s, run_duration) / scale:6.1f}s/{run_duration / scale:.0f}s]",
            f"phase {phase}",
            f"{recent / WINDOW_S * scale:5.1f} req/s",
            f"p95 {snap.window_p95_s:6.2f}s" if snap.window_p95_s is not None else "p95    -  ",
            f"failed {snap.window_failed / n if n else 0:5.1%}",
            f"fallback {fallback / recent if recent else 0:5.1%}",
            f"alerts {','.join(snap.firing) or '-'}",
            f"no data {len(snap.no_data)}",
            f"breakers {self._breakers()}",
            f"severity {snap.severity}",
        ]
        return "  ".join(parts)

    def _breakers(self) -> str:
        if self._gateway is None:
            return "-"
        try:
            states = httpx.get(self._gateway + "/admin/config", timeout=0.5).json().get("breakers", {})
        except (httpx.HTTPError, ValueError):
            return "?"
        odd = [f"{p}={s}" for p, s in states.items() if s != "closed"]
        return ",".join(odd) or "closed"
