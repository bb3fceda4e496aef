"""Stream request records to JSONL as they complete, and account for the rest at the end.

The sink remembers every request it was told about and writes each id at most
once, so ``sent = ok + failed + lost`` holds however the run ends: a late answer
after ``close()`` is dropped (its LOST line is already on disk).

As each request goes out, a ``{"sent": id, "sent_s": t}`` mark is written too: a
process killed hard writes no LOST lines, and the merge tells from these marks a
request lost in flight (sent, never answered) from one never sent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from reports.records import RequestRecord
from workload.outcome import lost

__all__ = ["LOST_IN_FLIGHT", "SENT_MARK", "UNSENT", "RecordSink"]

#: the key of a sent mark's line (a record line has "outcome"; a mark never does)
SENT_MARK = "sent"
#: RequestRecord.error of a LOST record: why it has no outcome
LOST_IN_FLIGHT = "lost_in_flight"   # sent; the run ended (or its process died) before the answer
UNSENT = "unsent"                   # due, never sent


@dataclass(slots=True)
class _Pending:
    intended_s: float
    sent_s: float | None
    prompt_id: str | None


class RecordSink:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # line-buffered: each record reaches the file as its line ends
        self._file: TextIO | None = self.path.open("a", encoding="utf-8", buffering=1)
        self._pending: dict[int, _Pending] = {}
        self.written = 0

    @property
    def closed(self) -> bool:
        return self._file is None

    @property
    def pending(self) -> int:
        return len(self._pending)

    def begin(self, rid: int, intended_s: float, prompt_id: str | None) -> None:
        if rid in self._pending:
            raise ValueError(f"request id {rid} is already pending")
        self._pending[rid] = _Pending(intended_s, None, prompt_id)

    def mark_sent(self, rid: int, sent_s: float) -> None:
        entry = self._pending.get(rid)
        if entry is not None and self._file is not None:
            entry.sent_s = sent_s
            self._file.write(json.dumps({SENT_MARK: rid, "sent_s": sent_s}) + "\n")

    def complete(self, record: RequestRecord) -> bool:
        """Write the record if its id is still pending; False if it was already accounted for."""
        if self._file is None or self._pending.pop(record.id, None) is None:
            return False
        self._write(record)
        return True

    def close(self) -> int:
        """Write every still-pending request as LOST, close the file; returns how many were lost."""
        if self._file is None:
            return 0
        pending, self._pending = self._pending, {}
        for rid, p in sorted(pending.items(), key=lambda kv: (kv[1].intended_s, kv[0])):
            reason = UNSENT if p.sent_s is None else LOST_IN_FLIGHT
            self._write(replace(lost(rid, p.intended_s, p.sent_s, p.prompt_id), error=reason))
        self._file.close()
        self._file = None
        return len(pending)

    def _write(self, record: RequestRecord) -> None:
        assert self._file is not None
        self._file.write(json.dumps(record.to_dict(), ensure_ascii=False) + "\n")
        self._file.flush()
        self.written += 1
