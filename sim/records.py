"""The twin's records on disk: ``requests.jsonl``, ``calls.jsonl``, ``events.jsonl``, streamed.

Records are written as they happen (buffered, flushed every ``FLUSH_EVERY``
lines and at the end), so memory does not grow with simulated time and an
interrupted twin leaves what it simulated.  ``RecordObserver`` is the gateway
core's observer seam: calls and state events become ``CallRecord`` and
``EventRecord`` exactly as the live collector turns the gateway's event log
into them (probes are not user traffic and are not written).
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import IO, Any

from gateway.core.observer import CallEvent, StateEvent
from reports.records import CallRecord, EventRecord, RequestRecord

__all__ = ["FLUSH_EVERY", "JsonlWriter", "RecordObserver", "RunFiles"]

FLUSH_EVERY = 4096
_REQUEST_FIELDS = tuple(f.name for f in fields(RequestRecord))
_CALL_FIELDS = tuple(f.name for f in fields(CallRecord))
#: one encoder for every line: json.dumps with options builds a new one per call
_encode = json.JSONEncoder(ensure_ascii=False, default=str, check_circular=False).encode


class JsonlWriter:
    __slots__ = ("_file", "_pending", "written")

    def __init__(self, path: Path) -> None:
        self._file: IO[str] = path.open("w", encoding="utf-8")
        self._pending: list[str] = []
        self.written = 0

    def write(self, data: dict[str, Any]) -> None:
        self._pending.append(_encode(data))
        self.written += 1
        if len(self._pending) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            self._file.write("\n".join(self._pending) + "\n")
            self._pending.clear()
            self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self.flush()
            self._file.close()


class RunFiles:
    """The three record streams of one run directory."""

    def __init__(self, run_dir: Path) -> None:
        run_dir.mkdir(parents=True, exist_ok=True)
        self.requests = JsonlWriter(run_dir / "requests.jsonl")
        self.calls = JsonlWriter(run_dir / "calls.jsonl")
        self.events = JsonlWriter(run_dir / "events.jsonl")

    def request(self, record: RequestRecord) -> None:
        # a flat record: a field walk is several times cheaper than dataclasses.asdict
        self.requests.write({name: getattr(record, name) for name in _REQUEST_FIELDS})

    def call(self, record: CallRecord) -> None:
        self.calls.write({name: getattr(record, name) for name in _CALL_FIELDS})

    def event(self, record: EventRecord) -> None:
        self.events.write(record.to_dict())

    def close(self) -> None:
        for w in (self.requests, self.calls, self.events):
            w.close()


class RecordObserver:
    """The gateway core's observer, writing the run's call and event records."""

    __slots__ = ("_files",)

    def __init__(self, files: RunFiles) -> None:
        self._files = files

    def on_call(self, event: CallEvent) -> None:
        if event.probe:
            return
        self._files.call(CallRecord(round(event.started_at, 6), event.provider, event.latency_s, event.result,
                                    event.status, event.request_id))

    def on_state(self, event: StateEvent) -> None:
        self._files.event(EventRecord(round(event.at, 6), event.kind, dict(event.detail)))

    def on_request(self, summary: Any) -> None:
        pass   # the runner writes the user's view of the request, as the load generator does live
