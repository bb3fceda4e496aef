"""The gold probe in the running service: it is sent on its own, judged, and exported as a metric.

The scripted providers answer every parse with Dr. Pérez, mañana, 10am (``conftest.GOOD``): a gold
case expecting that is judged correct, one expecting 11:00 wrong, and the metric says so.
"""

from __future__ import annotations

import asyncio
import re

import pytest

from .conftest import serve

CASE = {"prompt": "cita mañana 10am con Dr. Pérez", "reference_date": "2026-01-22",
        "contacto": "Dr. Pérez", "fecha": "2026-01-23"}


@pytest.mark.parametrize(("hora", "ratio"), [("10:00", 1.0), ("11:00", 0.0)])
def test_the_gold_probe_runs_by_itself_and_exports_its_ratio(hora: str, ratio: float) -> None:
    # time_scale 0.01: the probe every 0.3 s, its loop waking every 50 ms
    overrides = {"time_scale": 0.01, "degraded": {"enabled": True},
                 "gold_probe": {"cases": [{**CASE, "hora": hora}]}}

    async def go() -> None:
        async with serve(overrides) as (client, gw, clients):
            text = (await client.get("/metrics")).text
            assert "parsing_gold_probe_correct_ratio" not in text     # nothing judged yet: no data
            for _ in range(100):
                await asyncio.sleep(0.02)
                if gw.stack.gold_probe.answered:
                    break
            text = (await client.get("/metrics")).text
            m = re.search(r"^parsing_gold_probe_correct_ratio (\S+)$", text, re.M)
            assert m is not None, text
            assert float(m.group(1)) == ratio
            # the probe is not a user: the user-facing parse counter did not move
            assert re.search(r"^parsing_requests_total 0\.0$", text, re.M)
            assert sum(len(c.calls) for c in clients.values()) >= 1
    asyncio.run(go())
