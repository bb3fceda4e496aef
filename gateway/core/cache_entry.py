"""A cache entry of the request path: what identifies an answer (``CacheSpec``) and how a completion is stored.

Pure: no I/O, no clock.  Its own module so that ``llm_flow`` stays the flow itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..outcomes import Completion, Usage
from ..policy.cache_policy import cache_key
from .effects import CacheGet

__all__ = ["CacheSpec", "decode_completion", "encode_completion"]


# One encoder for every entry (json.dumps with options builds a new one per call); same output.
_ENTRY = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def encode_completion(c: Completion) -> str:
    return _ENTRY.encode(
        {"provider": c.provider, "model": c.model, "text": c.text,
         "prompt_tokens": c.usage.prompt_tokens, "completion_tokens": c.usage.completion_tokens})


#: every cache hit decodes its entry again; ``Completion`` is immutable, so a decoded entry is shared
#: (by its text, bounded; a full memo stops growing)
_DECODED: dict[str, Completion] = {}
_DECODED_MAX = 16384


def decode_completion(raw: str) -> Completion | None:
    """A cached completion, or None when the entry is unreadable (treated as a miss)."""
    found = _DECODED.get(raw) if type(raw) is str else None
    if found is None:
        found = _decode_completion(raw)
        if found is not None and type(raw) is str and len(_DECODED) < _DECODED_MAX:
            _DECODED[raw] = found
    return found


def _decode_completion(raw: str) -> Completion | None:
    try:
        d = json.loads(raw)
        return Completion(
            provider=str(d["provider"]), model=str(d["model"]), text=str(d["text"]),
            usage=Usage(int(d["prompt_tokens"]), int(d["completion_tokens"])),
        )
    except (ValueError, KeyError, TypeError):
        return None


@dataclass(frozen=True, slots=True)
class CacheSpec:
    """What identifies an answer: the task, the user's prompt and the parameters.

    Its key is worked out on the first ``key()`` and kept (even memoised, ``cache_key`` took ~0.8 us, asked
    once a hit and twice a miss): the params are read then, so a spec's params must not change after.
    ``lookup`` keeps the lookup effect of that key the same way (the flows keep their specs per prompt, so
    a hit yields a kept ``CacheGet`` instead of building one).
    """

    task: str
    prompt: str
    params: Mapping[str, object]
    #: opt in to the similarity index (only for prompts a user typed)
    similar: bool = False
    _key: str | None = field(default=None, init=False, repr=False, compare=False)
    _lookup: CacheGet | None = field(default=None, init=False, repr=False, compare=False)

    def key(self) -> str:
        found = self._key
        if found is None:
            found = cache_key(self.task, self.prompt, self.params)
            object.__setattr__(self, "_key", found)   # frozen: the key is the spec's, worked out once
        return found

    def lookup(self) -> CacheGet:
        """The effect that looks this spec's key up (``CacheGet(key())``), built on first ask and kept."""
        found = self._lookup
        if found is None:
            found = CacheGet(self.key())
            object.__setattr__(self, "_lookup", found)   # frozen: a pure function of the key, kept
        return found
