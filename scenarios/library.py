"""The scenario library shipped with llmdrill (``scenarios/library/*.yaml``, package data)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scenarios.loader import load_scenario
from scenarios.problems import Problem, ScenarioError, suggest

__all__ = ["ScenarioSummary", "find", "library_dir", "list_library"]


@dataclass(frozen=True, slots=True)
class ScenarioSummary:
    name: str
    file: Path
    description: str
    duration_s: float
    time_scale: float

    @property
    def wall_s(self) -> float:
        """How long a live run of it takes."""
        return self.duration_s * self.time_scale


def library_dir() -> Path:
    return Path(__file__).resolve().parent / "library"


def _library_files() -> list[Path]:
    return sorted(library_dir().glob("*.yaml"))


def list_library() -> list[ScenarioSummary]:
    """Every library scenario, loaded and validated, sorted by name."""
    out = []
    for path in _library_files():
        scenario = load_scenario(path)
        out.append(
            ScenarioSummary(
                scenario.name, path, scenario.description, scenario.duration_s, scenario.time_scale
            )
        )
    return sorted(out, key=lambda s: s.name)


def find(name_or_path: str | Path) -> Path:
    """A scenario file from a path, or from a library name (``high-latency`` or ``high-latency.yaml``)."""
    text = str(name_or_path)
    candidate = Path(text)
    if candidate.is_file():
        return candidate
    names = {path.stem: path for path in _library_files()}
    stem = text[:-5] if text.endswith(".yaml") else text[:-4] if text.endswith(".yml") else text
    if stem in names:
        return names[stem]
    if candidate.is_dir():
        raise ScenarioError([Problem(text, 0, "", "is a directory, not a scenario file")])
    raise ScenarioError(
        [
            Problem(
                text,
                0,
                "",
                f"no such file, and no library scenario {stem!r}"
                f"{suggest(stem, names)}; library: {', '.join(sorted(names))}",
            )
        ]
    )
