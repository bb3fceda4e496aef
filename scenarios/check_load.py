"""The ``load:`` section checked: the open model, its stages or constant rate, prompts and client timeout."""

from __future__ import annotations

import math
from typing import Any, cast

from scenarios.checker import Checker, describe
from scenarios.load import Load, Prompts, Stage
from scenarios.vocabulary import ARRIVALS, CORPORA, ENDPOINTS
from scenarios.yamltree import FieldPath

__all__ = ["check_load"]

_LOAD_KEYS = ("model", "arrival", "stages", "rate", "prompts", "endpoint", "client_timeout")
_PROMPT_KEYS = ("corpus", "seed", "n")
# per scenario second: a sanity bound on the file; what this machine sustains once compressed (rate ÷
# time_scale) is checked before a run (drill/live/compression.py)
_MAX_RATE = 10_000.0
_MAX_PROMPTS = 100_000


def check_load(check: Checker, value: Any, duration: float | None) -> Load | None:
    path: FieldPath = ("load",)
    load = check.mapping(path, value, _LOAD_KEYS)
    if load is None:
        return None
    model = load.get("model", "open")
    if model == "closed":
        check.report(
            (*path, "model"),
            "closed-model load is not supported: users that wait for answers send "
            "less exactly when the stack stalls (coordinated omission); use model: open",
        )
    elif model != "open":
        check.choice((*path, "model"), model, ("open",), "load model")
    arrival = load.get("arrival", "poisson")
    check.choice((*path, "arrival"), arrival, ARRIVALS, "arrival process")
    endpoint = load.get("endpoint", "parse")
    check.choice((*path, "endpoint"), endpoint, ENDPOINTS, "endpoint")
    timeout = check.duration((*path, "client_timeout"), load.get("client_timeout", "30s"))
    if timeout is not None and timeout <= 0:
        check.report((*path, "client_timeout"), "client_timeout must be positive")
    stages = _stages(check, load, duration)
    prompts = _prompts(check, load.get("prompts", "appointments-es"))
    if stages is None or prompts is None or timeout is None:
        return None
    return Load(
        stages=stages,
        model="open",
        arrival=cast(Any, arrival),
        prompts=prompts,
        endpoint=cast(Any, endpoint),
        client_timeout_s=timeout,
    )


def _stages(check: Checker, load: dict[str, Any], duration: float | None) -> tuple[Stage, ...] | None:
    path: FieldPath = ("load",)
    if ("stages" in load) == ("rate" in load):
        check.report((*path, "stages"), "give either stages: [{until, rate}, ...] or one constant rate:")
        return None
    if "rate" in load:
        rate = check.rate((*path, "rate"), load["rate"])
        if rate is None or duration is None:
            return None
        return (Stage(duration, rate),) if _rate_bound(check, (*path, "rate"), rate) else None
    raw = load["stages"]
    if not isinstance(raw, list) or not raw:
        check.report((*path, "stages"), f"expected a non-empty list of {{until, rate}}, got {describe(raw)}")
        return None
    out: list[Stage] = []
    ok = True
    previous = 0.0
    for i, item in enumerate(raw):
        spath: FieldPath = (*path, "stages", i)
        stage = check.mapping(spath, item, ("until", "rate"), ("until", "rate"))
        if stage is None or "until" not in stage or "rate" not in stage:
            ok = False
            continue
        until = check.duration((*spath, "until"), stage["until"])
        rate = check.rate((*spath, "rate"), stage["rate"])
        if until is None or rate is None or not _rate_bound(check, (*spath, "rate"), rate):
            ok = False
            continue
        if until <= previous:
            check.report(
                (*spath, "until"), f"stage ends must increase: {until:g}s is not after {previous:g}s"
            )
            ok = False
        previous = max(previous, until)
        out.append(Stage(until, rate))
    if ok and duration is not None and not math.isclose(out[-1].until_s, duration, abs_tol=1e-9):
        check.report(
            (*path, "stages", len(raw) - 1, "until"),
            f"the last stage must end at the scenario's duration ({duration:g}s), "
            f"not {out[-1].until_s:g}s",
        )
        ok = False
    return tuple(out) if ok else None


def _rate_bound(check: Checker, path: FieldPath, rate: float) -> bool:
    if rate > _MAX_RATE:
        check.report(
            path, f"rate {rate:g}/s is above {_MAX_RATE:g}/s, more than any load generator here can offer"
        )
        return False
    return True


def _prompts(check: Checker, value: Any) -> Prompts | None:
    path: FieldPath = ("load", "prompts")
    if isinstance(value, str):
        corpus = check.choice(path, value, CORPORA, "prompt corpus")
        return Prompts(corpus) if corpus else None
    spec = check.mapping(path, value, _PROMPT_KEYS, ("corpus",))
    if spec is None or "corpus" not in spec:
        return None
    corpus = check.choice((*path, "corpus"), spec["corpus"], CORPORA, "prompt corpus")
    seed = check.integer((*path, "seed"), spec.get("seed", 0), 0, 2**63 - 1)
    n = check.integer((*path, "n"), spec.get("n", 1000), 1, _MAX_PROMPTS)
    if corpus is None or seed is None or n is None:
        return None
    return Prompts(corpus, seed, n)
