"""What is wrong with a scenario file, and where: ``file:line: field: message``."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Problem", "ScenarioError", "suggest"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One defect of a scenario file. ``line`` is 1-based; 0 when no line applies (a missing file)."""

    file: str
    line: int
    field_path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line > 0 else self.file
        return (
            f"{where}: {self.field_path}: {self.message}" if self.field_path else f"{where}: {self.message}"
        )


class ScenarioError(Exception):
    """A scenario could not be loaded; carries every problem found, in file order."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            raise ValueError("ScenarioError needs at least one problem")
        self.problems: tuple[Problem, ...] = tuple(sorted(problems, key=lambda p: (p.file, p.line)))
        super().__init__("\n".join(str(p) for p in self.problems))


def suggest(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the nearest candidate, or an empty string."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
