"""``--service PROVIDER:key=value,...``: a provider's service model, written on the command line.

``qwen:concurrency=8,queue=20,tokens_per_s=40,ttft=300ms,overflow_status=429`` — the keys are
``ServiceSpec``'s; durations take the scenario grammar ("300ms", "1.5s").  Errors name the flag,
the provider and the key.  Pure: no I/O.
"""

from __future__ import annotations

import difflib

from fake_providers.faults.durations import parse_duration
from fake_providers.faults.service import ServiceSpec

__all__ = ["SERVICE_KEYS", "ServiceFlagError", "parse_service_flag"]

SERVICE_KEYS = ("concurrency", "queue", "tokens_per_s", "ttft", "overflow_status")  # the fault rule's keys
PROVIDERS = ("qwen", "claude", "openai")


class ServiceFlagError(ValueError):
    pass


def _hint(word: str, choices: tuple[str, ...]) -> str:
    near = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {near[0]!r}?)" if near else ""


def parse_service_flag(text: str) -> tuple[str, ServiceSpec]:
    where = f"--service {text!r}"
    provider, sep, rest = text.partition(":")
    provider = provider.strip()
    if provider not in PROVIDERS:
        raise ServiceFlagError(f"{where}: unknown provider {provider!r}{_hint(provider, PROVIDERS)}; "
                               f"expected one of {', '.join(PROVIDERS)}")
    if not sep or not rest.strip():
        raise ServiceFlagError(f"{where}: expected {provider}:concurrency=N[,queue=N,tokens_per_s=X,ttft=D,"
                               "overflow_status=429|503]")
    values: dict[str, str] = {}
    for item in rest.split(","):
        key, eq, value = (part.strip() for part in item.partition("="))
        if key not in SERVICE_KEYS:
            raise ServiceFlagError(f"{where}: unknown key {key!r}{_hint(key, SERVICE_KEYS)}; "
                                   f"expected {', '.join(SERVICE_KEYS)}")
        if not eq or not value:
            raise ServiceFlagError(f"{where}: {key}: expected {key}=VALUE")
        values[key] = value
    if "concurrency" not in values:
        raise ServiceFlagError(f"{where}: concurrency is required")
    ttft = None
    if "ttft" in values:
        try:
            ttft = parse_duration(values["ttft"], f"{where}: ttft")
        except ValueError as exc:
            raise ServiceFlagError(str(exc)) from None
    try:
        spec = ServiceSpec(
            concurrency=_int(values["concurrency"], where, "concurrency"),
            queue=_int(values["queue"], where, "queue") if "queue" in values else None,
            tokens_per_s=_float(values["tokens_per_s"], where, "tokens_per_s") if "tokens_per_s" in values else None,
            ttft_s=ttft,
            overflow_status=_int(values.get("overflow_status", "503"), where, "overflow_status"),
        )
    except ValueError as exc:
        raise ServiceFlagError(f"{where}: {exc}") from None
    return provider, spec


def _int(value: str, where: str, key: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ServiceFlagError(f"{where}: {key}: expected an integer, got {value!r}") from None


def _float(value: str, where: str, key: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise ServiceFlagError(f"{where}: {key}: expected a number, got {value!r}") from None
