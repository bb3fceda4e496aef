"""A running game day's acts: inject, clear, action, note — applied to the stack and put on the timeline.

The game day process owns one :class:`Session`; the control API calls it from its request threads, so
every act runs under one lock, is checked whole before anything changes (a refused act changes
nothing), and lands on ``timeline.jsonl`` with its time and who typed it.  Acts are mirrored into
``events.jsonl`` as ``EventRecord``s, where the report reads them.

Fault rules live in the fakes' plan: the session keeps the whole plan (the scenario's rules plus the
injected ones, on the game day's epoch) and replaces it on every fake after each change.  Network
faults are toxics on the proxy; one that ends by itself is removed by the session's expiry thread.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from fake_providers.faults.plan import FaultPlan, FaultPlanError
from fake_providers.proxy.client import ToxiproxyClient
from gateway.outcomes import PROVIDERS
from reports.records import EventRecord
from reports.runinfo import FaultWindow

from .acts import ActError, Injection

__all__ = ["TIMELINE_FILE", "Act", "Session", "read_acts", "read_timeline"]

TIMELINE_FILE = "timeline.jsonl"


@dataclass(slots=True)
class _Fault:
    id: str
    index: int                       # fault-window number, after the scenario's own
    injection: Injection | None      # None: a scripted rule of the scenario
    at_s: float                      # run seconds
    until_s: float | None
    provider: str
    label: str
    rule: dict[str, Any] | None = None
    toxic: dict[str, Any] | None = None   # the Toxiproxy body applied (name/type...), or {"enabled": False}
    cleared: bool = False


@dataclass(frozen=True, slots=True)
class Act:
    t_s: float                   # scenario seconds since the game day's t=0
    run_s: float                 # wall seconds since t=0
    utc: str
    who: str
    act: str                     # "start" | "inject" | "clear" | "action" | "note" | "stop" | "expire"
    summary: str
    detail: dict[str, Any] = field(default_factory=dict)
    id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"t_s": self.t_s, "run_s": self.run_s, "utc": self.utc, "who": self.who, "act": self.act,
                "id": self.id, "summary": self.summary, "detail": self.detail}


def read_timeline(run_dir: Path) -> list[Act]:
    """The acts of a game day (a torn last line of a killed process is skipped)."""
    out = []
    try:
        lines = (run_dir / TIMELINE_FILE).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    for line in lines:
        try:
            d = json.loads(line)
            out.append(Act(float(d["t_s"]), float(d["run_s"]), str(d["utc"]), str(d["who"]), str(d["act"]),
                           str(d["summary"]), dict(d.get("detail") or {}), d.get("id")))
        except (ValueError, KeyError, TypeError):
            continue
    return out


def _scripted_actions(run_dir: Path, time_scale: float) -> list[Act]:
    """The scenario's own admin actions, as the timeline driver recorded them in ``events.jsonl``."""
    out = []
    try:
        lines = (run_dir / "events.jsonl").read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    for line in lines:
        try:
            d = json.loads(line)
            detail = d.get("detail") or {}
            if d.get("kind") != "action" or detail.get("step") != "admin" or detail.get("error"):
                continue
            body = dict(detail.get("body") or {})
            run_s = float(d["t_s"])
            out.append(Act(round(run_s / time_scale, 3), round(run_s, 3), "", "scenario", "action",
                           describe_action(body) + " (scripted)", {"admin": body}))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    return out


def read_acts(run_dir: Path, time_scale: float) -> list[Act]:
    """Everything done to the stack: what people typed and the scenario's scripted actions, in time order."""
    return sorted([*read_timeline(run_dir), *_scripted_actions(run_dir, time_scale)], key=lambda a: a.t_s)


