"""Reading a run directory and writing its report files: the only module here that touches disk.

A run directory holds ``requests.jsonl``, ``calls.jsonl``, ``events.jsonl`` (streamed as things
happen) and ``run.json`` (a ``RunInfo``).  A killed run leaves a truncated last line: it is skipped
and counted, never a crash.  Any other unreadable line is skipped too and named (file:line) in
``problems``, which the report shows.  Records are streamed from the files into columns
(``reports.columns``): a day-long run is never held as objects.  A missing ``calls.jsonl`` or
``events.jsonl`` reads as empty; a missing directory or ``requests.jsonl`` is a ``RunDataError``.
``prompts.json`` (the live run's prompts, ``workload.prompts``), when there, gives the wrong-answer
examples their prompt text.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from .columns import CallColumns, CallColumnsBuilder, RequestColumns, RequestColumnsBuilder
from .plots import render_plots
from .records import (
    CallRecord,
    EventRecord,
    RequestRecord,
    call_from_dict,
    event_from_dict,
    request_from_dict,
)
from .report import Report
from .runinfo import RunInfo, RunInfoError
from .write_html import render_html
from .write_json import render_json
from .write_junit import render_junit
from .write_markdown import render_markdown

__all__ = [
    "REPORT_FILES",
    "LoadedRun",
    "ReadTally",
    "RunDataError",
    "iter_jsonl",
    "load_run",
    "read_jsonl",
    "read_prompt_texts",
    "write_all",
]

REPORT_FILES = ("report.json", "report.md", "junit.xml", "report.html")

T = TypeVar("T")


class RunDataError(ValueError):
    """A run directory that cannot be read: names the path and what is wrong."""


@dataclass(frozen=True, slots=True)
class LoadedRun:
    info: RunInfo
    requests: RequestColumns
    calls: CallColumns
    events: tuple[EventRecord, ...]
    truncated_lines: int
    problems: tuple[str, ...]
    prompts: Mapping[str, str] = field(default_factory=dict)  # prompt id -> text (prompts.json)


def _need_numbers(data: dict[str, Any], *keys: str) -> None:
    for key in keys:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"field {key!r} must be a number, not {value!r}")


def _request(data: dict[str, Any]) -> RequestRecord:
    _need_numbers(data, "intended_s")
    if not isinstance(data.get("outcome"), str):
        raise ValueError(f"field 'outcome' must be a string, not {data.get('outcome')!r}")
    for key in ("sent_s", "latency_s", "agent_s", "confidence"):
        if data.get(key) is not None:
            _need_numbers(data, key)
    for key in ("served", "gold"):
        # a wrong answer's evidence only illustrates: a malformed one is dropped, the record kept
        value = data.get(key)
        if value is not None and not (
            isinstance(value, dict) and all(v is None or isinstance(v, str) for v in value.values())
        ):
            data = {**data, key: None}
    return request_from_dict(data)


def _call(data: dict[str, Any]) -> CallRecord:
    _need_numbers(data, "t_s", "latency_s")
    if not isinstance(data.get("provider"), str) or not isinstance(data.get("result"), str):
        raise ValueError("fields 'provider' and 'result' must be strings")
    return call_from_dict(data)


def _event(data: dict[str, Any]) -> EventRecord:
    _need_numbers(data, "t_s")
    if not isinstance(data.get("kind"), str) or not isinstance(data.get("detail", {}), dict):
        raise ValueError("field 'kind' must be a string and 'detail' an object")
    return event_from_dict(data)


@dataclass(slots=True)
class ReadTally:
    """What reading JSONL files skipped: truncated last lines and per-line problems."""

    truncated: int = 0
    problems: list[str] = field(default_factory=list)


def iter_jsonl(path: Path, convert: Callable[[dict[str, Any]], T], tally: ReadTally) -> Iterator[T]:
    """The records of one JSONL file, line by line (the file is never held whole); what is skipped
    goes to ``tally``."""
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line.decode("utf-8"))
                if not isinstance(data, dict):
                    raise ValueError(f"expected a JSON object, got {type(data).__name__}")
                record = convert(data)
            except (ValueError, TypeError, UnicodeDecodeError) as exc:
                if not line.endswith(b"\n"):  # only the last line of a cut-short file lacks one
                    tally.truncated += 1
                    tally.problems.append(f"{path.name}:{number}: truncated last line skipped (the run was cut short)")
                else:
                    tally.problems.append(f"{path.name}:{number}: unreadable record skipped: {str(exc)[:120]}")
                continue
            yield record


def read_jsonl(path: Path, convert: Callable[[dict[str, Any]], T]) -> tuple[list[T], int, list[str]]:
    """Records of one JSONL file, the number of truncated last lines (0 or 1) and per-line problems."""
    tally = ReadTally()
    out = list(iter_jsonl(path, convert, tally))
    return out, tally.truncated, tally.problems


def read_prompt_texts(path: Path) -> tuple[dict[str, str], list[str]]:
    """Prompt id -> text of a prompts file; what cannot be read is a problem, never a crash."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return {}, [f"{path.name}: unreadable, the wrong-answer examples show prompt ids only: {str(exc)[:120]}"]
    if not isinstance(data, list):
        return {}, [f"{path.name}: expected a list of prompts, got {type(data).__name__}"]
    out = {
        str(e["id"]): e["prompt"]
        for e in data
        if isinstance(e, dict) and isinstance(e.get("id"), str | int) and isinstance(e.get("prompt"), str)
    }
    return out, []


