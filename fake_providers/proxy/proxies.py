"""Proxies: a listener that joins each accepted client to the upstream through a Link.

Mirrors Toxiproxy's proxy.go: ``enabled: false`` closes the listener and every live connection;
changing ``listen`` or ``upstream`` restarts the proxy; a listen port of 0 is replaced by the port
actually bound, so a disabled proxy comes back on the same address.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Mapping

from .addresses import format_address, is_loopback_host, parse_address
from .errors import ApiError, bad_request, missing_field, proxy_exists, proxy_not_found
from .link import Link
from .toxic_collection import ToxicCollection

__all__ = ["DEFAULT_LISTEN", "Proxy", "ProxyCollection", "ProxyConfig", "parse_proxy_config"]

DEFAULT_LISTEN = "127.0.0.1:0"
UPSTREAM_CONNECT_TIMEOUT_S = 10.0


class ProxyConfig:
    __slots__ = ("enabled", "listen", "name", "upstream")

    def __init__(self, name: str, listen: str, upstream: str, enabled: bool) -> None:
        self.name = name
        self.listen = listen
        self.upstream = upstream
        self.enabled = enabled


def _check_address(value: object, field: str, *, listen: bool, allow_remote: bool) -> str:
    host, _port = parse_address(value, field, allow_port_zero=listen)
    if not allow_remote and not is_loopback_host(host):
        raise ApiError(f"bad request body: {field} host {host or '(every interface)'!r} is not "
                       "loopback; start the proxy with --allow-remote to allow it", 400)
    assert isinstance(value, str)
    return value


def parse_proxy_config(
    body: object, *, allow_remote: bool, where: str = "", defaults: ProxyConfig | None = None
) -> ProxyConfig:
    """Validate a proxy body; ``defaults`` fills absent fields (updates), else create defaults."""
    if not isinstance(body, Mapping):
        raise bad_request(f"{where}expected a JSON object, got {type(body).__name__}")
    name = defaults.name if defaults else body.get("name")
    if not isinstance(name, str) or not name:
        raise missing_field(f"{where}name")
    if "/" in name:
        raise bad_request(f"{where}name {name!r} may not contain '/'")
    upstream = body.get("upstream", defaults.upstream if defaults else None)
    if upstream is None or upstream == "":
        raise missing_field(f"{where}upstream")
    listen = body.get("listen", defaults.listen if defaults else DEFAULT_LISTEN) or DEFAULT_LISTEN
    enabled = body.get("enabled", defaults.enabled if defaults else True)
    if not isinstance(enabled, bool):
        raise bad_request(f"{where}enabled must be true or false, got {enabled!r}")
    upstream = _check_address(upstream, f"{where}upstream", listen=False, allow_remote=allow_remote)
    listen = _check_address(listen, f"{where}listen", listen=True, allow_remote=allow_remote)
    return ProxyConfig(name, listen, upstream, enabled)


class Proxy:
    def __init__(self, config: ProxyConfig, rng: random.Random) -> None:
        self.name = config.name
        self.listen = config.listen
        self.upstream = config.upstream
        self.enabled = False
        self.toxics = ToxicCollection()
        self._rng = rng
        self._server: asyncio.Server | None = None
        self._links: set[Link] = set()
        self._lock = asyncio.Lock()

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "listen": self.listen,
            "upstream": self.upstream,
            "enabled": self.enabled,
            "toxics": [spec.to_json() for spec in self.toxics.all()],
        }

    @property
    def link_count(self) -> int:
        return len(self._links)

    async def start(self) -> None:
        async with self._lock:
            await self._start()

    async def stop(self) -> None:
        async with self._lock:
            await self._stop()

    async def update(self, config: ProxyConfig) -> None:
        async with self._lock:
            if config.listen != self.listen or config.upstream != self.upstream:
                await self._stop()
                self.listen, self.upstream = config.listen, config.upstream
            if config.enabled and not self.enabled:
                await self._start()
            elif not config.enabled:
                await self._stop()

    async def _start(self) -> None:
        if self.enabled:
            return
        host, port = parse_address(self.listen, "listen", allow_port_zero=True)
        try:
            server = await asyncio.start_server(self._on_client, host or None, port)
        except OSError as exc:
            raise ApiError(f"listen tcp {self.listen}: {exc.strerror or exc}", 500) from exc
        self._server = server
        bound = server.sockets[0].getsockname()
        self.listen = format_address(host or bound[0], bound[1])
        self.enabled = True

    async def _stop(self) -> None:
        if not self.enabled:
            return
        self.enabled = False
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5.0)
            self._server = None
        for link in list(self._links):
            link.close()

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host, port = parse_address(self.upstream, "upstream", allow_port_zero=False)
        try:
            upstream = await asyncio.wait_for(asyncio.open_connection(host, port), UPSTREAM_CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError):
            writer.close()  # Toxiproxy too closes the client when the upstream cannot be reached
            return
        if not self.enabled:
            writer.close()
            upstream[1].close()
            return
        link = Link((reader, writer), upstream, dict(self.toxics.chains()),
                    random.Random(self._rng.getrandbits(64)), self._link_closed)
        self._links.add(link)
        self.toxics.attach(link)
        link.start()

    def _link_closed(self, link: Link) -> None:
        self._links.discard(link)
        self.toxics.detach(link)


class ProxyCollection:
    """Every proxy of one server, by name."""

    def __init__(self, *, allow_remote: bool = False, seed: int | None = None) -> None:
        self.allow_remote = allow_remote
        self._rng = random.Random(seed)
        self._proxies: dict[str, Proxy] = {}
        self._lock = asyncio.Lock()

    def all(self) -> dict[str, Proxy]:
        return dict(self._proxies)

    def get(self, name: str) -> Proxy:
        proxy = self._proxies.get(name)
        if proxy is None:
            raise proxy_not_found(name)
        return proxy

    def parse(self, body: object, where: str = "") -> ProxyConfig:
        return parse_proxy_config(body, allow_remote=self.allow_remote, where=where)

    async def create(self, body: object) -> Proxy:
        config = self.parse(body)
        async with self._lock:
            if config.name in self._proxies:
                raise proxy_exists(config.name)
            return await self._add(config)

    async def _add(self, config: ProxyConfig) -> Proxy:
        proxy = Proxy(config, random.Random(self._rng.getrandbits(64)))
        if config.enabled:
            await proxy.start()
        self._proxies[config.name] = proxy
        return proxy

    async def update(self, name: str, body: object) -> Proxy:
        proxy = self.get(name)
        current = ProxyConfig(proxy.name, proxy.listen, proxy.upstream, proxy.enabled)
        config = parse_proxy_config(body, allow_remote=self.allow_remote, defaults=current)
        await proxy.update(config)
        return proxy

    async def populate(self, body: object) -> list[Proxy]:
        """Validate every entry first, then add each; an unchanged proxy (same listen and
        upstream) is kept with its toxics and connections, a changed one is replaced."""
        if not isinstance(body, list):
            raise bad_request(f"/populate expects a JSON array of proxies, got {type(body).__name__}")
        configs = [self.parse(item, where=f"proxy {i + 1}: ") for i, item in enumerate(body)]
        names = [c.name for c in configs]
        for name in names:
            if names.count(name) > 1:
                raise bad_request(f"duplicate proxy name {name!r}")
        result = []
        async with self._lock:
            for config in configs:
                existing = self._proxies.get(config.name)
                if existing is not None:
                    if existing.listen == config.listen and existing.upstream == config.upstream:
                        result.append(existing)
                        continue
                    await existing.stop()
                    del self._proxies[config.name]
                result.append(await self._add(config))
        return result

    async def remove(self, name: str) -> None:
        async with self._lock:
            proxy = self.get(name)
            del self._proxies[name]
        await proxy.stop()

    async def reset(self) -> None:
        """POST /reset: every proxy enabled again, every toxic removed."""
        for proxy in list(self._proxies.values()):
            await proxy.start()
            await proxy.toxics.reset()

    async def close(self) -> None:
        for proxy in list(self._proxies.values()):
            await proxy.stop()
