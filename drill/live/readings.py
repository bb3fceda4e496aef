"""What the stack says at the end of a run, read while it is still up: limits and stats.

The runbook's "Paso 4" reads each provider's ``/v1/limits``; the fakes' own
counters and the gateway's last ``/metrics`` are saved beside the records.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx

from drill.supervisor import ManagedProcess
from gateway.outcomes import PROVIDERS
from reports.records import EventRecord

from .collect import JsonlAppender
from .plan import LivePlan

__all__ = ["record_limits", "save_stats"]


def record_limits(plan: LivePlan, fake_urls: dict[str, str], epoch: float, events: JsonlAppender) -> None:
    """The runbook's "Paso 4": each provider's /v1/limits, the primary's last (recovery reads the last)."""
    primary = plan.gateway.primary_provider()
    order = [p for p in PROVIDERS if p != primary] + [primary]
    for provider in order:
        try:
            limits = httpx.get(fake_urls[provider] + "/v1/limits", timeout=5).json()
            remaining = limits.get("rate_limit", {}).get("requests_remaining")
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            limits, remaining = {"error": str(exc)}, None
        # The fake speaks per minute of run time; the report reads per scenario minute (rates × s).
        if isinstance(remaining, int | float) and not isinstance(remaining, bool):
            remaining = int(remaining * plan.scenario.time_scale)
        events.write(EventRecord(round(time.monotonic() - epoch, 6), "limits",
                                 {"provider": provider, "requests_remaining": remaining, "limits": limits,
                                  "units": "requests_remaining per scenario minute; limits as the fake "
                                           "reports them, per run minute"}))


def save_stats(fake_urls: dict[str, str], gateway: ManagedProcess | None, run_dir: Path) -> None:
    stats: dict[str, Any] = {}
    for provider, url in fake_urls.items():
        try:
            stats[provider] = httpx.get(url + "/_control/stats", timeout=5).json()
        except (httpx.HTTPError, ValueError) as exc:
            stats[provider] = {"error": str(exc)}
    (run_dir / "fakes-stats.json").write_text(json.dumps(stats, indent=2, ensure_ascii=False), encoding="utf-8")
    if gateway is None:
        return
    try:
        metrics = httpx.get(f"{gateway.address}/metrics", timeout=5).text
        (run_dir / "gateway-metrics.txt").write_text(metrics, encoding="utf-8")
    except httpx.HTTPError:
        pass