def load_run(run_dir: str | os.PathLike[str]) -> LoadedRun:
    root = Path(run_dir)
    if not root.is_dir():
        raise RunDataError(f"{root}: not a run directory (it does not exist or is not a directory)")
    if not (root / "requests.jsonl").is_file():
        raise RunDataError(f"{root / 'requests.jsonl'}: missing; a run directory holds the run's requests")
    info_path = root / "run.json"
    problems: list[str] = []
    if info_path.is_file():
        try:
            info = RunInfo.from_dict(json.loads(info_path.read_text(encoding="utf-8")))
        except json.JSONDecodeError as exc:
            raise RunDataError(
                f"{info_path}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
            ) from None
        except RunInfoError as exc:
            raise RunDataError(f"{info_path}: {exc}") from None
    else:
        info = RunInfo(scenario=root.name)
        problems.append("run.json missing: scenario info, faults and expectations unknown")
    # streamed into columns: a day-long run's millions of records are never held as objects
    tally = ReadTally()
    requests = RequestColumnsBuilder().extend(iter_jsonl(root / "requests.jsonl", _request, tally)).build()
    calls = CallColumnsBuilder()
    if (root / "calls.jsonl").is_file():
        calls.extend(iter_jsonl(root / "calls.jsonl", _call, tally))
    events: list[EventRecord] = []
    if (root / "events.jsonl").is_file():
        events = list(iter_jsonl(root / "events.jsonl", _event, tally))
    prompts: dict[str, str] = {}
    if (root / "prompts.json").is_file():
        prompts, more = read_prompt_texts(root / "prompts.json")
        tally.problems += more
    return LoadedRun(
        info, requests, calls.build(), tuple(events), tally.truncated, tuple(problems + tally.problems), prompts
    )


def _write(path: Path, data: str | bytes) -> None:
    # write then rename: a reader never sees half a report
    tmp = path.with_name(path.name + ".tmp")
    if isinstance(data, str):
        tmp.write_text(data, encoding="utf-8")
    else:
        tmp.write_bytes(data)
    tmp.replace(path)


def write_all(report: Report, run_dir: str | os.PathLike[str], plots: bool = True) -> dict[str, Path]:
    """Write report.json, report.md, junit.xml, report.html and plots/*.png; return what was written."""
    root = Path(run_dir)
    root.mkdir(parents=True, exist_ok=True)
    pngs = render_plots(report) if plots else {}
    written: dict[str, Path] = {}
    for name, text in (
        ("report.json", render_json(report)),
        ("report.md", render_markdown(report)),
        ("junit.xml", render_junit(report)),
        ("report.html", render_html(report, pngs)),
    ):
        _write(root / name, text)
        written[name] = root / name
    if pngs:
        (root / "plots").mkdir(exist_ok=True)
        for name, png in pngs.items():
            _write(root / "plots" / name, png)
            written[f"plots/{name}"] = root / "plots" / name
    return written
