"""Corpora: generated from a seed, all prompts distinct, looked up by exact prompt.  Pure: no I/O."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import date
from functools import lru_cache

from fake_providers.corpus.gold import REFERENCE_DATE, GoldCase
from fake_providers.corpus.templated import TEMPLATED_LIMIT, templated_case
from fake_providers.corpus.varied import varied_case

__all__ = ["CORPORA", "CorpusIndex", "default_corpus", "generate_corpus"]

#: corpus names a scenario may ask for, and the generator style each one is
CORPORA = {"appointments-es": "varied", "appointments-es-templated": "templated"}


def generate_corpus(seed: int = 0, n: int = 1000, reference: date = REFERENCE_DATE,
                    style: str = "varied") -> list[GoldCase]:
    """``n`` labelled prompts, all distinct; the same arguments give the same list.

    ``style`` "varied" (the default) mixes wordings; "templated" fills one sentence (at most
    ``TEMPLATED_LIMIT`` = 192 distinct prompts).
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"generate_corpus: n must be a non-negative int, got {n!r}")
    if not isinstance(reference, date):
        raise ValueError(f"generate_corpus: reference must be a datetime.date, got {reference!r}")
    if style not in ("varied", "templated"):
        raise ValueError(f"generate_corpus: style must be 'varied' or 'templated', got {style!r}")
    if style == "templated" and n > TEMPLATED_LIMIT:
        raise ValueError(
            f"generate_corpus: the templated style has only {TEMPLATED_LIMIT} distinct prompts, asked {n}")
    make = templated_case if style == "templated" else varied_case
    rng = random.Random(seed)
    seen: set[str] = set()
    cases: list[GoldCase] = []
    attempts = 0
    max_attempts = 20 * n + 100   # bounded: the space is far larger than any sane n
    while len(cases) < n:
        attempts += 1
        if attempts > max_attempts:
            raise ValueError(f"generate_corpus: could not make {n} distinct prompts in {max_attempts} draws")
        case = make(rng, len(cases), reference)
        if case.prompt in seen:
            continue
        seen.add(case.prompt)
        cases.append(case)
    return cases


class CorpusIndex:
    """Exact-prompt lookup of gold cases (the fakes answer known prompts with their gold)."""

    __slots__ = ("_by_prompt",)

    def __init__(self, cases: Iterable[GoldCase]) -> None:
        self._by_prompt: dict[str, GoldCase] = {}
        for case in cases:
            self._by_prompt.setdefault(case.prompt, case)

    def lookup(self, prompt: str) -> GoldCase | None:
        return self._by_prompt.get(prompt)

    def __len__(self) -> int:
        return len(self._by_prompt)


@lru_cache(maxsize=1)
def _default_corpus() -> tuple[GoldCase, ...]:
    return tuple(generate_corpus(0, 1000))


def default_corpus() -> list[GoldCase]:
    """``generate_corpus(0, 1000)``, built once; a fresh list each call so callers may mutate it."""
    return list(_default_corpus())
