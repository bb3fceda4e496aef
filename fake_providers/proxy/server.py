"""Run the API and its proxies on one event loop: in the foreground (the CLI) or in a thread."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import threading
from collections.abc import Callable, Iterator

import uvicorn

from fake_providers.event_loop import new_event_loop

from .addresses import format_address, is_loopback_host
from .api import build_app
from .proxies import ProxyCollection

__all__ = ["ProxyServer", "new_event_loop"]


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # uvicorn re-raises the signal after shutdown, which would turn a clean stop into a
        # non-zero exit; ProxyServer.serve installs its own handlers instead.
        yield


class ProxyServer:
    """The Toxiproxy-compatible server: ``url`` is known once the API socket is bound."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, allow_remote: bool = False,
                 seed: int | None = None) -> None:
        if not allow_remote and not is_loopback_host(host):
            raise ValueError(f"API host {host!r} is not loopback; pass allow_remote=True (--allow-remote)")
        self.host = host
        self.port = port
        self.proxies = ProxyCollection(allow_remote=allow_remote, seed=seed)
        self.url = ""
        self._server: _Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        sock.listen(128)
        sock.setblocking(False)
        self.url = "http://" + format_address(self.host, sock.getsockname()[1])
        return sock

    async def serve(self, on_ready: Callable[[str], None] | None = None, *,
                    handle_signals: bool = False) -> None:
        """Serve until ``request_stop`` (or SIGINT/SIGTERM with ``handle_signals``)."""
        sock = self._bind()
        config = uvicorn.Config(build_app(self.proxies), log_level="warning", access_log=False,
                                lifespan="off")
        server = _Server(config)
        self._server = server
        self._loop = asyncio.get_running_loop()
        if handle_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._loop.add_signal_handler(sig, self.request_stop)
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            for _ in range(1000):  # readiness: bounded at 10 s
                if server.started or serving.done():
                    break
                await asyncio.sleep(0.01)
            if not server.started:
                raise OSError(f"the API server on {self.url} did not start")
            if on_ready is not None:
                on_ready(self.url)
            await serving
        finally:
            if not serving.done():
                server.should_exit = True
                await asyncio.wait([serving], timeout=10)
            await self.proxies.close()
            sock.close()

    def request_stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True

    def start_in_thread(self, timeout_s: float = 10.0) -> str:
        """Serve from a daemon thread with its own loop; returns the API URL once it answers."""
        ready = threading.Event()

        def run() -> None:
            try:
                with asyncio.Runner(loop_factory=new_event_loop) as runner:
                    runner.run(self.serve(lambda _url: ready.set()))
            except BaseException as exc:  # reported to the starting thread
                self._error = exc
                ready.set()

        self._thread = threading.Thread(target=run, name="llmdrill-proxy", daemon=True)
        self._thread.start()
        if not ready.wait(timeout_s) or self._error is not None:
            raise RuntimeError(f"proxy server did not start within {timeout_s}s: {self._error!r}")
        return self.url

    def stop_thread(self, timeout_s: float = 10.0) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self.request_stop)
            self._thread.join(timeout_s)

    def __enter__(self) -> ProxyServer:
        self.start_in_thread()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_thread()
