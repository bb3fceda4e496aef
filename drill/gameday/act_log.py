"""What was done to a game day's stack, as recorded: ``timeline.jsonl``'s acts and the scripted actions.

People's acts (inject, clear, action, note, ...) are written by the running ``Session`` through a
``TimelineWriter``; the scenario's own admin actions are the timeline driver's step records in
``events.jsonl``.  Reading both back, in time order, is what the write-up and the live panels start
from.  One module for the file's writer and its readers, so that its format is defined once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

__all__ = [
    "TIMELINE_FILE", "Act", "TimelineWriter", "describe_action", "read_acts", "read_timeline", "start_utc", "utc_of",
]

TIMELINE_FILE = "timeline.jsonl"


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


class TimelineWriter:
    """Appends acts to ``timeline.jsonl`` as they happen, line-buffered: a killed game day keeps them."""

    def __init__(self, run_dir: Path, time_scale: float, now_run_s: Callable[[], float]) -> None:
        self._scale = time_scale
        self._now_run_s = now_run_s
        self._file = (run_dir / TIMELINE_FILE).open("a", encoding="utf-8", buffering=1)

    def write(self, act: str, who: str, summary: str, detail: dict[str, Any], fid: str | None = None) -> None:
        run_s = self._now_run_s()
        rec = Act(round(run_s / self._scale, 3), round(run_s, 3), datetime.now(UTC).isoformat(timespec="seconds"),
                  who, act, summary, detail, fid)
        if not self._file.closed:   # the expiry thread may outlive the stop by a tick
            self._file.write(json.dumps(rec.to_dict(), ensure_ascii=False, default=str) + "\n")

    def close(self) -> None:
        self._file.close()


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


def start_utc(acts: Sequence[Act]) -> datetime | None:
    """The wall-clock instant of the game day's t=0, from its start act (None: no start act recorded)."""
    for a in acts:
        if a.act == "start":
            try:
                return datetime.fromisoformat(a.utc) - timedelta(seconds=a.run_s)
            except ValueError:
                return None
    return None


def utc_of(start: datetime | None, t_s: float, scale: float) -> str:
    """Scenario second ``t_s`` as a UTC time ('' when the start is unknown)."""
    return "" if start is None else (start + timedelta(seconds=t_s * scale)).strftime("%Y-%m-%d %H:%M:%S UTC")
