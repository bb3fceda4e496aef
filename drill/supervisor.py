"""Start the run's processes, know when they are ready, and leave no orphans behind.

Each child runs in its own session (so its own process group): stopping a child
stops everything it spawned.  A child announces readiness by printing its address
as the first line of stdout (``docs/contracts.md`` section 5); stdout and stderr
go to ``<log_dir>/<name>.stdout.log`` / ``.stderr.log`` (files, not pipes, so a
chatty child can never block on a full pipe).  SIGINT/SIGTERM handlers and an
``atexit`` hook stop every child when the run is interrupted.

Two things a handler cannot do are done at the start instead:

- a SIGKILLed supervisor runs no code, so each child is started with a parent-death
  signal (Linux ``prctl(PR_SET_PDEATHSIG, SIGKILL)``): the kernel kills it when the
  thread that started it dies.  Start children from a thread that lives as long as
  they should (the main thread, in ``llmdrill run``);
- a child must not inherit the operator's shell: :func:`child_environment` drops the
  variables that would change what the run tests (the gateway's provider pin, API keys,
  proxies, ``LLMDRILL_*``) unless the caller passes them explicitly.

:meth:`Supervisor.watch` reports the first child that exits while it should be running.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

__all__ = [
    "PROXY_VARIABLES",
    "ChildExit",
    "ManagedProcess",
    "StartupError",
    "Supervisor",
    "child_environment",
    "group_alive",
    "terminate_groups",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_POLL_S = 0.02
#: how long to wait for a SIGKILLed group to disappear before giving up on it
_KILL_WAIT_S = 5.0
_PR_SET_PDEATHSIG = 1

#: a run talks to loopback only: a proxy from the shell would route (or break) its own traffic
PROXY_VARIABLES = frozenset(
    v for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY") for v in (name, name.lower())
)
#: variables of the operator's shell that would change what a run tests: never inherited
_SHELL_ONLY = frozenset({"LLM_PROVIDER", "DASHSCOPE_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_API_KEY"}) | PROXY_VARIABLES
_SHELL_ONLY_PREFIXES = ("LLMDRILL_",)


def child_environment(base: Mapping[str, str], explicit: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` without the operator-only variables, plus ``explicit`` (which may set any of them)."""
    env = {k: v for k, v in base.items()
           if k not in _SHELL_ONLY and not k.startswith(_SHELL_ONLY_PREFIXES) and not k.endswith("_API_KEY")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(explicit or {})
    return env


def _find_prctl() -> Any:
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux: the signal handlers and atexit remain
        return None


# looked up once, in the parent: a forked child of a threaded process must not dlopen anything
_PRCTL = _find_prctl()


def _die_with(parent: int) -> Callable[[], None] | None:
    """A preexec_fn: the child gets SIGKILL when its parent dies, even of SIGKILL."""
    prctl = _PRCTL
    if prctl is None:
        return None

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() != parent:  # the parent died between fork and prctl
            os._exit(1)

    return preexec


@dataclass(frozen=True, slots=True)
class ChildExit:
    """A child that exited while the run still needed it."""

    name: str
    pid: int
    returncode: int
    at_monotonic: float
    stderr_tail: str

    def describe(self) -> str:
        how = (f"was killed by {signal.Signals(-self.returncode).name}" if self.returncode < 0
               else f"exited with code {self.returncode}")
        return f"process {self.name!r} (pid {self.pid}) {how}"


class StartupError(RuntimeError):
    """A child that died or stayed silent before it was ready; names it and shows its stderr."""

    def __init__(self, name: str, reason: str, stderr_tail: str = "") -> None:
        message = f"process {name!r} {reason}"
        if stderr_tail.strip():
            message += "\n--- last lines of its stderr ---\n" + stderr_tail.rstrip()
        super().__init__(message)
        self.name = name
        self.stderr_tail = stderr_tail


@dataclass(slots=True)
class ManagedProcess:
    name: str
    argv: tuple[str, ...]
    popen: subprocess.Popen[bytes]
    stdout_path: Path
    stderr_path: Path
    address: str | None = None

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def returncode(self) -> int | None:
        return self.popen.poll()

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stderr_tail(self, lines: int = 20) -> str:
        return _tail(self.stderr_path, lines)


def _tail(path: Path, lines: int) -> str:
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 8192))
            data = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(data.splitlines()[-lines:])


