"""Correctness against gold: the share of answers that gave the user the right appointment.

A fast 200 with high confidence and the wrong appointment trips no runbook alert (issue 13), so the
report puts this figure at the top.  An answer is *judged* when the load knew its gold entities
(``RequestRecord.correct`` is not None: only 2xx answers are); the share is correct / judged:

- overall, per phase (the scenario's phases; without phases, each fault window and the time outside
  them), per provider (the LLM that answered), and by source: where the answer came from —
  ``cache`` (a cache hit, exact or similar), ``fallback`` (the no-LLM regex parser), ``degraded``
  (the degraded pipeline), ``llm`` (a provider's fresh answer); first match in that order;
- the gateway's gold probe (``EventRecord(kind="gold_probe")``): probes judged and judged correct;
- a few wrong answers as examples: the prompt, what gold says, what was served and from where.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .columns import BoolArray, FloatArray, RequestColumns, mask, request_columns
from .records import EventRecord, RequestRecord
from .rules import GOLD_PROBE_EVENT
from .runinfo import RunInfo

__all__ = ["MAX_EXAMPLES", "SOURCES", "Correctness", "Share", "WrongExample", "correctness", "source_of"]

SOURCES = ("llm", "cache", "fallback", "degraded")
MAX_EXAMPLES = 5


@dataclass(frozen=True, slots=True)
class Share:
    label: str
    judged: int
    correct: int

    @property
    def rate(self) -> float | None:
        return self.correct / self.judged if self.judged else None

    @property
    def wrong(self) -> int:
        return self.judged - self.correct


@dataclass(frozen=True, slots=True)
class WrongExample:
    request_id: int
    t_s: float  # intended send time, scenario seconds
    prompt_id: str | None
    prompt: str | None  # None: the run directory did not keep the prompts
    gold: Mapping[str, str | None] | None
    served: Mapping[str, str | None] | None
    source: str
    provider: str | None


@dataclass(frozen=True, slots=True)
class Correctness:
    overall: Share
    by_phase: tuple[Share, ...]
    by_provider: tuple[Share, ...]
    by_source: tuple[Share, ...]
    probe: Share  # the gateway's gold probes (judged ones; a probe with no answer is not judged)
    probe_unanswered: int
    examples: tuple[WrongExample, ...]

    @property
    def headline(self) -> str:
        o = self.overall
        if o.rate is None:
            return "correctness against gold: no data (no answer had gold entities to judge)"
        text = f"correct against gold: {o.rate:.1%} of {o.judged} judged answers"
        if o.wrong:
            text += f"; {o.wrong} ({o.wrong / o.judged:.1%}) gave the user the wrong appointment"
        return text


#: where an answer came from, first match wins: (source, the record's flag); none of them is "llm"
_SOURCE_FLAGS = (("cache", "cache_hit"), ("fallback", "fallback"), ("degraded", "degraded"))


def source_of(r: RequestRecord) -> str:
    return next((src for src, flag in _SOURCE_FLAGS if getattr(r, flag)), "llm")


def _sources(cols: RequestColumns) -> dict[str, BoolArray]:
    """Rows of each source, as ``source_of`` would say of each record."""
    rest = np.ones(len(cols), dtype=np.bool_)
    out: dict[str, BoolArray] = {}
    for src, flag in _SOURCE_FLAGS:
        out[src] = rest & cols.flags[flag]
        rest = rest & ~cols.flags[flag]
    out["llm"] = rest
    return out


def _share(label: str, cols: RequestColumns, rows: BoolArray) -> Share:
    judged = int(np.count_nonzero(rows & cols.known("correct")))
    return Share(label, judged, int(np.count_nonzero(rows & cols.truthy("correct"))))


@dataclass(frozen=True, slots=True)
class _Span:
    label: str
    start_s: float
    end_s: float
    closed: bool  # a fault window includes its end; a phase ends where the next begins

    def holds(self, t: FloatArray) -> BoolArray:
        return mask((self.start_s <= t) & ((t <= self.end_s) if self.closed else (t < self.end_s)))


def _spans(info: RunInfo, end_s: float) -> list[tuple[str, Callable[[FloatArray], BoolArray]]]:
    if info.phases:
        phases = [_Span(p.name, p.at_s, end_s if p.until_s is None else p.until_s, False) for p in info.phases]
        return [(p.label, p.holds) for p in phases]
    if not info.faults:
        return []
    faults = [_Span(f"fault {f.index}: {f.label or f.provider}", f.at_s, f.end(end_s), True) for f in info.faults]

    def outside(t: FloatArray) -> BoolArray:
        return mask(~np.logical_or.reduce([f.holds(t) for f in faults]))

    spans: list[tuple[str, Callable[[FloatArray], BoolArray]]] = [("outside faults", outside)]
    return spans + [(f.label, f.holds) for f in faults]


def _examples(cols: RequestColumns, prompts: Mapping[str, str]) -> tuple[WrongExample, ...]:
    rows = np.flatnonzero(cols.flags["wrong"])
    if not rows.size:
        return ()
    wrong = rows[np.lexsort((cols.id[rows], cols.intended_s[rows]))].tolist()
    sources = _sources(cols)
    # the first wrong answer from each source, then others spread over the run
    picked: list[int] = []
    for src in SOURCES:
        first = next((i for i in wrong if sources[src][i]), None)
        if first is not None:
            picked.append(first)
    step = max(len(wrong) // MAX_EXAMPLES, 1)
    for i in wrong[::step]:
        if len(picked) >= MAX_EXAMPLES:
            break
        if i not in picked:
            picked.append(i)
    records = sorted((cols.record(i) for i in picked), key=lambda r: (r.intended_s, r.id))
    return tuple(
        WrongExample(
            r.id,
            r.intended_s,
            r.prompt_id,
            prompts.get(r.prompt_id) if r.prompt_id is not None else None,
            r.gold,
            r.served,
            source_of(r),
            r.provider,
        )
        for r in records[:MAX_EXAMPLES]
    )


def correctness(
    info: RunInfo,
    requests: Iterable[RequestRecord],
    events: Sequence[EventRecord],
    end_s: float,
    prompts: Mapping[str, str] | None = None,
) -> Correctness:
    cols = request_columns(requests)
    judged = cols.known("correct")
    everyone = np.ones(len(cols), dtype=np.bool_)
    providers = sorted(p for p in cols.names["provider"] if np.any(judged & cols.provider_is(p)))
    probes = [e for e in events if e.kind == GOLD_PROBE_EVENT]
    verdicts = [e.detail.get("correct") for e in probes]
    sources = _sources(cols)
    return Correctness(
        overall=_share("overall", cols, everyone),
        by_phase=tuple(_share(name, cols, inside(cols.intended_s)) for name, inside in _spans(info, end_s)),
        by_provider=tuple(_share(p, cols, cols.provider_is(p)) for p in providers),
        by_source=tuple(share for share in (_share(s, cols, sources[s]) for s in SOURCES) if share.judged),
        probe=Share("gold probe", sum(isinstance(v, bool) for v in verdicts), sum(v is True for v in verdicts)),
        probe_unanswered=sum(not isinstance(v, bool) for v in verdicts),
        examples=_examples(cols, prompts or {}),
    )
