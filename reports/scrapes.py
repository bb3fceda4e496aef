"""The gateway's scraped metrics of a run (``metrics.jsonl``, written by ``drill.live.scrape``).

``read_scrapes`` reads the file; ``to_scenario_time`` puts a compressed live run's scrapes on the
scenario's time base, as ``reports.report.rescale`` does for the records: scrape times and every
duration divide by ``time_scale`` — the ``le`` bounds and ``_sum`` of a ``*_seconds`` histogram, and a
``*_seconds`` gauge — while counts, counters and other gauges stay as they are.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .io import RunDataError

__all__ = ["Sample", "Scrape", "read_scrapes", "series_key", "to_scenario_time"]


@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    labels: Mapping[str, str]
    value: float


@dataclass(frozen=True, slots=True)
class Scrape:
    t_s: float
    samples: tuple[Sample, ...] = ()
    error: str | None = None  # a failed scrape: no samples at this time
    extra: Mapping[str, Any] = field(default_factory=dict)


def series_key(name: str, labels: Mapping[str, str]) -> str:
    """The series in Prometheus's notation, labels sorted: ``name{a="1",b="2"}``."""
    if not labels:
        return name
    body = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
    return f"{name}{{{body}}}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def read_scrapes(path: Path) -> list[Scrape]:
    """Every scrape in ``path``; a torn last line (the run was killed mid-write) is skipped."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        raise RunDataError(f"{path}: missing; this run did not scrape the gateway's /metrics") from None
    out: list[Scrape] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            out.append(_scrape(raw))
        except (ValueError, KeyError, TypeError) as exc:
            if n == len(lines):
                continue   # torn last line
            raise RunDataError(f"{path}:{n}: not a scrape record ({exc})") from None
    return out


def _scrape(raw: dict[str, Any]) -> Scrape:
    t = float(raw["t_s"])
    if not math.isfinite(t):
        raise ValueError(f"t_s is {t}")
    if "error" in raw:
        return Scrape(t, error=str(raw["error"]))
    samples = tuple(Sample(str(name), {str(k): str(v) for k, v in labels.items()}, float(value))
                    for name, labels, value in raw["samples"])
    return Scrape(t, samples)


def _is_duration(name: str) -> tuple[bool, bool]:
    """(the value is seconds, the ``le`` label is seconds) for one sample name."""
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and name[: -len(suffix)].endswith("_seconds"):
            return suffix == "_sum", suffix == "_bucket"
    return name.endswith("_seconds"), False


def _scale_le(le: str, scale: float) -> str:
    if le in ("+Inf", "Inf"):
        return le
    return repr(float(f"{float(le) / scale:.12g}"))


def to_scenario_time(scrapes: Sequence[Scrape], time_scale: float) -> list[Scrape]:
    if not (math.isfinite(time_scale) and time_scale > 0):
        raise ValueError(f"time_scale must be a positive number, not {time_scale!r}")
    if time_scale == 1.0:
        return list(scrapes)
    out = []
    for s in scrapes:
        samples = []
        for x in s.samples:
            value_s, le_s = _is_duration(x.name)
            labels = dict(x.labels)
            if le_s and "le" in labels:
                labels["le"] = _scale_le(labels["le"], time_scale)
            samples.append(Sample(x.name, labels, x.value / time_scale if value_s else x.value))
        out.append(Scrape(s.t_s / time_scale, tuple(samples), s.error, s.extra))
    return out
