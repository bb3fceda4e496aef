"""From a scenario (and the plan the live runner works out from it) to a twin run.

The command hands over what ``drill.live.plan.make_plan`` derived and
validated once — the gateway's config, the fakes' parsed fault plan, the
timeline's typed steps and the ``RunInfo`` — so the twin runs exactly what the live run would, worked out by
the same code; this module only adds what the twin needs besides: the prompts
the load sends (with their gold) and the providers' service models.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from fake_providers.corpus import CORPORA
from fake_providers.faults.answers import know_corpus
from fake_providers.faults.plan import FaultPlan
from fake_providers.faults.service import ServiceSpec
from gateway.config import GatewayConfig
from reports.runinfo import RunInfo
from scenarios.schema import Prompts, Scenario
from workload.corpus import corpus_prompts as workload_corpus_prompts
from workload.prompts import Prompt
from workload.schedule import Stage

from .network import NetworkError, Toxic
from .run import SimResult, SimSetup, run_sim
from .steps import Step, ToxicAdd

__all__ = ["corpus_prompts", "setup_for", "simulate"]


def corpus_prompts(spec: Prompts) -> tuple[Prompt, ...]:
    """The prompts the live run sends (``workload.corpus``), with their gold."""
    # The fakes answer these prompts with their gold once they know the corpus, as `--corpus-seed` does live.
    know_corpus(spec.seed, spec.n, CORPORA[spec.corpus])
    return workload_corpus_prompts(spec)


def setup_for(
    run: Scenario,
    config: GatewayConfig,
    faults: FaultPlan,
    steps: Iterable[Step],
    run_info: RunInfo,
    *,
    services: Mapping[str, ServiceSpec] | None = None,
    gateway_cpu_s: float = 0.0,
) -> SimSetup:
    """``run`` is the scenario in run seconds (the twin runs at time_scale 1, so as written); ``config`` and
    ``faults`` are the gateway's config and the fakes' plan, validated by the planner.

    Raises ``ValueError`` naming the step when a network fault is one the twin does not model.
    """
    typed = tuple(steps)
    for step in typed:
        if isinstance(step, ToxicAdd):
            try:
                Toxic.from_body(step.body())
            except NetworkError as exc:
                raise ValueError(f"network fault {step.label or step.name!r} at {step.at_s:g}s: {exc}; "
                                 "run it live instead") from None
    return SimSetup(
        config=config,
        plan=faults,
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
