"""Reading a scenario file: bytes → text → YAML with lines → validated :class:`~scenarios.schema.Scenario`.

Every way a file can be wrong ends as a :class:`~scenarios.problems.ScenarioError`
that names the file (and the line and field when there is one): a missing file,
a directory, bytes that are not UTF-8, an empty file, bad YAML, a top level
that is not a mapping, or any schema problem.
"""

from __future__ import annotations

from pathlib import Path

from scenarios.build import build_scenario
from scenarios.problems import Problem, ScenarioError
from scenarios.schema import Scenario
from scenarios.yamltree import parse_yaml

__all__ = ["MAX_FILE_BYTES", "load_scenario", "load_scenario_text"]

#: A scenario is a page of YAML; a bigger file is almost surely the wrong file.
MAX_FILE_BYTES = 1_000_000


def load_scenario_text(text: str, filename: str = "<scenario>") -> Scenario:
    """Validate scenario ``text``; ``filename`` is only used to name the file in errors."""
    if len(text) > MAX_FILE_BYTES:
        raise ScenarioError([Problem(filename, 0, "", f"file is larger than {MAX_FILE_BYTES} bytes")])
    if text.startswith("\ufeff"):  # a BOM from a Windows editor is harmless; drop it
        text = text[1:]
    if not text.strip():
        raise ScenarioError(
            [
                Problem(
                    filename,
                    1,
                    "",
                    "file is empty; a scenario is a YAML mapping with name, duration, load...",
                )
            ]
        )
    return build_scenario(parse_yaml(text, filename), filename)


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate the scenario file at ``path``."""
    file = str(path)
    target = Path(path)
    try:
        if target.is_dir():
            raise ScenarioError([Problem(file, 0, "", "is a directory, not a scenario file")])
        size = target.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError([Problem(file, 0, "", f"file is larger than {MAX_FILE_BYTES} bytes")])
        data = target.read_bytes()
    except FileNotFoundError:
        raise ScenarioError([Problem(file, 0, "", "no such file")]) from None
    except OSError as exc:
        raise ScenarioError([Problem(file, 0, "", f"cannot read: {exc.strerror or exc}")]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ScenarioError(
            [
                Problem(
                    file,
                    line,
                    "",
                    f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                    f"{exc.start}); save the file as UTF-8",
                )
            ]
        ) from None
    return load_scenario_text(text, file)
