"""A thin, timeout-safe wrapper over toxiproxy-python (0.1.1), plus where to find a server.

toxiproxy-python keeps the server's host and port in class-level globals and calls
``requests.get/post/delete`` with no timeout.  ``ToxiproxyClient`` therefore binds the globals to
its own server under a process-wide lock for each call, and replaces the library's ``requests``
with a stand-in that applies the client's timeout.  What the library lacks (``GET /proxies/{p}``,
toxic updates, ``/populate``) goes over the same session directly.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import requests
import toxiproxy
import toxiproxy.api
from toxiproxy.exceptions import InvalidToxic, NotFound, ProxyExists

__all__ = [
    "InvalidToxic",
    "NotFound",
    "ProxyExists",
    "ToxiproxyClient",
    "ToxiproxyError",
    "stop_started_servers",
    "toxiproxy_url",
]

_LOCK = threading.RLock()
_STARTED: list[subprocess.Popen[bytes]] = []
_STARTED_URL: list[str] = []


class ToxiproxyError(RuntimeError):
    """The server could not be reached, timed out, or answered something unexpected."""


class _TimeoutRequests:
    """Stands in for the ``requests`` module inside ``toxiproxy.api``."""

    def __init__(self) -> None:
        self.session: requests.Session | None = None
        self.timeout_s = 5.0

    def _call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout_s)
        if self.session is None:
            return requests.request(method, url, **kwargs)
        return self.session.request(method, url, **kwargs)

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self._call("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self._call("POST", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> requests.Response:
        return self._call("DELETE", url, **kwargs)


_SHIM = _TimeoutRequests()
toxiproxy.api.requests = _SHIM


def _raise_for_status(response: requests.Response) -> requests.Response:
    # The library's own mapping, then anything else non-2xx as ToxiproxyError.
    toxiproxy.api.validate_response(response)
    if response.status_code >= 400:
        raise ToxiproxyError(f"{response.request.method} {response.url}: {response.status_code} "
                             f"{response.text.strip()}")
    return response


class ToxiproxyClient:
    """Control one Toxiproxy(-compatible) server; every call is bounded by ``timeout_s``."""

    def __init__(self, api_url: str | None = None, timeout_s: float = 5.0) -> None:
        self.api_url = (api_url or toxiproxy_url()).rstrip("/")
        parts = urlsplit(self.api_url)
        if parts.scheme != "http" or not parts.hostname or parts.port is None:
            raise ValueError(f"Toxiproxy API URL must look like http://host:port, got {api_url!r}")
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s!r}")
        self.host, self.port = parts.hostname, parts.port
        self.timeout_s = timeout_s
        self._session = requests.Session()
        self._server = toxiproxy.Toxiproxy()

    @contextmanager
    def _bound(self) -> Iterator[None]:
        with _LOCK:
            api = toxiproxy.api.APIConsumer
            saved = (api.host, api.port, _SHIM.session, _SHIM.timeout_s)
            api.host, api.port = self.host, self.port
            _SHIM.session, _SHIM.timeout_s = self._session, self.timeout_s
            try:
                yield
            except requests.Timeout as exc:
                raise ToxiproxyError(f"Toxiproxy at {self.api_url} did not answer within "
                                     f"{self.timeout_s}s") from exc
            except requests.ConnectionError as exc:
                raise ToxiproxyError(f"cannot connect to Toxiproxy at {self.api_url}: {exc}") from exc
            finally:
                api.host, api.port, _SHIM.session, _SHIM.timeout_s = saved

    def _request(self, method: str, path: str, body: object = None) -> requests.Response:
        with self._bound():
            return _raise_for_status(_SHIM._call(method, self.api_url + path, json=body))

    def _proxy(self, name: str) -> toxiproxy.Proxy:
        # The library's Proxy methods only use the name; the server answers 404 if it is unknown.
        return toxiproxy.Proxy(name=name, upstream="", enabled=True, listen="")

    # -- what toxiproxy-python supports ------------------------------------------------------
    def version(self) -> str:
        with self._bound():
            raw = self._server.version()
        if raw is None:
            raise ToxiproxyError(f"Toxiproxy at {self.api_url} is not running")
        return str(raw.decode() if isinstance(raw, bytes) else raw)

    def running(self) -> bool:
        with self._bound():
            return bool(self._server.running())

    def proxies(self) -> dict[str, toxiproxy.Proxy]:
        with self._bound():
            return dict(self._server.proxies())

    def create_proxy(self, name: str, upstream: str, listen: str = "127.0.0.1:0",
                     enabled: bool = True) -> toxiproxy.Proxy:
        with self._bound():
            return self._server.create(upstream=upstream, name=name, listen=listen, enabled=enabled)

    def destroy_proxy(self, name: str) -> bool:
        with self._bound():
            return bool(self._proxy(name).destroy())

    def enable(self, name: str) -> None:
        with self._bound():
            self._proxy(name).enable()

    def disable(self, name: str) -> None:
        with self._bound():
            self._proxy(name).disable()

    def toxics(self, proxy: str) -> dict[str, Any]:
        with self._bound():
            return dict(self._proxy(proxy).toxics())

    def add_toxic(self, proxy: str, type: str, *, name: str | None = None, stream: str = "downstream",
                  toxicity: float = 1.0, attributes: Mapping[str, int] | None = None) -> dict[str, Any]:
        toxic_name = name or f"{type}_{stream}"
        with self._bound():
            self._proxy(proxy).add_toxic(type=type, name=toxic_name, stream=stream, toxicity=toxicity,
                                         attributes=dict(attributes or {}))
        return self.get_toxic(proxy, toxic_name)

    def remove_toxic(self, proxy: str, toxic: str) -> bool:
        with self._bound():
            return bool(self._proxy(proxy).destroy_toxic(toxic))

    def reset(self) -> bool:
        with self._bound():
            return bool(self._server.reset())

    # -- what it lacks ---------------------------------------------------------------------
    def get_proxy(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self._request("GET", f"/proxies/{name}").json()
        return result

    def get_toxic(self, proxy: str, toxic: str) -> dict[str, Any]:
        result: dict[str, Any] = self._request("GET", f"/proxies/{proxy}/toxics/{toxic}").json()
        return result

    def update_proxy(self, name: str, **fields: object) -> dict[str, Any]:
        result: dict[str, Any] = self._request("PATCH", f"/proxies/{name}", fields).json()
        return result

    def update_toxic(self, proxy: str, toxic: str, *, attributes: Mapping[str, int] | None = None,
                     toxicity: float | None = None) -> dict[str, Any]:
        body: dict[str, object] = {"attributes": dict(attributes or {})}
        if toxicity is not None:
            body["toxicity"] = toxicity
        result: dict[str, Any] = self._request("PATCH", f"/proxies/{proxy}/toxics/{toxic}", body).json()
        return result

    def populate(self, proxies: list[Mapping[str, object]]) -> list[dict[str, Any]]:
        """Server-side /populate: create or replace each proxy in one call."""
        result: list[dict[str, Any]] = self._request("POST", "/populate", list(proxies)).json()["proxies"]
        return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start(argv: list[str], url: str | None, timeout_s: float) -> str:
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    _STARTED.append(proc)
    if url is None:  # ours prints its URL as the first stdout line
        assert proc.stdout is not None
        timer = threading.Timer(timeout_s, proc.kill)
        timer.start()
        line = proc.stdout.readline().decode().strip()
        timer.cancel()
        if not line.startswith("http://"):
            raise ToxiproxyError(f"{' '.join(argv)} did not print its URL within {timeout_s}s")
        url = line
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/version", timeout=1).ok:
                return url
        except requests.RequestException:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise ToxiproxyError(f"{' '.join(argv)} did not answer on {url} within {timeout_s}s")


def toxiproxy_url(*, timeout_s: float = 10.0) -> str:
    """``$TOXIPROXY_URL``; else a real ``toxiproxy-server`` on PATH, started on a free loopback port;
    else this package's server, started as a subprocess.  Started servers live until exit."""
    env = os.environ.get("TOXIPROXY_URL")
    if env:
        return env.rstrip("/")
    with _LOCK:
        if _STARTED_URL:
            return _STARTED_URL[0]
        real = shutil.which("toxiproxy-server")
        if real is not None:
            port = _free_port()
            url = _start([real, "-host", "127.0.0.1", "-port", str(port)], f"http://127.0.0.1:{port}",
                         timeout_s)
        else:
            url = _start([sys.executable, "-m", "fake_providers.proxy", "--port", "0"], None, timeout_s)
        _STARTED_URL.append(url)
        return url


def stop_started_servers() -> None:
    """Stop the servers ``toxiproxy_url`` started (also run at interpreter exit)."""
    with _LOCK:
        while _STARTED:
            proc = _STARTED.pop()
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        _STARTED_URL.clear()


atexit.register(stop_started_servers)
