"""The HTTP API on the wire: paths, status codes, error bodies and headers, as Toxiproxy answers."""

from __future__ import annotations

import requests
from proxy_helpers import EchoServer, connect, listen_port, round_trip


def _err(response: requests.Response, status: int, needle: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) >= {"error", "status"}
    assert body["status"] == status
    assert needle in body["error"], body


def test_create_answers_201_with_the_bound_port(api: str, echo: EchoServer) -> None:
    r = requests.post(api + "/proxies", json={"name": "a", "upstream": echo.address}, timeout=5)
    assert r.status_code == 201
    body = r.json()
    assert body["name"] == "a" and body["upstream"] == echo.address and body["enabled"] is True
    assert body["toxics"] == [] and listen_port(body) > 0
    assert r.headers["X-Toxiproxy-Request-Id"]
    assert round_trip(connect(listen_port(body))) < 1.0


def test_index_is_an_object_keyed_by_name(api: str, echo: EchoServer) -> None:
    for name in ("one", "two"):
        requests.post(api + "/proxies", json={"name": name, "upstream": echo.address}, timeout=5)
    body = requests.get(api + "/proxies", timeout=5).json()
    assert set(body) == {"one", "two"}
    assert all(set(p) == {"name", "listen", "upstream", "enabled", "toxics"} for p in body.values())


def test_create_errors(api: str, echo: EchoServer) -> None:
    _err(requests.post(api + "/proxies", json={"upstream": echo.address}, timeout=5), 400, "name")
    _err(requests.post(api + "/proxies", json={"name": "x"}, timeout=5), 400, "upstream")
    _err(requests.post(api + "/proxies", data=b"{nope", timeout=5), 400, "bad request body")
    no_port = {"name": "x", "upstream": "nocolon"}
    _err(requests.post(api + "/proxies", json=no_port, timeout=5), 400, "upstream")
    _err(requests.post(api + "/proxies", json={"name": "x", "upstream": echo.address, "listen": "0.0.0.0:0"},
                       timeout=5), 400, "--allow-remote")
    _err(requests.post(api + "/proxies", json={"name": "x", "upstream": "10.1.2.3:80"}, timeout=5), 400,
         "not loopback")
    assert requests.post(api + "/proxies", json={"name": "x", "upstream": echo.address}, timeout=5).ok
    _err(requests.post(api + "/proxies", json={"name": "x", "upstream": echo.address}, timeout=5), 409,
         "already exists")


def test_show_update_delete(api: str, echo: EchoServer) -> None:
    created = requests.post(api + "/proxies", json={"name": "p", "upstream": echo.address}, timeout=5).json()
    assert requests.get(api + "/proxies/p", timeout=5).json() == created
    _err(requests.get(api + "/proxies/missing", timeout=5), 404, "proxy not found")
    r = requests.patch(api + "/proxies/p", json={"enabled": False}, timeout=5)
    assert r.status_code == 200 and r.json()["enabled"] is False
    r = requests.post(api + "/proxies/p", json={"enabled": True}, timeout=5)  # deprecated POST still works
    assert r.status_code == 200 and r.json()["enabled"] is True
    assert r.json()["listen"] == created["listen"]  # comes back on the same port
    r = requests.delete(api + "/proxies/p", timeout=5)
    assert r.status_code == 204 and r.content == b""
    _err(requests.delete(api + "/proxies/p", timeout=5), 404, "proxy not found")


def test_toxic_crud(api: str, echo: EchoServer) -> None:
    requests.post(api + "/proxies", json={"name": "t", "upstream": echo.address}, timeout=5)
    url = api + "/proxies/t/toxics"
    r = requests.post(url, json={"type": "latency", "attributes": {"latency": 10}}, timeout=5)
    assert r.status_code == 200
    assert r.json() == {"attributes": {"latency": 10, "jitter": 0}, "name": "latency_downstream",
                        "type": "latency", "stream": "downstream", "toxicity": 1.0}
    _err(requests.post(url, json={"type": "latency"}, timeout=5), 409, "toxic already exists")
    _err(requests.post(url, json={"type": "nope"}, timeout=5), 400, "invalid toxic type")
    _err(requests.post(url, json={"type": "latency", "name": "s", "stream": "x"}, timeout=5), 400, "stream")
    _err(requests.post(url, json={"type": "latency", "name": "b", "attributes": {"latency": "slow"}},
                       timeout=5), 400, "attributes.latency")
    missing = api + "/proxies/none/toxics"
    _err(requests.post(missing, json={"type": "latency"}, timeout=5), 404, "proxy not found")
    assert [t["name"] for t in requests.get(url, timeout=5).json()] == ["latency_downstream"]
    change = {"attributes": {"jitter": 3}, "toxicity": 0.5}
    r = requests.patch(url + "/latency_downstream", json=change, timeout=5)
    assert r.status_code == 200
    assert r.json()["attributes"] == {"latency": 10, "jitter": 3} and r.json()["toxicity"] == 0.5
    assert requests.get(url + "/latency_downstream", timeout=5).json() == r.json()
    _err(requests.get(url + "/nope", timeout=5), 404, "toxic not found")
    _err(requests.patch(url + "/nope", json={}, timeout=5), 404, "toxic not found")
    assert requests.delete(url + "/latency_downstream", timeout=5).status_code == 204
    _err(requests.delete(url + "/latency_downstream", timeout=5), 404, "toxic not found")


