"""Knowing when a started child is ready: the address on its first line, or an HTTP answer.

A child announces readiness by printing its address as the first line of stdout
(``docs/contracts.md`` section 5).  Either wait ends early, with a
``StartupError`` showing the child's stderr, when the child dies first.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request

from .child_process import ManagedProcess, StartupError
from .process_groups import POLL_S

__all__ = ["first_line", "wait_http_ready"]

#: between two HTTP polls: an answer is a request to the child, so not as often as a file read
_HTTP_POLL_S = 0.05


def first_line(proc: ManagedProcess, timeout_s: float) -> str:
    """The first line ``proc`` prints on stdout (its address)."""
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
            raise StartupError(proc.name, f"exited with code {code} before printing its address", proc.stderr_tail())
        if time.monotonic() >= deadline:
            raise StartupError(proc.name, f"printed no address within {timeout_s:g} s", proc.stderr_tail())
        time.sleep(POLL_S)


def wait_http_ready(url: str, timeout_s: float = 20.0, process: ManagedProcess | None = None) -> None:
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
        time.sleep(_HTTP_POLL_S)