class Session:
    def __init__(self, run_dir: Path, epoch: float, time_scale: float, fakes: dict[str, str],
                 toxiproxy: ToxiproxyClient, gateway: str, base_plan: dict[str, Any],
                 scripted: tuple[FaultWindow, ...], record: Callable[[EventRecord], None],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._dir = run_dir
        self._epoch = epoch
        self._scale = time_scale
        self._fakes = fakes
        self._toxiproxy = toxiproxy
        self._gateway = gateway
        self._base = {k: v for k, v in base_plan.items() if k != "faults"}
        self._record = record
        self._clock = clock
        self._lock = threading.RLock()
        self._faults: list[_Fault] = []
        labels = {w.index: w.label for w in scripted}
        for i, rule in enumerate(base_plan.get("faults", [])):
            self._faults.append(_Fault(f"s{i}", i, None, float(rule.get("at", 0)), _opt(rule.get("until")),
                                       str(rule.get("provider", "*")), labels.get(i) or f"scripted fault {i}",
                                       rule=dict(rule)))
        self._scripted = scripted
        self._next = 1
        self._stop = threading.Event()
        self._expiry = threading.Thread(target=self._expire_loop, name="gameday-expiry", daemon=True)
        self._timeline = (run_dir / TIMELINE_FILE).open("a", encoding="utf-8", buffering=1)

    # -- time ----------------------------------------------------------------------------------
    def now_run_s(self) -> float:
        return self._clock() - self._epoch

    def start(self, who: str, summary: str) -> None:
        self._write("start", who, summary, {})
        self._expiry.start()

    def close(self, who: str, summary: str) -> None:
        self._stop.set()
        self._expiry.join(2)
        self._write("stop", who, summary, {})
        self._timeline.close()

    # -- acts ----------------------------------------------------------------------------------
    def inject(self, inj: Injection, who: str) -> str:
        with self._lock:
            now = self.now_run_s()
            fid = f"f{self._next}"
            at = now + inj.at_s
            until = None if inj.until_s is None else now + inj.until_s
            index = len(self._scripted) + self._next - 1
            fault = _Fault(fid, index, inj, at, until, inj.provider, inj.label)
            if inj.kind == "fault":
                assert inj.rule is not None
                fault.rule = {**inj.rule, "at": round(at, 6)}
                if until is not None:
                    fault.rule["until"] = round(until, 6)
                self._push([*self._faults, fault])
            else:
                assert inj.network is not None
                if inj.at_s > 0:
                    raise ActError("inject: a network fault starts now; 'at' is only for fault rules")
                fault.toxic = self._add_toxic(inj, fid)
            self._faults.append(fault)
            self._next += 1
            ends = f", for {(until - at) / self._scale:g} s" if until is not None else ", until cleared"
            self._write("inject", who, f"{fid}: {inj.label}{ends}", {"entry": inj.entry, "window": index}, fid)
            self._record(EventRecord(round(now, 6), "fault" if inj.kind == "fault" else "toxic",
                                     {"id": fid, "label": inj.label, "by": who, "entry": inj.entry}))
            return fid

    def clear(self, target: str, who: str) -> list[str]:
        with self._lock:
            now = self.now_run_s()
            active = [f for f in self._faults if self._active(f, now)]
            chosen: list[_Fault]
            if target == "all":
                chosen = active
            else:
                found = [f for f in self._faults if f.id == target]
                if not found:
                    ids = ", ".join(f.id for f in active) or "none"
                    raise ActError(f"clear: no fault {target!r}; active: {ids} (or 'all')")
                if found[0] not in active:
                    raise ActError(f"clear: fault {target} is not active (it ended or was cleared)")
                chosen = found
            if not chosen:
                raise ActError("clear: no fault is active")
            rules = [f for f in chosen if f.rule is not None]
            if rules:
                ends = {id(f): now for f in rules}
                self._push(self._faults, ends)
            for f in chosen:
                if f.toxic is not None:
                    self._remove_toxic(f)
                f.cleared = True
                f.until_s = now if f.until_s is None or f.until_s > now else f.until_s
                if f.rule is not None:
                    f.rule["until"] = round(now, 6)
            if target == "all":
                self._toxiproxy.reset()   # scripted toxics too: "all" means every fault
            cleared = [f.id for f in chosen]
            self._write("clear", who, f"cleared {', '.join(cleared)}", {"ids": cleared}, ",".join(cleared))
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
            self._write("action", who, describe_action(body), {"admin": body}, None)
            self._record(EventRecord(round(now, 6), "action", {"admin": body, "by": who}))
            try:
                result: dict[str, Any] = r.json()
            except ValueError:
                result = {}
            return result

    def note(self, text: str, who: str) -> None:
        with self._lock:
            self._write("note", who, text, {}, None)
            self._record(EventRecord(round(self.now_run_s(), 6), "note", {"text": text, "by": who}))

    # -- views ---------------------------------------------------------------------------------
    def windows(self, end_run_s: float) -> tuple[FaultWindow, ...]:
        """Every fault window in scenario seconds: the scenario's, then each inject (``fault N``)."""
        with self._lock:
            out = [w for w in self._scripted if w.at_s * self._scale <= end_run_s]
            out = [FaultWindow(w.index, w.at_s, _clip(w.until_s, end_run_s / self._scale), w.provider, w.label)
                   for w in out]
            for f in self._faults:
                if f.injection is None:
                    continue
                until = f.until_s if f.until_s is not None and f.until_s < end_run_s else None
                out.append(FaultWindow(f.index, f.at_s / self._scale,
                                       None if until is None else until / self._scale, f.provider,
                                       f"{f.id}: {f.label}"))
            return tuple(out)

    def active(self) -> list[dict[str, Any]]:
        with self._lock:
            now = self.now_run_s()
            return [{"id": f.id, "label": f.label, "provider": f.provider, "since_s": f.at_s / self._scale,
                     "until_s": None if f.until_s is None else f.until_s / self._scale}
                    for f in self._faults if self._active(f, now)]

    # -- internals -----------------------------------------------------------------------------
    def _active(self, f: _Fault, now: float) -> bool:
        return not f.cleared and f.at_s <= now + 1e-9 and (f.until_s is None or now < f.until_s)

    def _push(self, faults: list[_Fault], ends: dict[int, float] | None = None) -> None:
        rules = []
        for f in faults:
            if f.rule is None:
                continue
            rule = dict(f.rule)
            if ends and id(f) in ends:
                rule["until"] = round(ends[id(f)], 6)
            rules.append(rule)
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

    def _remove_toxic(self, f: _Fault) -> None:
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
                for f in self._faults:
                    if f.toxic is not None and not f.cleared and f.until_s is not None and now >= f.until_s:
                        try:
                            self._remove_toxic(f)
                        except Exception as exc:  # recorded, and the game day goes on
                            self._write("expire", "llmdrill", f"{f.id}: could not remove: {exc}", {}, f.id)
                        f.cleared = True
                        self._write("expire", "llmdrill", f"{f.id}: {f.label} ended", {}, f.id)

    def _write(self, act: str, who: str, summary: str, detail: dict[str, Any], fid: str | None = None) -> None:
        run_s = self.now_run_s()
        rec = Act(round(run_s / self._scale, 3), round(run_s, 3),
                  datetime.now(UTC).isoformat(timespec="seconds"), who, act, summary, detail, fid)
        if not self._timeline.closed:
            self._timeline.write(json.dumps(rec.to_dict(), ensure_ascii=False, default=str) + "\n")


def describe_action(body: dict[str, Any]) -> str:
    parts = []
    if "provider" in body:
        parts.append("provider auto" if body["provider"] == "auto" else f"provider pinned to {body['provider']}")
    for key, name in (("conservation_mode", "conservation mode"), ("degraded_mode", "degraded mode")):
        if key in body:
            value = body[key]
            parts.append(f"{name} {'auto' if value is None else 'on' if value else 'off'}")
    for p, what in body.get("breakers", {}).items():
        parts.append(f"breaker {p} {what}")
    return ", ".join(parts)


def _opt(value: Any) -> float | None:
    return None if value is None else float(value)


def _clip(until: float | None, end: float) -> float | None:
    return None if until is None or until >= end else until
