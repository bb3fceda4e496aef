"""The gateway's gold-probe cases for a scenario: known prompts with their gold, from the load's corpus.

The gateway has no corpus (it must not import the fakes), so the harness hands it
``gold_probe.cases`` (``gateway.config.GoldProbeSettings``).  They are drawn, by the scenario's seed,
from the corpus the load itself sends: prompts the fakes know the gold of (a prompt outside every
known corpus gets a guessed parse, and the probe would cry wolf), and the kind of prompt a user
sends, so a cache that hands users a near neighbour's answer hands it to the probe too.

One case per probe the run makes (its duration over the interval), up to the corpus: each probe
asks a prompt it has not asked before, as a new user would.  A small rotating set would, with the
cache on, mostly replay the probe's own earlier answers.

The interval stays in scenario seconds: the gateway multiplies it by ``time_scale`` like its other
durations.  A scenario's own ``stack.gold_probe.cases`` (an empty list switches the probe off) is
kept as written.  Pure: no I/O.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from typing import Any

from fake_providers.corpus import CORPORA, REFERENCE_DATE, generate_corpus
from scenarios.expectations import parse_quantity
from scenarios.schema import Scenario

__all__ = ["DEFAULT_INTERVAL_S", "MAX_CASES", "gold_probe_cases", "with_gold_probe"]

#: the gateway's default (``GoldProbeSettings.interval``), in scenario seconds
DEFAULT_INTERVAL_S = 30.0
MAX_CASES = 1000


def _interval_s(settings: Mapping[str, Any]) -> float:
    raw = settings.get("interval", DEFAULT_INTERVAL_S)
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        try:
            raw = parse_quantity(raw)
        except (TypeError, ValueError):
            return DEFAULT_INTERVAL_S  # the gateway's config check names the bad value
    return float(raw) if raw > 0 else DEFAULT_INTERVAL_S


def gold_probe_cases(scenario: Scenario, interval_s: float = DEFAULT_INTERVAL_S) -> list[dict[str, Any]]:
    """``GoldCaseSettings`` mappings: as many as the run has probes, chosen by the scenario's seed."""
    spec = scenario.load.prompts
    corpus = generate_corpus(seed=spec.seed, n=spec.n, style=CORPORA[spec.corpus])
    want = min(len(corpus), MAX_CASES, math.ceil(scenario.duration_s / interval_s) + 1)
    picked = random.Random(f"gold-probe:{scenario.seed}").sample(corpus, want)
    return [
        {
            "prompt": c.prompt,
            "reference_date": REFERENCE_DATE.isoformat(),
            "contacto": c.contacto,
            "fecha": c.fecha_iso,
            "hora": c.hora_hhmm,
        }
        for c in picked
    ]


def with_gold_probe(overrides: Mapping[str, Any], scenario: Scenario) -> dict[str, Any]:
    """``overrides`` (the gateway's config mapping) with gold-probe cases, unless the scenario set its own."""
    out = dict(overrides)
    raw = out.get("gold_probe")
    settings: dict[str, Any] = dict(raw) if isinstance(raw, Mapping) else {}
    if raw is not None and not isinstance(raw, Mapping):
        return out  # not a mapping: the gateway's config check reports it where it is
    if "cases" not in settings:
        settings["cases"] = gold_probe_cases(scenario, _interval_s(settings))
    out["gold_probe"] = settings
    return out
