from __future__ import annotations

import pytest
from provider_wire import SPECS, Spec


@pytest.fixture(params=sorted(SPECS))
def spec(request: pytest.FixtureRequest) -> Spec:
    return SPECS[request.param]
