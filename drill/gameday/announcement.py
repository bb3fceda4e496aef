"""The runbook's "Template de Anuncio", filled in from the game day, in the runbook's Spanish.

The state (Resuelto / Mitigado, monitoreando / Investigando) comes from the alerts firing at the stop
and the last severity window; the mitigation lines are the acts people made.  Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from reports.report import Report
from reports.severity import INSUFFICIENT

from .act_log import Act, utc_of
from .incident import FaultTimes
from .runbook import DegradationType

__all__ = ["SEVERITY_LABEL", "announcement"]

SEVERITY_LABEL = {"P1": "P1 - Critical", "P2": "P2 - High", "P3": "P3 - Medium", "P4": "P4 - Low",
                  "none": "ninguna (sin impacto)", INSUFFICIENT: "sin datos suficientes"}


def _mitigation_lines(acts: Sequence[Act]) -> list[str]:
    out = []
    for a in acts:
        if a.act == "action":
            body = a.detail.get("admin") or {}
            if body.get("provider") not in (None, "auto"):
                out.append(f"Cambiado a {str(body['provider']).capitalize()} como provider primario")
            if body.get("provider") == "auto":
                out.append("Selección de provider automática restablecida")
            if body.get("conservation_mode") is True:
                out.append("Modo conservación activado")
            if body.get("conservation_mode") is False:
                out.append("Modo conservación desactivado")
            if body.get("degraded_mode") is True:
                out.append("Pipeline simplificado (modo degradado) activado")
            if body.get("degraded_mode") is False:
                out.append("Modo degradado desactivado")
            for p, what in (body.get("breakers") or {}).items():
                out.append(f"Circuit breaker de {p}: {what}")
        elif a.act == "clear":
            out.append(f"Falla retirada ({a.summary})")
    return out


def announcement(report: Report, types: Sequence[DegradationType], acts: Sequence[Act],
                  times: Sequence[FaultTimes], start: datetime | None) -> str:
    alerts = [a.first_fired_s for a in report.alerts if a.first_fired_s is not None]
    begin = min(alerts) if alerts else min((f.at_s for f in report.info.faults), default=0.0)
    last = [w for w in report.severity.windows if w.level != INSUFFICIENT]
    firing_at_end = any(a.intervals and a.intervals[-1][1] >= report.end_s - report.evaluation.step_s - 1e-9
                        for a in report.alerts)
    # resolved: no alert firing at the stop and users no longer failing (P4 is "functional")
    if not firing_at_end and (not last or last[-1].level in ("none", "P4")):
        estado = "Resuelto"
    elif any(t.mitigated_s is not None for t in times):
        estado = "Mitigado, monitoreando"
    else:
        estado = "Investigando"
    c = report.requests
    impacto = [t.symptoms_es for t in types]
    if c.failed:
        impacto.append(f"{c.failed} de {c.sent} requests fallaron ({c.failed / c.sent:.1%})")
    if c.fallback:
        impacto.append(f"{c.fallback} respuestas del fallback sin LLM (menor confianza)")
    if report.latency.p95 is not None:
        impacto.append(f"Latencia p95 de los usuarios: {report.latency.p95:.1f} s")
    mitigacion = _mitigation_lines(acts) or ["Ninguna acción manual registrada"]
    lines = [
        "## Template de Anuncio", "",
        "**Incidente: Degradación de LLM**", "",
        f"**Inicio**: {utc_of(start, begin, report.info.time_scale) or f'{begin:.0f} s'}",
        f"**Severidad**: {SEVERITY_LABEL.get(report.severity.max, report.severity.max)}",
        f"**Estado**: {estado}", "",
        "**Impacto**:", *[f"- {i}" for i in (impacto or ["Sin impacto medido en los usuarios"])], "",
        "**Mitigación**:", *[f"- {m}" for m in mitigacion], "",
        f"**Próxima actualización**: {'—' if estado == 'Resuelto' else '30 min'}", "",
    ]
    return "\n".join(lines)
