"""The fixed overhead per request of the stack and the harness, measured before t=0.

Compression does not shrink it (DESIGN.md, "Time compression"): each run measures
it. With every fake answering at once and no fault active, ``n`` requests go one
after another through the whole stack (client → gateway → proxy → fake and back),
so what they take is overhead only. Their prompts are the run's own with a suffix
that no scheduled request has, so the calibration leaves nothing in the gateway's
cache that the load could hit; its provider calls are logged before t=0 and are
not part of the run's records. They do count in the gateway's own rate-limit
window: ``n`` calls a few run seconds before t=0, which at ``time_scale`` 0.1
(a 6 s window) have left it within the first run seconds; ``n`` is kept small.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from fake_providers.faults import LatencyDist

__all__ = ["CALIBRATION_REQUESTS", "CalibrationError", "Overhead", "calibrate", "summarise"]

CALIBRATION_REQUESTS = 20
_WARMUP = 2          # connections, first-call imports: not the steady cost
_TIMEOUT_S = 10.0
_PATH = "/v1/appointments/parse"


class CalibrationError(RuntimeError):
    """The stack did not answer the calibration requests; the message says which and how."""


@dataclass(frozen=True, slots=True)
class Overhead:
    """Real seconds per request through the whole stack with nothing injected."""

    p50_s: float
    p99_s: float
    max_s: float
    n: int
    method: str

    def to_dict(self) -> dict[str, Any]:
        return {"p50_s": self.p50_s, "p99_s": self.p99_s, "max_s": self.max_s, "n": self.n, "method": self.method}


def _quantile(ordered: Sequence[float], q: float) -> float:
    # nearest rank: a measured value, never an interpolation between two
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def summarise(latencies: Sequence[float], method: str) -> Overhead:
    if not latencies:
        raise CalibrationError("calibration: no request was measured")
    ordered = sorted(latencies)
    return Overhead(_quantile(ordered, 0.5), _quantile(ordered, 0.99), ordered[-1], len(ordered), method)


def calibrate(
    gateway_url: str,
    fake_urls: Mapping[str, str],
    prompts: Sequence[Mapping[str, Any]],
    n: int = CALIBRATION_REQUESTS,
) -> Overhead:
    """Measure the overhead; the fakes' fault plans are left empty (the caller pushes the run's next)."""
    if not prompts:
        raise CalibrationError("calibration: the run has no prompts to send")
    quiet = {"faults": [], "time_scale": 1.0, "baseline": LatencyDist.constant(0.0).to_json(),
             "epoch": time.monotonic()}
    for provider, url in fake_urls.items():
        r = httpx.put(url + "/_control/faults", json=quiet, timeout=_TIMEOUT_S)
        if r.status_code != 200:
            raise CalibrationError(f"calibration: the {provider} fake refused the quiet plan: {r.text[:300]}")
    took: list[float] = []
    with httpx.Client(base_url=gateway_url, timeout=_TIMEOUT_S) as client:
        for i in range(_WARMUP + n):
            row = prompts[i % len(prompts)]
            body = {"prompt": f"{row['prompt']} (calibración {i})", "prompt_id": f"calibration-{i}"}
            if row.get("reference_date"):
                body["reference_date"] = row["reference_date"]
            start = time.perf_counter()
            try:
                r = client.post(_PATH, json=body)
            except httpx.HTTPError as exc:
                raise CalibrationError(f"calibration request {i}: {type(exc).__name__}: {exc}") from None
            elapsed = time.perf_counter() - start
            if r.status_code != 200:
                raise CalibrationError(
                    f"calibration request {i}: the stack answered {r.status_code} with no fault active: "
                    f"{r.text[:200]}"
                )
            if i >= _WARMUP:
                took.append(elapsed)
    return summarise(took, f"{n} sequential requests (httpx, after {_WARMUP} warm-up) through gateway, proxy "
                           "and fakes with zero injected latency, before t=0")
