"""Fixtures of the live end-to-end tests: the library runs, started once and shared."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from .support import LiveRuns

#: fixture name -> library scenario; a module's fixture of that name reads the run of that scenario
SCENARIO_FIXTURES = {
    "circuit_breaker_run": "circuit-breaker",
    "provider_down_run": "provider-down",
    "total_outage_run": "total-outage",
    "rate_limit_storm_run": "rate-limit-storm",
}


@pytest.fixture(scope="session", autouse=True)
def live_runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveRuns]:
    """Start, in the background, every library run that a selected test will read.

    Autouse, so the runs start as soon as the session reaches ``tests/live`` and the quick tests
    (bad input, schema, ...) proceed meanwhile.  ``LLMDRILL_LIVE_PARALLEL`` caps concurrent runs.
    """
    wanted: set[str] = set()
    for item in request.session.items:
        names = getattr(item, "fixturenames", ())
        wanted |= {SCENARIO_FIXTURES[f] for f in names if f in SCENARIO_FIXTURES}
        if "library_run" in names:   # the module fixture parametrized over library scenarios
            wanted.add(getattr(item, "callspec").params["library_run"])  # noqa: B009 (only pytest.Function has it)
    parallel = int(os.environ.get("LLMDRILL_LIVE_PARALLEL", "2"))
    runs = LiveRuns(tmp_path_factory.mktemp("library-runs"), sorted(wanted), parallel)
    yield runs
    runs.close()