def _proc_members(pgid: int) -> list[int] | None:
    """Live (non-zombie) members of a process group, or None where /proc is unavailable."""
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    members = []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: fields resume after the last ')'
        rest = stat[stat.rfind(b")") + 2 :].split()
        if len(rest) > 2 and int(rest[2]) == pgid and rest[0] not in (b"Z", b"X"):
            members.append(int(entry))
    return members


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    members = _proc_members(pgid)
    # a group of zombies only (orphans nobody reaped yet) holds no port and runs no code
    return True if members is None else bool(members)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def terminate_groups(popens: Sequence[subprocess.Popen[bytes]], grace_s: float = 5.0) -> None:
    """SIGTERM each child's group, wait up to ``grace_s`` for all to be gone, then SIGKILL the rest."""
    groups = {p.pid: p for p in popens}
    for pgid in reversed(list(groups)):
        _signal_group(pgid, signal.SIGTERM)
    for sig, wait_s in ((None, grace_s), (signal.SIGKILL, _KILL_WAIT_S)):
        if sig is not None:
            for pgid in groups:
                if group_alive(pgid):
                    _signal_group(pgid, sig)
        deadline = time.monotonic() + max(0.0, wait_s)
        while True:
            for p in groups.values():
                p.poll()  # reap the leader so it does not linger as a zombie
            if not any(group_alive(pgid) for pgid in groups):
                return
            if time.monotonic() >= deadline:
                break
            time.sleep(_POLL_S)


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
        if not _NAME.match(name):
            raise ValueError(f"process name {name!r}: use letters, digits, '.', '_' or '-'")
        if name in self._procs:
            raise ValueError(f"process name {name!r} is already in use in this run")
        if not argv:
            raise ValueError(f"process {name!r}: argv is empty")
        child_env = child_environment(os.environ, env)
        out_path = self.log_dir / f"{name}.stdout.log"
        err_path = self.log_dir / f"{name}.stderr.log"
        with out_path.open("wb") as out, err_path.open("wb") as err:
            try:
                popen = subprocess.Popen(
                    list(argv),
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    env=child_env,
                    cwd=cwd,
                    start_new_session=True,
                    preexec_fn=_die_with(os.getpid()),
                )
            except OSError as exc:
                raise StartupError(name, f"could not be started: {argv[0]}: {exc.strerror or exc}") from None
        proc = ManagedProcess(name, tuple(argv), popen, out_path, err_path)
        self._procs[name] = proc
        if wait_for_address:
            try:
                proc.address = self._first_line(proc, ready_timeout_s)
            except StartupError:
                terminate_groups([popen], grace_s=1.0)
                raise
        return proc

    def _first_line(self, proc: ManagedProcess, timeout_s: float) -> str:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                data = proc.stdout_path.read_bytes()
            except OSError:
                data = b""
            if b"\n" in data:
                return data.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
            code = proc.popen.poll()
            if code is not None:
                raise StartupError(
                    proc.name, f"exited with code {code} before printing its address", proc.stderr_tail()
                )
            if time.monotonic() >= deadline:
                raise StartupError(
                    proc.name, f"printed no address within {timeout_s:g} s", proc.stderr_tail()
                )
            time.sleep(_POLL_S)

    def wait_http_ready(
        self, url: str, timeout_s: float = 20.0, process: ManagedProcess | None = None
    ) -> None:
        """Poll ``url`` until it answers 2xx/3xx; StartupError on timeout or if ``process`` dies."""
        name = process.name if process else url
        deadline = time.monotonic() + timeout_s
        last = "no answer"
        while True:
            if process is not None and not process.alive():
                reason = f"exited with code {process.returncode} before {url} was ready"
                raise StartupError(name, reason, process.stderr_tail())
            remaining = deadline - time.monotonic()
            try:
                with urllib.request.urlopen(url, timeout=max(0.1, min(2.0, remaining))) as resp:
                    if 200 <= resp.status < 400:
                        return
                    last = f"HTTP {resp.status}"
            except urllib.error.HTTPError as exc:
                last = f"HTTP {exc.code}"
            except (urllib.error.URLError, OSError) as exc:
                last = str(getattr(exc, "reason", exc))
            if time.monotonic() >= deadline:
                tail = process.stderr_tail() if process else ""
                raise StartupError(name, f"was not ready at {url} within {timeout_s:g} s ({last})", tail)
            time.sleep(0.05)

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
