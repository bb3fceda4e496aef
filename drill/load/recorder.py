"""Stream request records to JSONL as they complete, and account for the rest at the end.

The sink remembers every request it was told about and writes each id at most
once, so ``sent = ok + failed + lost`` holds however the run ends: a late answer
after ``close()`` is dropped (its LOST line is already on disk).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from reports.records import RequestRecord

from .classify import lost

__all__ = ["RecordSink"]


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
        if entry is not None:
            entry.sent_s = sent_s

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
            self._write(lost(rid, p.intended_s, p.sent_s, p.prompt_id))
        self._file.close()
        self._file = None
        return len(pending)

    def _write(self, record: RequestRecord) -> None:
        assert self._file is not None
        self._file.write(json.dumps(record.to_dict(), ensure_ascii=False) + "\n")
        self._file.flush()
        self.written += 1
