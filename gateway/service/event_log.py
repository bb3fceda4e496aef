"""Append every upstream call and state change to a JSON-lines file, as it happens.

The harness gives the gateway ``--events FILE --epoch T`` (T: the run's t=0 on
CLOCK_MONOTONIC, which is system-wide on Linux), so these times line up with the
load generator's and the fakes'.  Lines are written whole and flushed, so a run
that is killed still leaves every line written before it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from ..core.observer import CallEvent, StateEvent
from ..core.parse_outcome import ParseOutcome

__all__ = ["EventLog"]


class EventLog:
    def __init__(self, path: str | Path, epoch: float) -> None:
        self._file: IO[str] = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
        self._epoch = epoch

    def on_call(self, e: CallEvent) -> None:
        self._write({"record": "call", "t_s": round(e.started_at - self._epoch, 6), "provider": e.provider,
                     "latency_s": round(e.latency_s, 6), "result": e.result, "status": e.status,
                     "probe": e.probe, "request_id": e.request_id})

    def on_state(self, e: StateEvent) -> None:
        self._write({"record": "event", "t_s": round(e.at - self._epoch, 6), "kind": e.kind,
                     "detail": e.detail})

    def on_request(self, summary: ParseOutcome) -> None:
        return None   # the load generator records the user's view; the event log holds calls and states

    def _write(self, obj: dict[str, Any]) -> None:
        self._file.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")

    def close(self) -> None:
        self._file.close()
