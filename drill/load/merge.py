"""Merge the workers' record files into one ``requests.jsonl``, accounting for every scheduled id.

A worker killed hard cannot write its LOST lines; the schedule is deterministic,
so the merge recomputes it and writes the missing ids as LOST.  Each worker also
marks every request as it goes out (a ``{"sent": id, "sent_s": t}`` line, see
:mod:`drill.load.recorder`), so a missing id that was sent is lost *in flight*
(``error: lost_in_flight``, with its ``sent_s``), and one never sent is ``unsent``.
Duplicate ids (impossible unless a file was tampered with) keep their first record.

Streaming: records and the schedule go through an on-disk SQLite table beside the
output (deleted afterwards), so memory does not grow with the run's length; the
output is written in (intended time, id) order straight from its index.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from reports.records import RequestRecord, request_from_dict
from workload.outcome import lost
from workload.prompts import Prompt, choose_prompt
from workload.schedule import arrivals

from .config import LoadConfig
from .recorder import LOST_IN_FLIGHT, SENT_MARK, UNSENT

__all__ = ["MERGE_FILE", "MergeResult", "iter_lines", "merge_records", "read_records"]

#: the merge's counters, written beside the merged file (an interrupted run has no LoadResult to carry them)
MERGE_FILE = "merge.json"

_BATCH = 5000
_FIELDS = tuple(f.name for f in fields(RequestRecord))
_FIELD_SET = frozenset(_FIELDS)


@dataclass(frozen=True, slots=True)
class MergeResult:
    scheduled: int
    counts: dict[str, int]
    backfilled: int          # scheduled ids no worker wrote: written as LOST here
    duplicates: int          # ids written more than once (first kept)
    unscheduled: int         # ids in the files that the schedule does not contain (kept)
    bad_lines: int           # unreadable lines (e.g. the last line of a killed writer)
    lost_in_flight: int = 0  # LOST records that had been sent (the run ended before their answer)
    unsent: int = 0          # LOST records never sent

    def to_dict(self) -> dict[str, Any]:
        return {"scheduled": self.scheduled, "counts": dict(self.counts), "backfilled": self.backfilled,
                "duplicates": self.duplicates, "unscheduled": self.unscheduled, "bad_lines": self.bad_lines,
                "lost_in_flight": self.lost_in_flight, "unsent": self.unsent}


def _line(rec: RequestRecord) -> str:
    # not rec.to_dict(): dataclasses.asdict deep-copies every field, 10x the cost of the whole merge
    return json.dumps({name: getattr(rec, name) for name in _FIELDS}, ensure_ascii=False)


def iter_lines(path: Path) -> Iterator[tuple[RequestRecord | None, tuple[int, float] | None, str | None]]:
    """Each line of a part file: (record, None, text), (None, (id, sent_s), None) for a sent mark, or
    (None, None, None) for a line that could not be read.  ``text`` is the line itself when it holds
    exactly a record's fields (so it needs no re-encoding), else None."""
    try:
        f = path.open(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return
    with f:
        for line in f:
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                if isinstance(data, dict) and SENT_MARK in data and "outcome" not in data:
                    rid, sent_s = data[SENT_MARK], data["sent_s"]
                    if isinstance(rid, int) and isinstance(sent_s, int | float):
                        yield None, (rid, float(sent_s)), None
                        continue
                    raise ValueError("bad sent mark")
                rec = request_from_dict(data)
                yield rec, None, line.strip() if data.keys() == _FIELD_SET else None
            except (ValueError, TypeError, KeyError):
                yield None, None, None


def read_records(path: Path) -> tuple[list[RequestRecord], int]:
    """The records of one JSONL file and how many lines could not be read (sent marks are skipped)."""
    records: list[RequestRecord] = []
    bad = 0
    for rec, mark, _ in iter_lines(path):
        if rec is not None:
            records.append(rec)
        elif mark is None:
            bad += 1
    return records, bad


def _lost(rid: int, intended_s: float, sent_s: float | None, prompt_id: str | None) -> RequestRecord:
    return replace(lost(rid, intended_s, sent_s, prompt_id), error=UNSENT if sent_s is None else LOST_IN_FLIGHT)


def _lost_template() -> str:
    """A LOST record's JSON line as a %-template of (id, intended_s, sent_s, error, prompt_id), each JSON text.

    A backfill writes one line per unsent request (most of an interrupted run's schedule):
    json.dumps of a whole dict per line would be most of the merge's time.
    """
    holes = {"id": "@1@", "intended_s": "@2@", "sent_s": "@3@", "error": "@4@", "prompt_id": "@5@"}
    fields_ = {name: getattr(_lost(0, 0.0, None, None), name) for name in _FIELDS}
    text = json.dumps({**fields_, **holes}, ensure_ascii=False).replace("%", "%%")
    for hole, spec in (("@1@", "%d"), ("@2@", "%s"), ("@3@", "%s"), ("@4@", "%s"), ("@5@", "%s")):
        text = text.replace(f'"{hole}"', spec)
    return text


def _batched(rows: Iterable[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def merge_records(
    parts: Iterable[Path], out: Path, config: LoadConfig, worker_count: int, prompts: Sequence[Prompt]
) -> MergeResult:
    out.parent.mkdir(parents=True, exist_ok=True)
    db_path = out.with_name(out.name + ".merge.sqlite")
    db_path.unlink(missing_ok=True)
    db = sqlite3.connect(db_path)
    try:
        result = _merge(db, parts, out, config, worker_count, prompts)
        out.with_name(MERGE_FILE).write_text(json.dumps(result.to_dict(), indent=2) + "\n", encoding="utf-8")
        return result
    finally:
        db.close()
        with contextlib.suppress(OSError):
            db_path.unlink()


def _merge(
    db: sqlite3.Connection, parts: Iterable[Path], out: Path, config: LoadConfig, worker_count: int,
    prompts: Sequence[Prompt],
) -> MergeResult:
    db.executescript(
        "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
        "CREATE TABLE rec (id INTEGER PRIMARY KEY, intended REAL NOT NULL, outcome TEXT NOT NULL,"
        " line TEXT, scheduled INTEGER NOT NULL DEFAULT 0, backfilled INTEGER NOT NULL DEFAULT 0);"
        "CREATE TABLE sent (id INTEGER PRIMARY KEY, sent_s REAL NOT NULL);"
    )
    duplicates = bad = 0
    for part in parts:
        recs: list[tuple[Any, ...]] = []
        marks: list[tuple[Any, ...]] = []
        for rec, mark, line in iter_lines(part):
            if rec is not None:
                recs.append((rec.id, rec.intended_s, rec.outcome, line or _line(rec)))
            elif mark is not None:
                marks.append(mark)
            else:
                bad += 1
            if len(recs) >= _BATCH or len(marks) >= _BATCH:
                duplicates += _insert(db, recs, marks)
                recs, marks = [], []
        duplicates += _insert(db, recs, marks)
    scheduled = 0

    def schedule() -> Iterator[tuple[Any, ...]]:
        nonlocal scheduled
        for w in range(worker_count):
            for a in arrivals(config.stages, config.seed, config.arrival, w, worker_count):
                scheduled += 1
                yield a.id, a.t_s

    for batch in _batched(schedule()):
        db.executemany(
            "INSERT INTO rec (id, intended, outcome, scheduled, backfilled) VALUES (?, ?, 'lost', 1, 1)"
            " ON CONFLICT(id) DO UPDATE SET scheduled = 1", batch)
    db.execute("CREATE INDEX rec_order ON rec (intended, id)")
    db.commit()
    tmp = out.with_name(out.name + ".tmp")
    counts: dict[str, int] = {}
    in_flight = unsent = 0
    with tmp.open("w", encoding="utf-8") as f:
        rows = db.execute("SELECT r.id, r.intended, r.outcome, r.line, s.sent_s FROM rec r"
                          " LEFT JOIN sent s ON s.id = r.id ORDER BY r.intended, r.id")
        template = _lost_template()
        for rid, intended, outcome, line, sent_s in rows:
            if line is None:   # backfilled: the same line as _line(_lost(...)), at a fraction of the cost
                error = UNSENT if sent_s is None else LOST_IN_FLIGHT
                prompt = json.dumps(choose_prompt(prompts, config.seed, rid).id, ensure_ascii=False)
                line = template % (rid, repr(float(intended)), "null" if sent_s is None else repr(float(sent_s)),
                                   json.dumps(error), prompt)
                in_flight += sent_s is not None
                unsent += sent_s is None
            elif outcome == "lost":
                sent = json.loads(line).get("sent_s") is not None
                in_flight += sent
                unsent += not sent
            counts[outcome] = counts.get(outcome, 0) + 1
            f.write(line + "\n")
    tmp.replace(out)
    ((backfilled, unscheduled),) = db.execute("SELECT sum(backfilled), sum(1 - scheduled) FROM rec")
    return MergeResult(
        scheduled=scheduled,
        counts=counts,
        backfilled=backfilled or 0,
        duplicates=duplicates,
        unscheduled=unscheduled or 0,
        bad_lines=bad,
        lost_in_flight=in_flight,
        unsent=unsent,
    )


def _insert(db: sqlite3.Connection, recs: list[tuple[Any, ...]], marks: list[tuple[Any, ...]]) -> int:
    """Insert a batch; returns how many records were duplicates of ids already merged."""
    before = db.total_changes
    db.executemany("INSERT OR IGNORE INTO rec (id, intended, outcome, line) VALUES (?, ?, ?, ?)", recs)
    duplicates = len(recs) - (db.total_changes - before)
    db.executemany("INSERT OR IGNORE INTO sent (id, sent_s) VALUES (?, ?)", marks)
    return duplicates
