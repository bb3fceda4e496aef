"""The owner of a run's processes: start them ready, report the first that dies, leave no orphans.

``Supervisor`` ties three concerns together, each in a module of its own:
spawning a child (``drill.child_process``: its environment, session, logs and
parent-death signal), knowing when it is ready (``drill.readiness``) and
stopping its whole process group (``drill.process_groups``).  Here live the
run-wide parts: the registry of children, the SIGINT/SIGTERM handlers and the
``atexit`` hook that stop every child when the run is interrupted, and
:meth:`Supervisor.watch`, which reports the first child that exits while it
should be running.
"""

from __future__ import annotations

import atexit
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from .child_process import ChildExit, ManagedProcess, StartupError, check_name, spawn
from .process_groups import group_alive, terminate_groups
from .readiness import first_line, wait_http_ready

# the types of Supervisor's own methods, importable with it
__all__ = ["ChildExit", "ManagedProcess", "StartupError", "Supervisor"]


class Supervisor:
    """Owns child processes for one run; use as a context manager."""

    def __init__(self, log_dir: str | Path, *, handle_signals: bool = True) -> None:
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._procs: dict[str, ManagedProcess] = {}
        self._handle_signals = handle_signals
        self._previous: dict[int, Any] = {}
        self._stopping = False
        self._stopped: set[str] = set()   # children we stopped: their exit is no death
        atexit.register(self.stop_all)

    # -- lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> Supervisor:
        if self._handle_signals and threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._on_signal)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.stop_all()
        finally:
            for sig, handler in self._previous.items():
                signal.signal(sig, handler)
            self._previous.clear()
            atexit.unregister(self.stop_all)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stop_all()
        previous = self._previous.get(signum, signal.SIG_DFL)
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:
            # die of the same signal, as if we had not been here
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)

    @property
    def processes(self) -> dict[str, ManagedProcess]:
        return dict(self._procs)

    # -- starting --------------------------------------------------------------------------------
    def start(
        self,
        name: str,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        ready_timeout_s: float = 20.0,
        *,
        wait_for_address: bool = True,
        cwd: str | Path | None = None,
    ) -> ManagedProcess:
        """Start ``argv``; unless told otherwise, wait for the address it prints on its first line."""
        check_name(name)
        if name in self._procs:
            raise ValueError(f"process name {name!r} is already in use in this run")
        proc = spawn(name, argv, self.log_dir, env, cwd)
        self._procs[name] = proc
        if wait_for_address:
            try:
                proc.address = first_line(proc, ready_timeout_s)
            except StartupError:
                terminate_groups([proc.popen], grace_s=1.0)
                raise
        return proc

    def wait_http_ready(
        self, url: str, timeout_s: float = 20.0, process: ManagedProcess | None = None
    ) -> None:
        """Poll ``url`` until it answers 2xx/3xx; StartupError on timeout or if ``process`` dies."""
        wait_http_ready(url, timeout_s, process)

    # -- watching --------------------------------------------------------------------------------
    def watch(self, on_exit: Callable[[ChildExit], None], names: Sequence[str] | None = None,
              interval_s: float = 0.1) -> Callable[[], None]:
        """Call ``on_exit`` (from a daemon thread) for the first watched child that exits; returns ``stop``.

        A child this supervisor stops is not reported: stopping the run is not a death.
        """
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(interval_s):
                for name, proc in list(self._procs.items()):
                    if (names is not None and name not in names) or name in self._stopped:
                        continue
                    code = proc.popen.poll()
                    if code is not None and name not in self._stopped and not stop.is_set():
                        on_exit(ChildExit(name, proc.pid, code, time.monotonic(), proc.stderr_tail()))
                        return

        thread = threading.Thread(target=loop, name="supervisor-watch", daemon=True)
        thread.start()

        def stop_watching() -> None:
            stop.set()
            thread.join(timeout=2 * interval_s + 1.0)

        return stop_watching

    # -- stopping --------------------------------------------------------------------------------
    def stop(self, proc: ManagedProcess, grace_s: float = 5.0) -> int | None:
        self._stopped.add(proc.name)
        terminate_groups([proc.popen], grace_s)
        return proc.popen.poll()

    def stop_all(self, grace_s: float = 5.0) -> dict[str, int | None]:
        """Stop every child (SIGTERM, then SIGKILL after ``grace_s``); returns their exit codes."""
        if self._stopping:
            return {}
        self._stopping = True
        self._stopped.update(self._procs)
        try:
            live = [p.popen for p in self._procs.values() if p.alive() or group_alive(p.pid)]
            if live:
                terminate_groups(live, grace_s)
            return {name: p.popen.poll() for name, p in self._procs.items()}
        finally:
            self._stopping = False
