"""The runbook's four diagnosis steps as verdicts over probe results.

Pure: ``ProbeSet`` in, ``Diagnosis`` out; no I/O, no clock.  Each step says what it saw, whether that
is a degradation, the runbook type it points to and the mitigation strategies to try.  Thresholds are
the runbook's (alert thresholds of "Tipos de Degradación", and its recovery check's "requests_remaining
> 50"); durations are multiplied by ``time_scale`` so that a compressed game day is judged in its own
units.  Severity is the runbook's classification (``reports.severity.classify``) of the probes that
failed: through the gateway when it was probed (what users get), else over the providers' probes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reports.evaluate import percentile
from reports.severity import classify

from .probes import Probe, ProbeSet
from .runbook import MITIGATIONS, TYPES, DegradationType, Mitigation

__all__ = ["EXIT_CODES", "Diagnosis", "Step", "diagnose"]

OK, DEGRADED, NO_DATA = "ok", "degraded", "no data"
LATENCY_P95_S = 10.0        # llm_request_duration_seconds p95 > 10s
TIMEOUT_RATE = 0.05         # llm_timeout_rate > 5%
CONFIDENCE_AVG = 0.7        # parsing_confidence_avg < 0.7
JSON_ERROR_RATE = 0.10      # parsing_json_error_rate > 10%
INCORRECT_RATE = 0.10       # the runbook's "❌ Contacto incorrecto": more than one answer in ten wrong
RATE_429 = 0.01             # llm_429_errors_rate > 1%
DOWN_RATE = 0.50            # llm_500_errors_rate > 50% (and refused connections)
REMAINING_MIN = 50          # test_llm_recovery: requests_remaining > 50
_DOWN_KINDS = frozenset({"server_error", "overloaded", "connection_refused", "connection_reset"})
_429_KINDS = frozenset({"rate_limited", "quota_exhausted"})

#: exit status by severity: 0 nothing wrong, 1x an incident of level Px (2 and 3 are bad input / harness)
EXIT_CODES = {"none": 0, "insufficient data": 0, "P4": 14, "P3": 13, "P2": 12, "P1": 11}


@dataclass(frozen=True, slots=True)
class Step:
    number: int
    title: str
    verdict: str                         # "ok" | "degraded" | "no data"
    findings: tuple[str, ...]
    points_to: DegradationType | None

    @property
    def mitigations(self) -> tuple[Mitigation, ...]:
        return tuple(MITIGATIONS[n] for n in self.points_to.mitigations) if self.points_to else ()


@dataclass(frozen=True, slots=True)
class Diagnosis:
    steps: tuple[Step, ...]
    severity: str
    severity_basis: str

    @property
    def types(self) -> tuple[str, ...]:
        """The degradation types the degraded steps point to, in step order, each once."""
        out: list[str] = []
        for s in self.steps:
            if s.points_to is not None and s.points_to.id not in out:
                out.append(s.points_to.id)
        return tuple(out)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.severity]


def _by_provider(probes: Sequence[Probe]) -> dict[str, list[Probe]]:
    out: dict[str, list[Probe]] = {}
    for p in probes:
        out.setdefault(p.provider, []).append(p)
    return out


def _share(n: int, d: int) -> str:
    return f"{n}/{d} ({n / d:.0%})" if d else "0/0"


def _step(number: int, title: str, bad: bool, findings: list[str], kind: str, any_data: bool) -> Step:
    verdict = DEGRADED if bad else OK if any_data else NO_DATA
    return Step(number, title, verdict, tuple(findings), TYPES[kind] if bad else None)


def _health(ps: ProbeSet) -> Step:
    findings, bad = [], False
    probes = _by_provider(ps.probes)
    for h in ps.health:
        mine = probes.get(h.provider, [])
        down = sum(p.failure in _DOWN_KINDS for p in mine)
        if h.status is None:
            state, bad = f"unreachable ({h.error})", True
        elif h.status >= 500:
            state, bad = f"/health answered {h.status}", True
        else:
            state = f"/health {h.status}"
        if mine and down / len(mine) > DOWN_RATE:
            bad = True
        kinds = sorted({p.failure for p in mine if p.failure in _DOWN_KINDS})
        findings.append(f"{h.provider}: {state}; 5xx/connection errors {_share(down, len(mine))}"
                        + (f" ({', '.join(k for k in kinds if k)})" if kinds else ""))
    if ps.gateway_health is not None:
        findings.append(f"gateway /healthz: {_summary(ps.gateway_health)}")
    elif ps.gateway_error is not None:
        findings.append(f"gateway /healthz: {ps.gateway_error}")
    return _step(1, "Verificar Estado del Proveedor", bad, findings, "down", bool(ps.health))


def _summary(doc: dict[str, object]) -> str:
    providers = doc.get("providers")
    if isinstance(providers, dict):
        parts = []
        for name, state in providers.items():
            if isinstance(state, dict):
                breaker = state.get("breaker", state.get("state", "?"))
                parts.append(f"{name} breaker {breaker}")
        if parts:
            return ", ".join(parts)
    return str(doc)[:200]


def _latency(ps: ProbeSet, time_scale: float) -> Step:
    findings, bad, any_data = [], False, False
    limit = LATENCY_P95_S * time_scale
    for provider, mine in _by_provider(ps.probes).items():
        answered = [p.latency_s for p in mine if p.failure is None]
        timeouts = sum(p.failure == "timeout" for p in mine)
        if timeouts / len(mine) > TIMEOUT_RATE:
            bad = True
        if not answered:
            findings.append(f"{provider}: no answer to time; timeouts {_share(timeouts, len(mine))}")
            continue
        any_data = True
        mean, p95 = sum(answered) / len(answered), percentile(answered, 95)
        if p95 > limit:
            bad = True
        findings.append(f"{provider}: mean {mean:.2f} s, p95 {p95:.2f} s over {len(answered)} probes "
                        f"(alert: p95 > {limit:g} s); timeouts {_share(timeouts, len(mine))}")
        any_data = any_data or timeouts > 0
    if ps.gateway:
        lat = [g.latency_s for g in ps.gateway]
        findings.append(f"gateway (what users wait): mean {sum(lat) / len(lat):.2f} s, p95 {percentile(lat, 95):.2f} s")
    return _step(2, "Medir Latencia Actual", bad, findings, "latency", any_data or bad)


def _quality(ps: ProbeSet) -> Step:
    findings, bad, any_data = [], False, False
    for provider, mine in _by_provider(ps.probes).items():
        judged = [p for p in mine if p.failure is None or p.json_error]
        if not judged:
            findings.append(f"{provider}: no answer to judge")
            continue
        any_data = True
        json_errors = sum(p.json_error for p in judged)
        conf = [p.confidence for p in judged if p.confidence is not None]
        correct = [p.correct for p in judged if p.correct is not None]
        wrong = sum(not c for c in correct)
        avg = sum(conf) / len(conf) if conf else None
        if json_errors / len(judged) > JSON_ERROR_RATE or (avg is not None and avg < CONFIDENCE_AVG) or \
                (correct and wrong / len(correct) > INCORRECT_RATE):
            bad = True
        findings.append(f"{provider}: invalid JSON {_share(json_errors, len(judged))}; confidence avg "
                        + (f"{avg:.2f}" if avg is not None else "-")
                        + f" (alert < {CONFIDENCE_AVG}); entities wrong vs gold {_share(wrong, len(correct))}")
    return _step(3, "Verificar Calidad de Respuestas", bad, findings, "quality", any_data)


def _quotas(ps: ProbeSet) -> Step:
    findings, bad, any_data = [], False, False
    probes = _by_provider(ps.probes)
    for lim in ps.limits:
        mine = probes.get(lim.provider, [])
        limited = [p for p in mine if p.failure in _429_KINDS]
        remaining = lim.requests_remaining
        headers = [p.rate_limits.remaining_requests for p in mine
                   if p.rate_limits is not None and p.rate_limits.remaining_requests is not None]
        if remaining is None and headers:
            remaining = min(headers)
        if mine and len(limited) / len(mine) > RATE_429:
            bad = True
        if remaining is not None:
            any_data = True
            if lim.requests_per_minute is not None and remaining <= REMAINING_MIN:
                bad = True
        any_data = any_data or bool(mine)
        text = f"{lim.provider}: 429s {_share(len(limited), len(mine))}"
        if any(p.failure == "quota_exhausted" for p in limited):
            text += " (insufficient_quota: a permanent account limit)"
        retry = [p.retry_after_s for p in limited if p.retry_after_s is not None]
        if retry:
            text += f", retry-after up to {max(retry):g} s"
        if lim.error is not None:
            text += f"; /v1/limits: {lim.error}"
        else:
            text += (f"; /v1/limits: {lim.requests_per_minute if lim.requests_per_minute is not None else '-'} rpm, "
                     f"requests_remaining {remaining if remaining is not None else '-'}"
                     f" (recovery needs > {REMAINING_MIN})")
        findings.append(text)
    return _step(4, "Verificar Cuotas y Rate Limits", bad, findings, "rate_limit", any_data)


def _severity(ps: ProbeSet, flagged: bool) -> tuple[str, str]:
    if ps.gateway:
        ok = sum(1 for g in ps.gateway if g.status is not None and 200 <= g.status < 300)
        return classify(ok, len(ps.gateway) - ok, flagged), f"{ok}/{len(ps.gateway)} gateway probes answered"
    ok = sum(1 for p in ps.probes if p.failure is None and not p.json_error)
    return classify(ok, len(ps.probes) - ok, flagged), f"{ok}/{len(ps.probes)} provider probes answered well"


def diagnose(ps: ProbeSet, time_scale: float = 1.0) -> Diagnosis:
    if not time_scale > 0:
        raise ValueError(f"time_scale must be positive, not {time_scale!r}")
    steps = (_health(ps), _latency(ps, time_scale), _quality(ps), _quotas(ps))
    severity, basis = _severity(ps, any(s.verdict == DEGRADED for s in steps))
    return Diagnosis(steps, severity, basis)
