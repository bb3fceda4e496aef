"""A running game day's acts: inject, clear, action, note — applied to the stack and put on the timeline.

The game day process owns one :class:`Session`; the control API calls it from its request threads, so
every act runs under one lock, is checked whole before anything changes (a refused act changes
nothing), and lands on ``timeline.jsonl`` with its time and who typed it.  Acts are mirrored into
``events.jsonl`` as ``EventRecord``s, where the report reads them.

Fault rules live in the fakes' plan: the session sends the whole plan (the scenario's rules plus the
injected ones, on the game day's epoch, as the ``FaultBook`` holds them) to every fake after each
change.  Network faults are toxics on the proxy; one that ends by itself is removed by the session's
expiry thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from fake_providers.faults.plan import FaultPlan, FaultPlanError
from fake_providers.proxy.client import ToxiproxyClient
from gateway.outcomes import PROVIDERS
from reports.records import EventRecord
from reports.runinfo import FaultWindow
from sim.steps import ProxyUp, Step, ToxicRemove

from .act_log import TimelineWriter, describe_action
from .acts import ActError, Injection
from .fault_book import BookedFault, FaultBook, ScriptedNetwork

__all__ = ["Session"]


class Session:
    def __init__(self, run_dir: Path, epoch: float, time_scale: float, fakes: dict[str, str],
                 toxiproxy: ToxiproxyClient, gateway: str, base_plan: dict[str, Any],
                 scripted: tuple[FaultWindow, ...], record: Callable[[EventRecord], None],
                 clock: Callable[[], float] = time.monotonic,
                 scripted_network: Sequence[ScriptedNetwork] = ()) -> None:
        self._epoch = epoch
        self._fakes = fakes
        self._toxiproxy = toxiproxy
        self._gateway = gateway
        self._base = {k: v for k, v in base_plan.items() if k != "faults"}
        self._record = record
        self._clock = clock
        self._lock = threading.RLock()
        self._book = FaultBook(base_plan.get("faults", []), scripted, time_scale, scripted_network)
        self._stop = threading.Event()
        self._expiry = threading.Thread(target=self._expire_loop, name="gameday-expiry", daemon=True)
        self._timeline = TimelineWriter(run_dir, time_scale, self.now_run_s)
        self._scale = time_scale

    # -- time ----------------------------------------------------------------------------------
    def now_run_s(self) -> float:
        return self._clock() - self._epoch

    def start(self, who: str, summary: str) -> None:
        self._timeline.write("start", who, summary, {})
        self._expiry.start()

    def close(self, who: str, summary: str) -> None:
        self._stop.set()
        self._expiry.join(2)
        self._timeline.write("stop", who, summary, {})
        self._timeline.close()

    # -- acts ----------------------------------------------------------------------------------
    def inject(self, inj: Injection, who: str) -> str:
        with self._lock:
            now = self.now_run_s()
            fault = self._book.propose(inj, now)
            if inj.kind == "fault":
                self._push(self._book.rules(extra=fault))
            else:
                if inj.at_s > 0:
                    raise ActError("inject: a network fault starts now; 'at' is only for fault rules")
                fault.toxic = self._add_toxic(inj, fault.id)
            self._book.commit(fault)
            fid, until = fault.id, fault.until_s
            ends = f", for {(until - fault.at_s) / self._scale:g} s" if until is not None else ", until cleared"
            detail = {"entry": inj.entry, "window": fault.index}
            self._timeline.write("inject", who, f"{fid}: {inj.label}{ends}", detail, fid)
            self._record(EventRecord(round(now, 6), "fault" if inj.kind == "fault" else "toxic",
                                     {"id": fid, "label": inj.label, "by": who, "entry": inj.entry}))
            return fid

    def clear(self, target: str, who: str) -> list[str]:
        with self._lock:
            now = self.now_run_s()
            chosen = self._book.choose(target, now)
            if any(f.rule is not None for f in chosen):
                self._push(self._book.rules(ending=chosen, now=now))
            for f in chosen:
                if f.toxic is not None:
                    self._remove_toxic(f)
            self._book.end(chosen, now)
            if target == "all":
                self._toxiproxy.reset()   # scripted toxics too: "all" means every fault
            cleared = [f.id for f in chosen]
            self._timeline.write("clear", who, f"cleared {', '.join(cleared)}", {"ids": cleared}, ",".join(cleared))
            self._record(EventRecord(round(now, 6), "action", {"clear": cleared, "by": who}))
            return cleared

    def action(self, body: dict[str, Any], who: str) -> dict[str, Any]:
        with self._lock:
            try:
                r = httpx.put(f"{self._gateway}/admin/config", json=body, timeout=5, trust_env=False)
            except httpx.HTTPError as exc:
                raise RuntimeError(f"action: the gateway did not answer: {exc}") from None
            if r.status_code != 200:
                raise ActError(f"action: the gateway refused it ({r.status_code}): {r.text[:300]}")
            now = self.now_run_s()
            self._timeline.write("action", who, describe_action(body), {"admin": body}, None)
            self._record(EventRecord(round(now, 6), "action", {"admin": body, "by": who}))
            try:
                result: dict[str, Any] = r.json()
            except ValueError:
                result = {}
            return result

    def note(self, text: str, who: str) -> None:
        with self._lock:
            self._timeline.write("note", who, text, {}, None)
            self._record(EventRecord(round(self.now_run_s(), 6), "note", {"text": text, "by": who}))

    # -- views ---------------------------------------------------------------------------------
    def windows(self, end_run_s: float) -> tuple[FaultWindow, ...]:
        """Every fault window in scenario seconds: the scenario's, then each inject (``fault N``)."""
        with self._lock:
            return self._book.windows(end_run_s)

    def active(self) -> list[dict[str, Any]]:
        with self._lock:
            return self._book.active(self.now_run_s())

    def superseded(self, step: Step) -> bool:
        """True for the scripted end of a scenario network fault someone already cleared by hand."""
        with self._lock:
            for f in self._book.cleared_scripted():
                assert f.toxic is not None
                if isinstance(step, ToxicRemove) and step.name == f.toxic.get("name"):
                    return True
                if isinstance(step, ProxyUp) and step.proxy in f.toxic["proxies"] \
                        and f.toxic.get("ends_at") is not None and abs(step.at_s - f.toxic["ends_at"]) < 1e-6:
                    return True
            return False

    # -- the stack -----------------------------------------------------------------------------
    def _push(self, rules: list[dict[str, Any]]) -> None:
        plan = {**self._base, "faults": rules, "time_scale": 1.0}
        try:
            FaultPlan.parse(plan)
        except FaultPlanError as exc:
            raise ActError(f"inject: {exc.field_path}: {exc.message}") from None
        for provider in PROVIDERS:
            r = httpx.put(self._fakes[provider] + "/_control/faults", json={**plan, "epoch": self._epoch},
                          timeout=5, trust_env=False)
            if r.status_code != 200:
                # the plans were checked above, so this is the harness failing, not bad input
                raise RuntimeError(f"the {provider} fake refused the plan ({r.status_code}): {r.text[:300]}")

    def _add_toxic(self, inj: Injection, fid: str) -> dict[str, Any]:
        assert inj.network is not None
        net = inj.network
        body = net.to_toxiproxy(1.0)
        proxies = net.proxies(PROVIDERS)
        if net.is_down:
            for p in proxies:
                self._toxiproxy.disable(p)
            return {"enabled": False, "proxies": list(proxies)}
        body["name"] = f"gameday_{fid}_{net.toxic}"
        for p in proxies:
            self._toxiproxy.add_toxic(p, body["type"], name=body["name"], stream=body["stream"],
                                      toxicity=float(body["toxicity"]), attributes=body["attributes"])
        return {**body, "proxies": list(proxies)}

    def _remove_toxic(self, f: BookedFault) -> None:
        assert f.toxic is not None
        for p in f.toxic["proxies"]:
            if f.toxic.get("enabled") is False:
                self._toxiproxy.enable(p)
            else:
                self._toxiproxy.remove_toxic(p, f.toxic["name"])

    def _expire_loop(self) -> None:
        while not self._stop.wait(0.2):
            with self._lock:
                now = self.now_run_s()
                for f in self._book.expired_toxics(now):
                    try:
                        self._remove_toxic(f)
                    except Exception as exc:  # recorded, and the game day goes on
                        self._timeline.write("expire", "llmdrill", f"{f.id}: could not remove: {exc}", {}, f.id)
                    self._book.end([f], now)
                    self._timeline.write("expire", "llmdrill", f"{f.id}: {f.label} ended", {}, f.id)
