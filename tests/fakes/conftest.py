from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from fake_providers.corpus import default_corpus
from fake_providers.servers import FakeCluster, run_fakes_in_thread

FAST = {"dist": "constant", "value": "5ms"}


@pytest.fixture(scope="module")
def cluster() -> Iterator[FakeCluster]:
    with run_fakes_in_thread(seed=11) as fakes:
        yield fakes


@pytest.fixture()
def fakes(cluster: FakeCluster) -> Iterator[FakeCluster]:
    """The cluster with fast baselines and no faults before and after each test."""
    for name in cluster.urls:
        httpx.post(cluster.url(name) + "/_control/reset", timeout=5).raise_for_status()
        put(cluster, name, [])
    yield cluster
    for name in cluster.urls:
        httpx.post(cluster.url(name) + "/_control/reset", timeout=5).raise_for_status()


def put(cluster: FakeCluster, provider: str, faults: list[dict[str, object]], **extra: object) -> httpx.Response:
    body = {"faults": faults, "baseline": FAST, **extra}
    response = httpx.put(cluster.url(provider) + "/_control/faults", json=body, timeout=5)
    response.raise_for_status()
    return response


@pytest.fixture(scope="session")
def gold_prompt() -> tuple[str, dict[str, object]]:
    case = default_corpus()[7]
    return case.prompt, {"contacto": case.contacto, "fecha": case.fecha, "hora": case.hora, "lugar": case.lugar}
