"""How a game day stops: the first SIGINT/SIGTERM (or ``llmdrill gameday stop``) asks the load to end
gracefully, and the game day writes its report; a second signal aborts at once.

The signal handlers are installed only in the main thread (where Python allows them) and the previous
ones are put back on exit.
"""

from __future__ import annotations

import getpass
import signal
import threading
import time
from types import FrameType
from typing import Any

__all__ = ["GracefulStop"]


class GracefulStop:
    """The first SIGINT/SIGTERM (or ``stop``) asks the load to end; a second one aborts at once."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.at: float | None = None
        self.by = "llmdrill"
        self._previous: dict[int, Any] = {}
        # re-entrant: the signal handler runs in the main thread, possibly inside a request of its own
        self._lock = threading.RLock()

    def request(self, by: str) -> None:
        """Ask the game day to stop; the first request is the one recorded (when, and by whom)."""
        with self._lock:
            if not self.event.is_set():
                self.at, self.by = time.monotonic(), by
                self.event.set()

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt
        self.request(f"{signal.Signals(signum).name} ({getpass.getuser()})")

    def __enter__(self) -> GracefulStop:
        if threading.current_thread() is threading.main_thread():
            self._previous = {s: signal.signal(s, self.on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        return self

    def __exit__(self, *exc: object) -> None:
        for s, h in self._previous.items():
            signal.signal(s, h)
