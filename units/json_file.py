"""A JSON file read whole, its failures said as ``PATH: line L column C: invalid JSON (why)``.

The load generator's config and the prompts file are both read this way, by different packages
(``drill.load.config`` and ``workload.prompts``); one reader keeps their messages the same.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["JsonFileError", "read_json_file"]


class JsonFileError(ValueError):
    """A file that cannot be read, or is not JSON; the message names the file (and line and column)."""


def read_json_file(path: str | Path, what: str) -> Any:
    """The JSON value in ``path``; ``what`` names the file in the message when it cannot be read."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise JsonFileError(f"{path}: cannot read {what} ({reason})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise JsonFileError(f"{path}: line {exc.lineno} column {exc.colno}: invalid JSON ({exc.msg})") from None
    except RecursionError:
        raise JsonFileError(f"{path}: invalid JSON (nested too deeply)") from None
