"""Run the three fakes (qwen, claude, openai) in one event loop, each on its own loopback port.

Each fake is a uvicorn server on a socket we bind ourselves, so a ``refuse``
window can close the listening socket (connections refused) and reopen it on
the same port when the window ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import uvicorn

from fake_providers.event_loop import new_event_loop
from fake_providers.faults.latency import LatencyDist
from fake_providers.servers.app import FakeProviderApp
from fake_providers.servers.state import FakeState
from fake_providers.servers.tcp import Listener, bind_socket

__all__ = [
    "FAKE_PROVIDERS",
    "FakeCluster",
    "FakeServer",
    "new_event_loop",
    "provider_seed",
    "run_fakes_in_thread",
    "start_fakes",
]

FAKE_PROVIDERS: tuple[str, ...] = ("qwen", "claude", "openai")
_log = logging.getLogger("llmdrill.fakes")
_IDLE_CHECK_S = 1.0   # the refuse-window loop wakes at least this often


def provider_seed(seed: int, provider: str) -> int:
    """The seed of one fake's engine and call RNGs: the run's seed, offset by the provider's place, so that
    the fakes' n-th calls do not share their draws.  The twin seeds its providers with it too, or a call with
    the same key would meet another fate in the twin than at the live fake."""
    return seed + FAKE_PROVIDERS.index(provider)


def http_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class FakeServer:
    def __init__(self, provider: str, host: str = "127.0.0.1", port: int = 0, seed: int = 0,
                 baseline: LatencyDist | None = None) -> None:
        self.provider, self.host = provider, host
        self.state = FakeState(provider, seed, baseline=baseline)
        self.app = FakeProviderApp(self.state)
        self.config = uvicorn.Config(
            self.app, host=host, port=port, http="httptools", lifespan="off", log_level="warning",
            access_log=False, timeout_graceful_shutdown=2, timeout_keep_alive=30, backlog=2048,
            # Per request these cost a middleware pass over the headers and one more response header to
            # validate; a fake on loopback reads no X-Forwarded-For, and no provider says "server: uvicorn".
            proxy_headers=False, server_header=False,
        )
        self.server = uvicorn.Server(self.config)
        self._sock: socket.socket | None = None
        self._requested_port = port
        self.port = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._wake = asyncio.Event()
        self.listener: Listener | None = None

    @property
    def url(self) -> str:
        return http_url(self.host, self.port)

    def _protocol(self) -> asyncio.Protocol:
        config, server = self.config, self.server
        return config.http_protocol_class(  # type: ignore[call-arg]
            config=config, server_state=server.server_state, app_state=server.lifespan.state
        )

    async def start(self) -> None:
        if not self.config.loaded:
            self.config.load()
        self.server.lifespan = self.config.lifespan_class(self.config)
        self._sock = bind_socket(self.host, self._requested_port)
        self.port = self._sock.getsockname()[1]
        await self.server.startup(sockets=[self._sock])
        self.listener = Listener(self.host, self.port, self._protocol, on_open=self.server.servers.append)
        self.listener.adopt(self.server.servers[0])
        self.state.watch(self._wake.set)
        self._tasks = [
            asyncio.create_task(self.server.main_loop()),
            asyncio.create_task(self._refuse_windows()),
        ]

    async def stop(self) -> None:
        self.state.stopping.set()
        self.server.should_exit = True
        self._wake.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.server.shutdown(sockets=[self._sock] if self._sock else None)

    async def _refuse_windows(self) -> None:
        """Close the listener during the plan's unconditional ``connection: refuse`` windows."""
        listener = self.listener
        assert listener is not None
        while not self.state.stopping.is_set():
            self._wake.clear()
            t = self.state.plan_time()
            windows = self.state.engine.refuse_windows(self.provider)
            refuse = any(at <= t and (until is None or t < until) for at, until in windows)
            try:
                if refuse and not listener.refusing:
                    await listener.close()
                elif not refuse and listener.refusing:
                    await listener.reopen()
            except OSError as exc:   # the port was taken meanwhile: try again on the next wake-up
                _log.warning("%s fake could not reopen port %d: %s", self.provider, self.port, exc)
            edges = [edge - t for window in windows for edge in window if edge is not None and edge > t]
            timeout = max(min([*edges, _IDLE_CHECK_S]), 0.001)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
        if listener.refusing:
            with contextlib.suppress(OSError):
                await listener.reopen()


@dataclass(frozen=True, slots=True)
class FakeCluster:
    servers: dict[str, FakeServer]

    @property
    def urls(self) -> dict[str, str]:
        return {name: server.url for name, server in self.servers.items()}

    def url(self, provider: str) -> str:
        return self.servers[provider].url

    def state(self, provider: str) -> FakeState:
        return self.servers[provider].state


@contextlib.asynccontextmanager
async def start_fakes(
    host: str = "127.0.0.1", seed: int = 0, port: int = 0, baseline: LatencyDist | None = None
) -> AsyncIterator[FakeCluster]:
    """Start the three fakes; ``port`` 0 gives each an ephemeral port, N gives qwen N, claude N+1, openai N+2."""
    servers: dict[str, FakeServer] = {}
    try:
        for index, provider in enumerate(FAKE_PROVIDERS):
            fake_port = port + index if port else 0
            server = FakeServer(provider, host, fake_port, provider_seed(seed, provider), baseline)
            await server.start()
            servers[provider] = server
        yield FakeCluster(servers)
    finally:
        for server in servers.values():
            await server.stop()


@contextlib.contextmanager
def run_fakes_in_thread(
    host: str = "127.0.0.1", seed: int = 0, baseline: LatencyDist | None = None, timeout_s: float = 10.0
) -> Iterator[FakeCluster]:
    """The fakes on a background thread's event loop, for synchronous tests and tools."""
    ready: list[FakeCluster | BaseException] = []
    started = threading.Event()
    loop_box: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    async def main() -> None:
        stop = asyncio.Event()
        loop_box.append((asyncio.get_running_loop(), stop))
        try:
            async with start_fakes(host, seed, baseline=baseline) as cluster:
                ready.append(cluster)
                started.set()
                await stop.wait()
        except BaseException as exc:
            ready.append(exc)
            started.set()
            raise

    def run() -> None:
        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            runner.run(main())

    thread = threading.Thread(target=run, name="llmdrill-fakes", daemon=True)
    thread.start()
    if not started.wait(timeout_s):
        raise TimeoutError(f"the fakes did not start within {timeout_s} s")
    result = ready[0]
    if isinstance(result, BaseException):
        thread.join(timeout_s)
        raise RuntimeError(f"the fakes failed to start: {result}") from result
    try:
        yield result
    finally:
        loop, stop = loop_box[0]
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout_s)
