"""The runbook's own words as data: degradation types, mitigation strategies, permanent fixes, checklist.

``runbook/llm-degradation-runbook.md`` is the source; the Spanish strings are quoted from it so that
what the on-call reads in ``diagnose``, on the dashboard and in the write-up is what the runbook says.
Which alert rule points to which degradation type follows the runbook's "Métricas de Alerta" lists
(the rule ids of ``reports.rules`` are grouped by type).  Pure data; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "CHECKLIST",
    "MITIGATIONS",
    "TYPES",
    "DegradationType",
    "Mitigation",
    "type_of_rule",
]


@dataclass(frozen=True, slots=True)
class Mitigation:
    number: int
    title: str          # the runbook's heading
    objective: str      # its "Objetivo"
    how: str            # what to type in a game day to apply it (llmdrill action ...)


@dataclass(frozen=True, slots=True)
class DegradationType:
    id: str                          # "latency" | "quality" | "rate_limit" | "down"
    number: int                      # the runbook's "Tipos de Degradación" numbering
    title: str                       # "Latencia Alta"
    mitigations: tuple[int, ...]     # strategy numbers, most useful first
    cause: str                       # the "Fix Permanente" table's cause
    permanent_fix: str               # and its solution
    symptoms_es: str                 # for the announcement's "Impacto"


MITIGATIONS: Mapping[int, Mitigation] = {
    1: Mitigation(1, "Estrategia 1: Reducir Uso (Conservation Mode)", "Reducir llamadas al LLM en 50%",
                  "llmdrill action --conservation on"),
    2: Mitigation(2, "Estrategia 2: Failover a Backup LLM", "Cambiar a proveedor alternativo",
                  "llmdrill action --provider claude"),
    3: Mitigation(3, "Estrategia 3: Simplificar Pipeline", "Saltar agentes no críticos",
                  "llmdrill action --degraded on"),
    4: Mitigation(4, "Estrategia 4: Timeout y Circuit Breaker", "No esperar respuestas lentas",
                  "llmdrill action --breaker qwen=force_open"),
    5: Mitigation(5, "Estrategia 5: Fallback a No-LLM", "Funcionar sin LLM para casos simples",
                  "(automatic: the gateway's regex fallback answers when no provider does)"),
}

TYPES: Mapping[str, DegradationType] = {
    "latency": DegradationType("latency", 1, "Latencia Alta", (4, 2, 3, 1),
                               "Latencia alta del proveedor", "Implementar multi-LLM con load balancing",
                               "Latencia alta en creación de citas"),
    "quality": DegradationType("quality", 2, "Baja Calidad de Respuestas", (2, 5),
                               "Calidad baja", "Reentrenar prompts, few-shot examples",
                               "Extracción incorrecta de datos de las citas"),
    "rate_limit": DegradationType("rate_limit", 3, "Rate Limiting", (1, 2),
                                  "Rate limiting", "Caching más agresivo, queue system",
                                  "Requests rechazados por el proveedor (429)"),
    "down": DegradationType("down", 4, "Servicio Down", (2, 4, 5),
                            "Servidor down", "Failover automático a backup",
                            "Algunos requests fallando"),
}

#: the prefix of a reports rule id is the type it points to (``latency.llm_p95`` -> latency)
_RULE_PREFIX = {"latency": "latency", "quality": "quality", "rate_limit": "rate_limit", "down": "down"}

#: "Checklist de Recuperación", in order
CHECKLIST: tuple[str, ...] = (
    "Identificar tipo de degradación",
    "Medir impacto real",
    "Activar mitigación inmediata",
    "Verificar que mitigación funciona",
    "Investigar causa raíz",
    "Implementar fix permanente",
    "Verificar recuperación completa",
    "Documentar incidente",
    "Actualizar runbook si aplica",
    "Revisar alertas y umbrales",
)


def type_of_rule(rule_id: str) -> DegradationType:
    """The degradation type a runbook alert rule points to; a ValueError names an unknown rule family."""
    prefix = rule_id.split(".", 1)[0]
    key = _RULE_PREFIX.get(prefix)
    if key is None:
        raise ValueError(f"rule {rule_id!r}: no runbook degradation type for family {prefix!r}")
    return TYPES[key]
