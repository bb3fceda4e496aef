"""From a scenario (and the plan the live runner works out from it) to a twin run.

The command hands over what ``drill.live.plan.make_plan`` derived — the
gateway overrides, the fakes' fault plan, the timeline's steps and the
``RunInfo`` — so the twin runs exactly what the live run would, worked out by
the same code; this module only adds what the twin needs besides: the prompts
the load sends (with their gold) and the providers' service models.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from fake_providers.corpus import CORPORA
from fake_providers.faults.plan import FaultPlan
from fake_providers.faults.service import ServiceSpec
from fake_providers.servers.answers import know_corpus
from gateway.config import config_from_mapping
from reports.runinfo import RunInfo
from scenarios.schema import Prompts, Scenario
from workload.corpus import corpus_prompts as workload_corpus_prompts
from workload.prompts import Prompt
from workload.schedule import Stage

from .network import NetworkError, Toxic
from .run import SimResult, SimSetup, run_sim
from .timeline import Step

__all__ = ["corpus_prompts", "setup_for", "simulate"]

#: (at_s, kind, target, body, label): the fields of a live plan's step
StepFields = tuple[float, str, str, Mapping[str, Any], str]


def corpus_prompts(spec: Prompts) -> tuple[Prompt, ...]:
    """The prompts the live run sends (``workload.corpus``), with their gold."""
    # The fakes answer these prompts with their gold once they know the corpus, as `--corpus-seed` does live.
    know_corpus(spec.seed, spec.n, CORPORA[spec.corpus])
    return workload_corpus_prompts(spec)


def setup_for(
    run: Scenario,
    gateway_overrides: Mapping[str, Any],
    fault_plan: Mapping[str, Any],
    steps: Iterable[StepFields],
    run_info: RunInfo,
    *,
    services: Mapping[str, ServiceSpec] | None = None,
    gateway_cpu_s: float = 0.0,
) -> SimSetup:
    """``run`` is the scenario in run seconds (the twin runs at time_scale 1, so as written).

    Raises ``ValueError`` naming the step when a network fault is one the twin does not model.
    """
    typed = tuple(Step(at, kind, target, dict(body), label) for at, kind, target, body, label in steps)
    for step in typed:
        if step.kind == "toxic_add":
            try:
                Toxic.from_body(step.body)
            except NetworkError as exc:
                raise ValueError(f"network fault {step.label or step.body.get('name')!r} at {step.at_s:g}s: {exc}; "
                                 "run it live instead") from None
    return SimSetup(
        config=config_from_mapping(dict(gateway_overrides), "stack"),
        plan=FaultPlan.parse(dict(fault_plan)),
        stages=tuple(Stage(s.until_s, s.rate) for s in run.load.stages),
        prompts=corpus_prompts(run.load.prompts),
        seed=run.seed,
        arrival=run.load.arrival,
        client_timeout_s=run.load.client_timeout_s,
        steps=typed,
        services=dict(services or {}),
        gateway_cpu_s=gateway_cpu_s,
        run_info=run_info,
    )


def simulate(setup: SimSetup, run_dir: Path) -> SimResult:
    for stale in ("requests.jsonl", "calls.jsonl", "events.jsonl"):
        (run_dir / stale).unlink(missing_ok=True)
    return run_sim(setup, run_dir)
