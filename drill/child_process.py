"""Spawning one child of a run: its environment, its session, its log files, its death with us.

- A child runs in its own session (so its own process group, see
  ``drill.process_groups``); stdout and stderr go to ``<log_dir>/<name>.stdout.log``
  / ``.stderr.log`` (files, not pipes, so a chatty child can never block on a full pipe).
- A SIGKILLed supervisor runs no code, so each child is started with a parent-death
  signal (Linux ``prctl(PR_SET_PDEATHSIG, SIGKILL)``): the kernel kills it when the
  thread that started it dies.  Start children from a thread that lives as long as
  they should (the main thread, in ``llmdrill run``).
- A child must not inherit the operator's shell: :func:`child_environment` drops the
  variables that would change what the run tests (the gateway's provider pin, API keys,
  proxies, ``LLMDRILL_*``) unless the caller passes them explicitly.
"""

from __future__ import annotations

import ctypes
import os
import re
import signal
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["PROXY_VARIABLES", "ChildExit", "ManagedProcess", "StartupError", "check_name", "child_environment", "spawn"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
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


def check_name(name: str) -> None:
    if not _NAME.match(name):
        raise ValueError(f"process name {name!r}: use letters, digits, '.', '_' or '-'")


def spawn(name: str, argv: Sequence[str], log_dir: Path, env: Mapping[str, str] | None = None,
          cwd: str | Path | None = None) -> ManagedProcess:
    """Start ``argv`` as ``name``: its own session, logs under ``log_dir``, dead when we die."""
    check_name(name)
    if not argv:
        raise ValueError(f"process {name!r}: argv is empty")
    child_env = child_environment(os.environ, env)
    out_path = log_dir / f"{name}.stdout.log"
    err_path = log_dir / f"{name}.stderr.log"
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
    return ManagedProcess(name, tuple(argv), popen, out_path, err_path)
