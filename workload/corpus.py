"""The prompts a scenario's load sends, from its corpus spec: one definition for the live run and the twin.

The live runner writes these rows to ``prompts.json`` for the Locust user; the twin parses them in
memory.  Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fake_providers.corpus import CORPORA, REFERENCE_DATE, generate_corpus
from scenarios.schema import Prompts

from .prompts import Prompt, parse_prompts

__all__ = ["corpus_prompts", "corpus_rows"]


def corpus_rows(spec: Prompts) -> list[dict[str, Any]]:
    """The gold cases of ``spec`` as prompts-file entries, each with the corpus's reference date."""
    cases = generate_corpus(seed=spec.seed, n=spec.n, style=CORPORA[spec.corpus])
    return [{**asdict(c), "reference_date": REFERENCE_DATE.isoformat()} for c in cases]


def corpus_prompts(spec: Prompts) -> tuple[Prompt, ...]:
    return parse_prompts(corpus_rows(spec), f"corpus {spec.corpus} (seed {spec.seed}, n {spec.n})")
