"""The game day's faults as a ledger: the scenario's scripted rules and every inject, with their windows.

The session applies faults to the stack; this book only remembers them, so that a clear can name
what is active, the fakes can be sent the whole plan after every change, and the report gets one
fault window per fault.  A fault proposed for an inject joins the book only once the stack took it
(``commit``), so a refused inject leaves the book as it was.

Pure: no I/O, no clock.  Every time is run seconds since the game day's t=0 and is passed in;
windows for the report are in scenario seconds (run seconds / ``time_scale``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reports.runinfo import FaultWindow

from .acts import ActError, Injection

__all__ = ["BookedFault", "FaultBook", "ScriptedNetwork"]


@dataclass(slots=True)
class BookedFault:
    id: str                          # "s0", "s1", ... the scenario's; "f1", "f2", ... the injects
    index: int                       # fault-window number, after the scenario's own
    injection: Injection | None      # None: a scripted rule of the scenario
    at_s: float
    until_s: float | None
    provider: str
    label: str
    rule: dict[str, Any] | None = None    # the fakes' plan rule, at/until absolute
    toxic: dict[str, Any] | None = None   # the Toxiproxy body applied (name/type...), or {"enabled": False}
    cleared: bool = False

    def active(self, now: float) -> bool:
        return not self.cleared and self.at_s <= now + 1e-9 and (self.until_s is None or now < self.until_s)


@dataclass(frozen=True, slots=True)
class ScriptedNetwork:
    """A scenario's network fault as the timeline applies it: its toxic (or its proxies taken down)."""

    index: int                       # its fault-window number, as in the scenario's ``fault N``
    at_s: float                      # run seconds
    until_s: float | None
    provider: str
    label: str
    proxies: tuple[str, ...]
    toxic_name: str | None           # None: the proxies are disabled ("down")


class FaultBook:
    def __init__(self, scripted_rules: Sequence[Mapping[str, Any]], scripted: tuple[FaultWindow, ...],
                 time_scale: float, scripted_network: Sequence[ScriptedNetwork] = ()) -> None:
        self._scale = time_scale
        self._scripted = scripted
        labels = {w.index: w.label for w in scripted}
        self._faults = [BookedFault(f"s{i}", i, None, float(rule.get("at", 0)), _opt(rule.get("until")),
                                    str(rule.get("provider", "*")), labels.get(i) or f"scripted fault {i}",
                                    rule=dict(rule))
                        for i, rule in enumerate(scripted_rules)]
        # the scenario's network faults are numbered on, as its windows are (fault rules, then network)
        self._faults += [BookedFault(f"s{n.index}", n.index, None, n.at_s, n.until_s, n.provider,
                                     n.label or labels.get(n.index) or f"scripted fault {n.index}",
                                     toxic=({"enabled": False, "proxies": list(n.proxies), "ends_at": n.until_s}
                                            if n.toxic_name is None
                                            else {"name": n.toxic_name, "proxies": list(n.proxies)}))
                         for n in scripted_network]
        self._next = 1

    def propose(self, inj: Injection, now: float) -> BookedFault:
        """The fault an inject made at ``now`` would add; not in the book until committed."""
        fid = f"f{self._next}"
        at = now + inj.at_s
        until = None if inj.until_s is None else now + inj.until_s
        fault = BookedFault(fid, len(self._scripted) + self._next - 1, inj, at, until, inj.provider, inj.label)
        if inj.rule is not None:
            fault.rule = {**inj.rule, "at": round(at, 6)}
            if until is not None:
                fault.rule["until"] = round(until, 6)
        return fault

    def commit(self, fault: BookedFault) -> None:
        if fault.id != f"f{self._next}":
            raise ValueError(f"fault {fault.id} was not the one proposed next (f{self._next})")
        self._faults.append(fault)
        self._next += 1

    def choose(self, target: str, now: float) -> list[BookedFault]:
        """The active faults that ``clear TARGET`` removes (``all``, or one id); refuses what is not active."""
        active = [f for f in self._faults if f.active(now)]
        if target != "all":
            found = [f for f in self._faults if f.id == target]
            if not found:
                ids = ", ".join(f.id for f in active) or "none"
                raise ActError(f"clear: no fault {target!r}; active: {ids} (or 'all')")
            if found[0] not in active:
                raise ActError(f"clear: fault {target} is not active (it ended or was cleared)")
            active = found
        if not active:
            raise ActError("clear: no fault is active")
        return active

    def rules(self, extra: BookedFault | None = None, ending: Sequence[BookedFault] = (),
              now: float = 0.0) -> list[dict[str, Any]]:
        """The fakes' plan rules of the book (with ``extra`` added, and ``ending`` ended at ``now``)."""
        ends = {f.id for f in ending}
        out = []
        for f in [*self._faults, *([extra] if extra is not None else [])]:
            if f.rule is not None:
                out.append({**f.rule, "until": round(now, 6)} if f.id in ends else dict(f.rule))
        return out

    def end(self, faults: Sequence[BookedFault], now: float) -> None:
        """Mark ``faults`` cleared at ``now`` (a window that already ended keeps its end)."""
        for f in faults:
            f.cleared = True
            f.until_s = now if f.until_s is None or f.until_s > now else f.until_s
            if f.rule is not None:
                f.rule["until"] = round(now, 6)

    def expired_toxics(self, now: float) -> list[BookedFault]:
        """Network faults whose own end has come but whose toxic is still on the proxy."""
        # a scripted one is removed by the scenario's own timeline at its end
        return [f for f in self._faults
                if f.injection is not None and f.toxic is not None and not f.cleared and f.until_s is not None
                and now >= f.until_s]

    def cleared_scripted(self) -> list[BookedFault]:
        """The scenario's network faults cleared by hand: their scripted end must not be applied again."""
        return [f for f in self._faults if f.injection is None and f.toxic is not None and f.cleared]

    def windows(self, end_run_s: float) -> tuple[FaultWindow, ...]:
        """Every fault window in scenario seconds: the scenario's, then each inject (``fault N``)."""
        end = end_run_s / self._scale
        # a scripted fault cleared by hand ends when it was cleared, not when the scenario said
        cleared = {f.index: f.until_s / self._scale for f in self._faults
                   if f.injection is None and f.cleared and f.until_s is not None}
        out = [FaultWindow(w.index, w.at_s, _clip(_earlier(w.until_s, cleared.get(w.index)), end), w.provider,
                           w.label)
               for w in self._scripted if w.at_s * self._scale <= end_run_s]
        for f in self._faults:
            if f.injection is None:
                continue
            until = f.until_s if f.until_s is not None and f.until_s < end_run_s else None
            out.append(FaultWindow(f.index, f.at_s / self._scale, None if until is None else until / self._scale,
                                   f.provider, f"{f.id}: {f.label}"))
        return tuple(out)

    def active(self, now: float) -> list[dict[str, Any]]:
        """The dashboard's view of the active faults, in scenario seconds."""
        return [{"id": f.id, "label": f.label, "provider": f.provider, "since_s": f.at_s / self._scale,
                 "until_s": None if f.until_s is None else f.until_s / self._scale}
                for f in self._faults if f.active(now)]


def _opt(value: Any) -> float | None:
    return None if value is None else float(value)


def _earlier(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else min(a, b)


def _clip(until: float | None, end: float) -> float | None:
    return None if until is None or until >= end else until
