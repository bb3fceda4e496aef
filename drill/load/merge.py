"""Merge the workers' record files into one ``requests.jsonl``, accounting for every scheduled id.

A worker killed hard cannot write its LOST lines; the schedule is deterministic,
so the merge recomputes it and writes the missing ids as LOST.  Duplicate ids
(impossible unless a file was tampered with) keep their first record.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from reports.records import RequestRecord, request_from_dict

from .classify import lost
from .config import LoadConfig
from .prompts import Prompt, choose_prompt
from .schedule import arrivals

__all__ = ["MergeResult", "merge_records", "read_records"]


@dataclass(frozen=True, slots=True)
class MergeResult:
    scheduled: int
    counts: dict[str, int]
    backfilled: int          # scheduled ids no worker wrote: written as LOST here
    duplicates: int          # ids written more than once (first kept)
    unscheduled: int         # ids in the files that the schedule does not contain (kept)
    bad_lines: int           # unreadable lines (e.g. the last line of a killed writer)


def read_records(path: Path) -> tuple[list[RequestRecord], int]:
    """The records of one JSONL file and how many lines could not be read."""
    records: list[RequestRecord] = []
    bad = 0
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return records, 0
    for line in lines:
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            records.append(request_from_dict(data))
        except (ValueError, TypeError):
            bad += 1
    return records, bad


def merge_records(
    parts: Iterable[Path], out: Path, config: LoadConfig, worker_count: int, prompts: Sequence[Prompt]
) -> MergeResult:
    by_id: dict[int, RequestRecord] = {}
    duplicates = bad = 0
    for part in parts:
        records, part_bad = read_records(part)
        bad += part_bad
        for rec in records:
            if rec.id in by_id:
                duplicates += 1
            else:
                by_id[rec.id] = rec
    scheduled = 0
    backfilled = 0
    schedule_ids: set[int] = set()
    for w in range(worker_count):
        for a in arrivals(config.stages, config.seed, config.arrival, w, worker_count):
            scheduled += 1
            schedule_ids.add(a.id)
            if a.id not in by_id:
                by_id[a.id] = lost(a.id, a.t_s, None, choose_prompt(prompts, config.seed, a.id).id)
                backfilled += 1
    ordered = sorted(by_id.values(), key=lambda r: (r.intended_s, r.id))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for rec in ordered:
            f.write(json.dumps(rec.to_dict(), ensure_ascii=False) + "\n")
    tmp.replace(out)
    counts = Counter(r.outcome for r in ordered)
    return MergeResult(
        scheduled=scheduled,
        counts=dict(counts),
        backfilled=backfilled,
        duplicates=duplicates,
        unscheduled=len(set(by_id) - schedule_ids),
        bad_lines=bad,
    )
