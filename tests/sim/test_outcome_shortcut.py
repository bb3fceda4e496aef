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
from gateway.core.parse_outcome import ParseOutcome
from gateway.service.http import json_bytes
from gateway.service.render import parse_body
from reports.records import RequestRecord
from sim import run as sim_run
from sim.kept_records import kept_answer_values
from sim.scenario import simulate
from workload import outcome


@pytest.mark.parametrize("scenario", ["quality-drop", "total-outage", "fuzzy-cache-hazard"])
def test_the_decoded_body_gives_the_record_the_bytes_give(scenario: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    names = [f.name for f in fields(RequestRecord)]

    def check(status: int, data: Any, gold: Any, fast: tuple[Any, ...]) -> None:
        # the twin's answer values (kept or not) are the record's fields from ``outcome`` to ``agent_s``
        body = b"" if data is None else json_bytes(data)
        record = asdict(outcome.answered(7, 1.0, 1.0, 0.5, status, body, "p", gold))
        assert list(zip(names[4:22], fast, strict=True)) == list(record.items())[4:22]
        assert outcome.answered_values(7, 1.0, 1.0, 0.5, status, data, "p", gold) == (7, 1.0, 1.0, 0.5, *fast,
                                                                                       "p", None)
        seen.append(status)

    def kept(result: ParseOutcome, gold: Any) -> tuple[Any, ...]:
        fast = kept_answer_values(result, gold)
        check(result.status, parse_body(result), gold, fast)
        return fast

    def plain(status: int, data: Any, gold: Any) -> tuple[Any, ...]:
        fast = outcome.answer_values(status, data, gold)
        check(status, data, gold, fast)
        return fast

    # the twin's view of workload.outcome, with the shortcut checked against the bytes path on every answer
    monkeypatch.setattr(sim_run, "kept_answer_values", kept)
    monkeypatch.setattr(sim_run, "outcome", SimpleNamespace(failed=outcome.failed, lost=outcome.lost,
                                                            answer_values=plain))
    simulate(sim_setup(load_named(scenario), {}), tmp_path)
    assert len(seen) > 100
