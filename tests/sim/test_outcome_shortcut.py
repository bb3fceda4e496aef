"""The twin maps the core's body to a record without the JSON round trip, and writes it from the values the
record would have, without building the record; the record must not change."""

from __future__ import annotations

from dataclasses import asdict, fields
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from drill.command_inputs import load_named
from drill.sim_command import sim_setup
from gateway.service.http import json_bytes
from sim import run as sim_run
from sim.scenario import simulate
from workload import outcome


@pytest.mark.parametrize("scenario", ["quality-drop", "total-outage", "fuzzy-cache-hazard"])
def test_the_decoded_body_gives_the_record_the_bytes_give(scenario: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    direct = outcome.answered_values

    def both(rid: int, intended_s: float, sent_s: float, latency_s: float, status: int, data: Any,
             prompt_id: str | None, gold: Any) -> Any:
        fast = direct(rid, intended_s, sent_s, latency_s, status, data, prompt_id, gold)
        body = b"" if data is None else json_bytes(data)
        record = outcome.answered(rid, intended_s, sent_s, latency_s, status, body, prompt_id, gold)
        # the same values in field order: the same line
        assert list(zip([f.name for f in fields(record)], fast, strict=True)) == list(asdict(record).items())
        seen.append(rid)
        return fast

    # the twin's view of workload.outcome, with the shortcut checked against the bytes path on every answer
    monkeypatch.setattr(sim_run, "outcome", SimpleNamespace(failed=outcome.failed, lost=outcome.lost,
                                                            answered_values=both))
    simulate(sim_setup(load_named(scenario), {}), tmp_path)
    assert len(seen) > 100
