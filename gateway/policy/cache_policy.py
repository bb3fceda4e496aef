"""Cache policy: exact keys and the TTL/LRU memory cache (the guarded similarity lookup is ``similarity``).

Pure: no I/O, no clock (expiry is judged against the ``now`` the caller passes).
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections import OrderedDict
from collections.abc import Mapping

from ._validate import check_int

__all__ = [
    "MemoryCache",
    "cache_key",
    "normalise_prompt",
]

# One encoder for every key (json.dumps with options builds a new one per call); same output.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def normalise_prompt(text: str) -> str:
    """Unicode NFC, casefold, whitespace runs collapsed to one space, stripped."""
    if not isinstance(text, str):
        raise ValueError(f"normalise_prompt: expected a string, got {type(text).__name__}")
    if text.isascii():
        # ASCII is already NFC and its casefold is lower(): the common case skips both passes.
        return " ".join(text.lower().split())
    # NFC before and after casefold: casefold can decompose (e.g. "İ"), and keys must be stable.
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
    # str.split() and the regex's \s agree on every code point (both are str.isspace()).
    return " ".join(folded.split())


#: ``cache_key`` is pure and every request of a prompt asks it again (twice, on a miss): its results by
#: (model, prompt, params with their types — 1 and True key apart), bounded; a full memo stops growing.
#: Only plain parameter values are memoised: inside a tuple, 1 == True would share a key.
_KEYS: dict[tuple[str, str, tuple[tuple[str, type, object], ...]], str] = {}
_KEYS_MAX = 65536
_PLAIN = frozenset({str, int, float, bool, type(None)})


def cache_key(model: str, prompt: str, params: Mapping[str, object]) -> str:
    """sha256 hex over canonical JSON of model, normalised prompt and sorted params."""
    memo = None
    if type(model) is str and type(prompt) is str and type(params) is dict:
        # no params (the parse call's) is the common ask: its key without the generator and the all()
        typed = tuple((k, type(v), v) for k, v in params.items()) if params else ()
        if not typed or all(t in _PLAIN for _, t, _ in typed):
            memo = (model, prompt, typed)
            found = _KEYS.get(memo)
            if found is not None:
                return found
    key = _cache_key(model, prompt, params)
    if memo is not None and len(_KEYS) < _KEYS_MAX:
        _KEYS[memo] = key
    return key


def _cache_key(model: str, prompt: str, params: Mapping[str, object]) -> str:
    if not isinstance(model, str):
        raise ValueError(f"cache_key: model must be a string, got {model!r}")
    if not isinstance(params, Mapping):
        raise ValueError(f"cache_key: params must be a mapping, got {type(params).__name__}")
    for name in params:
        if not isinstance(name, str):
            raise ValueError(f"cache_key: parameter names must be strings, got {name!r}")
    # 0 and 0.0 ask the provider the same thing: integral floats key as integers.
    plain = {k: (int(v) if type(v) is float and v.is_integer() else v) for k, v in params.items()}
    doc = {"model": model, "prompt": normalise_prompt(prompt), "params": plain}
    try:
        canonical = _CANONICAL.encode(doc)
    except (TypeError, ValueError) as exc:
        bad = next((k for k, v in params.items() if not _jsonable(v)), "?")
        raise ValueError(f"cache_key: parameter {bad!r} is not a plain JSON value ({exc})") from None
    # A lone surrogate (a JSON \\ud800 escape decodes to one) has no UTF-8 form: hash its code point as is.
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _jsonable(value: object) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


# -- stores --------------------------------------------------------------------------------------


class MemoryCache:
    """Bounded LRU cache with per-entry TTL judged against the passed ``now``."""

    __slots__ = ("_data", "evictions", "max_entries")

    def __init__(self, max_entries: int = 10_000) -> None:
        check_int("MemoryCache", "max_entries", max_entries, minimum=1)
        self.max_entries = max_entries
        self._data: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self.evictions = 0

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: str, now: float) -> str | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        value, expires_at = entry
        if now >= expires_at:
            del self._data[key]
            return None
        self._data.move_to_end(key)
        return value

    def set(self, key: str, value: str, now: float, ttl_s: float) -> None:
        if isinstance(ttl_s, bool) or not isinstance(ttl_s, int | float) or not ttl_s > 0:
            raise ValueError(f"MemoryCache.set({key!r}): ttl_s must be a number > 0, got {ttl_s!r}")
        data = self._data
        data[key] = (value, now + ttl_s)
        data.move_to_end(key)
        while len(data) > self.max_entries:
            data.popitem(last=False)
            self.evictions += 1

    def delete(self, key: str) -> bool:
        return self._data.pop(key, None) is not None

    def clear(self) -> None:
        self._data.clear()
