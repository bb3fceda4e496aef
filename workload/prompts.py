"""The prompts the load generator sends, with optional gold entities.

A prompts file is a JSON list of ``{"id", "prompt", "reference_date"}`` objects;
gold entities come either nested (``"gold": {"contacto", "fecha_iso",
"hora_hhmm"}``) or as top-level keys, so a dump of the corpus's ``GoldCase``
objects is a valid prompts file as it is.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from units.json_file import JsonFileError, read_json_file
from units.keyed_blocks import block_choice_of
from units.keyed_random import STREAM_PROMPT, keyed_below

__all__ = ["Gold", "Prompt", "PromptsError", "choose_prompt", "load_prompts", "normalise", "parse_prompts",
           "prompt_chooser"]

_GOLD_KEYS = ("contacto", "fecha_iso", "hora_hhmm")
_ORIGINAL_KEYS = ("fecha", "hora")


class PromptsError(ValueError):
    """A prompts file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True, slots=True)
class Gold:
    contacto: str | None
    fecha_iso: str | None
    hora_hhmm: str | None
    # the date and time as the prompt writes them ("mañana", "10am"): what a chat answer carries
    # (docs/contracts.md section 2); None where the prompts file does not say
    fecha: str | None = None
    hora: str | None = None


@dataclass(frozen=True, slots=True)
class Prompt:
    id: str
    prompt: str
    reference_date: str | None = None
    gold: Gold | None = None

    def body(self) -> dict[str, str]:
        out = {"prompt": self.prompt, "prompt_id": self.id}
        if self.reference_date is not None:
            out["reference_date"] = self.reference_date
        return out


def _opt_str(entry: dict[str, Any], key: str, where: str) -> str | None:
    value = entry.get(key)
    if value is not None and not isinstance(value, str):
        raise PromptsError(f"{where}.{key}: expected a string or null, got {type(value).__name__}")
    return value


def _parse_entry(entry: object, where: str) -> Prompt:
    if not isinstance(entry, dict):
        raise PromptsError(f"{where}: expected an object, got {type(entry).__name__}")
    pid, text = entry.get("id"), entry.get("prompt")
    if not isinstance(pid, str) or not pid:
        raise PromptsError(f"{where}.id: expected a non-empty string, got {pid!r}")
    if not isinstance(text, str) or not text:
        raise PromptsError(f"{where}.prompt: expected a non-empty string, got {text!r}")
    ref = _opt_str(entry, "reference_date", where)
    if ref is not None:
        try:
            date.fromisoformat(ref)
        except ValueError:
            raise PromptsError(f"{where}.reference_date: expected YYYY-MM-DD, got {ref!r}") from None
    gold_src: dict[str, Any] | None = None
    gold_where = where
    if "gold" in entry and entry["gold"] is not None:
        if not isinstance(entry["gold"], dict):
            raise PromptsError(f"{where}.gold: expected an object, got {type(entry['gold']).__name__}")
        gold_src, gold_where = entry["gold"], f"{where}.gold"
    elif any(k in entry for k in _GOLD_KEYS):
        gold_src = entry
    gold = None
    if gold_src is not None:
        gold = Gold(*(_opt_str(gold_src, k, gold_where) for k in (*_GOLD_KEYS, *_ORIGINAL_KEYS)))
    return Prompt(pid, text, ref, gold)


def parse_prompts(data: object, source: str = "<prompts>") -> tuple[Prompt, ...]:
    if not isinstance(data, list):
        raise PromptsError(f"{source}: expected a JSON list of prompts, got {type(data).__name__}")
    if not data:
        raise PromptsError(f"{source}: the prompts list is empty")
    prompts = tuple(_parse_entry(e, f"{source}[{i}]") for i, e in enumerate(data))
    seen: set[str] = set()
    for i, p in enumerate(prompts):
        if p.id in seen:
            raise PromptsError(f"{source}[{i}].id: duplicate id {p.id!r}")
        seen.add(p.id)
    return prompts


def load_prompts(path: str | Path) -> tuple[Prompt, ...]:
    try:
        data = read_json_file(path, "prompts file")
    except JsonFileError as exc:
        raise PromptsError(str(exc)) from None
    return parse_prompts(data, str(path))


def choose_prompt(prompts: Sequence[Prompt], seed: int, request_id: int) -> Prompt:
    """The prompt of one request: a pure function of (seed, id), so anyone can recompute it."""
    return prompts[keyed_below(seed, STREAM_PROMPT, request_id, len(prompts))]


def prompt_chooser(prompts: Sequence[Prompt], seed: int) -> Callable[[int], Prompt]:
    """``choose_prompt(prompts, seed, ·)`` for a caller that chooses for every request: the same prompts.

    The draw's seed, stream and count are worked out once here, not per request (the twin), and the draws
    made for a block of request ids at a time (``units.keyed_blocks``: ~15,800 instructions a request
    before).
    """
    return block_choice_of(seed, STREAM_PROMPT, prompts)


#: every answer's three entities and their gold are normalised again: results by text, bounded (pure)
_NORMALISED: dict[str, str] = {}


def normalise(text: str) -> str:
    """Compare names as a person would: case, accents' encoding and spacing do not matter."""
    found = _NORMALISED.get(text)
    if found is None:
        found = " ".join(unicodedata.normalize("NFC", text).casefold().split())
        if len(_NORMALISED) < 65536 and type(text) is str:
            _NORMALISED[text] = found
    return found
