"""A progress bar with an ETA, on stderr: redrawn in place on a terminal, one line per point otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress", "clock_text"]


def clock_text(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    def __init__(self, total: int, stream: TextIO | None = None, width: int = 30) -> None:
        self.total, self.width = total, width
        self.stream = stream or sys.stderr
        self.done = 0
        self.started = time.monotonic()
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def line(self, now: float | None = None) -> str:
        elapsed = (time.monotonic() if now is None else now) - self.started
        share = self.done / self.total if self.total else 1.0
        filled = int(share * self.width)
        eta = "?" if not self.done else clock_text(elapsed / self.done * (self.total - self.done))
        return (f"[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total} points "
                f"{share * 100:3.0f}%  elapsed {clock_text(elapsed)}  ETA {eta}")

    def step(self, note: str = "") -> None:
        self.done += 1
        text = self.line() + (f"  {note}" if note else "")
        if self.tty:
            end = "\n" if self.done >= self.total else ""
            self.stream.write(f"\r\x1b[2K{text}{end}")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