def test_reset_reenables_and_clears(api: str, echo: EchoServer) -> None:
    requests.post(api + "/proxies", json={"name": "r", "upstream": echo.address, "enabled": False}, timeout=5)
    requests.post(api + "/proxies/r/toxics", json={"type": "timeout", "stream": "upstream"}, timeout=5)
    r = requests.post(api + "/reset", timeout=5)
    assert r.status_code == 204
    body = requests.get(api + "/proxies/r", timeout=5).json()
    assert body["enabled"] is True and body["toxics"] == []


def test_populate(api: str, echo: EchoServer) -> None:
    proxies = [{"name": "p1", "upstream": echo.address}, {"name": "p2", "upstream": echo.address}]
    r = requests.post(api + "/populate", json=proxies, timeout=5)
    assert r.status_code == 201
    first = {p["name"]: p for p in r.json()["proxies"]}
    assert set(first) == {"p1", "p2"}
    # Same listen and upstream: kept (same port); a changed upstream replaces the proxy.
    again = [{"name": "p1", "upstream": echo.address, "listen": first["p1"]["listen"]}]
    r = requests.post(api + "/populate", json=again, timeout=5)
    assert r.status_code == 201 and r.json()["proxies"][0]["listen"] == first["p1"]["listen"]
    r = requests.post(api + "/populate", json=[{"name": "p3"}], timeout=5)
    _err(r, 400, "proxy 1: upstream")
    assert r.json()["proxies"] == []
    _err(requests.post(api + "/populate", json={"name": "p"}, timeout=5), 400, "array")
    assert "p3" not in requests.get(api + "/proxies", timeout=5).json()


def test_version_browser_guard_and_unknown_routes(api: str) -> None:
    r = requests.get(api + "/version", timeout=5)
    assert r.status_code == 200 and r.json()["version"].startswith("2.")
    r = requests.get(api + "/proxies", headers={"User-Agent": "Mozilla/5.0 (X11)"}, timeout=5)
    _err(r, 403, "User agent not allowed")
    assert r.headers["X-Toxiproxy-Request-Id"]
    _err(requests.get(api + "/nowhere", timeout=5), 404, "not found")
    _err(requests.put(api + "/proxies", json={}, timeout=5), 405, "method not allowed")
    ids = {requests.get(api + "/version", timeout=5).headers["X-Toxiproxy-Request-Id"] for _ in range(3)}
    assert len(ids) == 3


def test_browser_shaped_requests_are_refused(api: str, echo: EchoServer) -> None:
    # Issue 8: Host (DNS rebinding), Origin and a cross-site body type, beyond Toxiproxy's agent check.
    body = {"name": "b", "upstream": echo.address}
    _err(requests.post(api + "/proxies", json=body, headers={"Host": "rebind.attacker.test"}, timeout=5),
         403, "headers.host")
    _err(requests.post(api + "/proxies", json=body, headers={"Origin": "http://evil.example"}, timeout=5),
         403, "headers.origin")
    _err(requests.post(api + "/proxies", data=b'{"name": "b", "upstream": "x:1"}',
                       headers={"Content-Type": "text/plain"}, timeout=5), 415, "headers.content-type")
    _err(requests.post(api + "/reset", headers={"Origin": "null"}, timeout=5), 403, "headers.origin")
    assert requests.get(api + "/proxies", timeout=5).json() == {}, "nothing was created"
    # What toxiproxy-python and curl-with-a-type send still works, as does a loopback Origin.
    ok = requests.post(api + "/proxies", json=body, headers={"Origin": "http://localhost:3000"}, timeout=5)
    assert ok.status_code == 201, ok.text
    assert requests.post(api + "/reset", timeout=5).status_code == 204


def test_out_of_range_toxic_attributes_are_400_with_the_bound(api: str, echo: EchoServer) -> None:
    assert requests.post(api + "/proxies", json={"name": "r", "upstream": echo.address}, timeout=5).status_code == 201
    for value in (1e300, 2**63, 10**400):
        r = requests.post(api + "/proxies/r/toxics", json={"type": "latency", "attributes": {"latency": value}},
                          timeout=5)
        _err(r, 400, "at most 9223372036854775807")
    assert requests.get(api + "/proxies/r/toxics", timeout=5).json() == []
