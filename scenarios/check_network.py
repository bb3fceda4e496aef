"""The ``network:`` section checked: Toxiproxy toxics in human units, against the table of ``scenarios.network``."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, cast

from scenarios.checker import Checker, describe
from scenarios.frozen import freeze
from scenarios.network import STREAMS, TOXICS, NetworkFault
from scenarios.problems import suggest
from scenarios.vocabulary import NETWORK_KEYS
from scenarios.yamltree import FieldPath

__all__ = ["check_network", "check_network_entry"]


def check_network(check: Checker, value: Any, duration: float | None, first_index: int) -> list[NetworkFault]:
    nets: list[NetworkFault] = []
    for i, item in enumerate(check.items(("network",), value)):
        path: FieldPath = ("network", i)
        if not isinstance(item, dict):
            check.report(path, f"expected a mapping, got {describe(item)}")
            continue
        at, until, ok = check.window(path, item, duration, at_default=True)
        if "provider" not in item:
            check.report((*path, "provider"), "required field is missing")
            continue
        provider = check.provider((*path, "provider"), item["provider"], wildcard=True)
        label = item.get("label", f"{item.get('toxic')} on {provider}")
        body = {k: v for k, v in item.items() if k not in ("at", "until", "provider", "label")}
        net = check_network_entry(check, path, body, first_index + i, at, until, provider, str(label))
        if net is not None and ok:
            nets.append(net)
    return nets


def check_network_entry(
    check: Checker,
    path: FieldPath,
    value: Any,
    index: int,
    at: float | None,
    until: float | None,
    provider: str | None,
    label: str,
) -> NetworkFault | None:
    if not isinstance(value, dict):
        check.report(path, f"expected a mapping, got {describe(value)}")
        return None
    if "toxic" not in value:
        check.report((*path, "toxic"), "required field is missing; one of: " + ", ".join(TOXICS))
        return None
    toxic = check.choice((*path, "toxic"), value["toxic"], tuple(TOXICS), "toxic")
    if toxic is None:
        return None
    specs = TOXICS[toxic]
    allowed = (*NETWORK_KEYS, *specs)
    for key in value:
        # `x-...` keys at the top level hold YAML anchors to reuse (as in docker-compose); ignored.
        if key not in allowed and not (not path and key.startswith("x-")):
            check.report(
                (*path, key),
                f"unknown key {key!r} for toxic {toxic}{suggest(key, allowed)}; "
                f"valid keys: " + ", ".join(allowed),
            )
    stream = check.choice((*path, "stream"), value.get("stream", "downstream"), STREAMS, "stream")
    toxicity = check.number((*path, "toxicity"), value.get("toxicity", 1.0), 0.0, 1.0)
    attributes: dict[str, float] = {}
    ok = stream is not None and toxicity is not None
    for key, spec in specs.items():
        if key not in value:
            if spec.default is None:
                check.report((*path, key), f"required for toxic {toxic}")
                ok = False
            else:
                attributes[key] = spec.default
            continue
        parse: dict[str, Callable[[FieldPath, Any], float | None]] = {
            "duration": check.duration,
            "rate_bytes": partial(_byte_rate, check),
            "bytes": check.size,
        }
        parsed = parse[spec.unit]((*path, key), value[key])
        if parsed is None:
            ok = False
        else:
            attributes[key] = parsed
    if not ok or at is None or provider is None:
        return None
    return NetworkFault(
        index,
        at,
        until,
        provider,
        toxic,
        cast(str, stream),
        cast(float, toxicity),
        freeze(attributes),
        label,
        check.doc.line(path),
    )


def _byte_rate(check: Checker, path: FieldPath, value: Any) -> float | None:
    """Bytes per second from ``"100KB/s"`` (a plain number is KB/s, Toxiproxy's own unit)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        size = check.size(path, value)
        return None if size is None else size * 1000
    if isinstance(value, str) and value.strip().endswith("/s"):
        return check.size(path, value.strip()[:-2])
    check.report(path, f'expected a bandwidth such as "100KB/s" or a number of KB/s, got {describe(value)}')
    return None
