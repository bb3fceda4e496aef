"""A run's requests and calls as compact columns: what the report computes on, live or simulated.

A 24 h twin run has 4.3 M requests; as ``RequestRecord`` objects (24 fields, most of them boxed) they
take about 1.5 kB each, 7 GB in all.  Here a request costs about 100 bytes: one numpy column per
field — times and durations as float64 with NaN for None, strings as small codes into a table of
distinct values, booleans as bytes, ``bool | None`` as int8 (-1 for None).  The columns grow record
by record (``RequestColumnsBuilder``, fed from the files as they are read), so a run is never held
as objects.

What is derived from a record (``timed``, ``shed``, ``wrong``) is stored as the record's own
property said it when the row was added: ``reports.records`` stays the one definition.  A wrong
answer's evidence (``served``/``gold``) is kept for the rows that have it only, and
``CallRecord.request_id``, which no figure reads, is not kept.

Calls are ``reports.call_columns``, re-exported here; the primitives are ``reports.columnar``.
Both tables are ``Sequence``s of their records (rebuilt on access), so a caller that wants objects
still gets them; the report's own figures read the columns.  Pure: no I/O, no clock.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

from .call_columns import CallColumns, CallColumnsBuilder, call_columns
from .columnar import (
    NONE_CODE,
    BoolArray,
    Codes,
    FloatArray,
    IntArray,
    RecordTable,
    as_float,
    as_tri,
    from_tri,
    mask,
    name_of,
    optional,
    view,
)
from .records import RequestRecord

__all__ = [
    "NONE_CODE",
    "BoolArray",
    "CallColumns",
    "CallColumnsBuilder",
    "FloatArray",
    "RequestColumns",
    "RequestColumnsBuilder",
    "call_columns",
    "mask",
    "request_columns",
]

_FLOATS = ("intended_s", "sent_s", "latency_s", "agent_s", "confidence")
_FLAGS = ("cache_hit", "fallback", "degraded", "conservation", "json_error", "harness_error", "timed", "shed", "wrong")
_TRIS = ("correct", "validation_invalid", "validation_fp")
_STRINGS = ("outcome", "error", "provider", "prompt_id", "phase")


class RequestColumnsBuilder:
    """Appends requests one at a time; ``build`` returns the columns."""

    def __init__(self) -> None:
        self._id = array("q")
        self._floats = {k: array("d") for k in _FLOATS}
        self._flags = {k: array("b") for k in _FLAGS}
        self._tris = {k: array("b") for k in _TRIS}
        self._strings = {k: array("i") for k in _STRINGS}
        self._codes = {k: Codes() for k in _STRINGS}
        self._status = array("i")
        self._attempts = array("q")
        self._evidence: dict[int, tuple[dict[str, str | None] | None, dict[str, str | None] | None]] = {}

    def add(self, r: RequestRecord) -> None:
        row = len(self._id)
        self._id.append(r.id)
        f = self._floats
        f["intended_s"].append(float(r.intended_s))
        f["sent_s"].append(as_float(r.sent_s))
        f["latency_s"].append(as_float(r.latency_s))
        f["agent_s"].append(as_float(r.agent_s))
        f["confidence"].append(as_float(r.confidence))
        # unrolled, not a loop over _FLAGS/_TRIS/_STRINGS with getattr: this runs once per record
        b = self._flags
        b["cache_hit"].append(r.cache_hit)
        b["fallback"].append(r.fallback)
        b["degraded"].append(r.degraded)
        b["conservation"].append(r.conservation)
        b["json_error"].append(r.json_error)
        b["harness_error"].append(r.harness_error)
        b["timed"].append(r.timed)
        b["shed"].append(r.shed)
        b["wrong"].append(r.wrong)
        t = self._tris
        t["correct"].append(as_tri(r.correct))
        t["validation_invalid"].append(as_tri(r.validation_invalid))
        t["validation_fp"].append(as_tri(r.validation_fp))
        s, c = self._strings, self._codes
        s["outcome"].append(c["outcome"].code(r.outcome))
        s["error"].append(c["error"].code(r.error))
        s["provider"].append(c["provider"].code(r.provider))
        s["prompt_id"].append(c["prompt_id"].code(r.prompt_id))
        s["phase"].append(c["phase"].code(r.phase))
        self._status.append(NONE_CODE if r.status is None else r.status)
        self._attempts.append(r.attempts)
        if r.served is not None or r.gold is not None:
            self._evidence[row] = (r.served, r.gold)

    def extend(self, records: Iterable[RequestRecord]) -> RequestColumnsBuilder:
        for r in records:
            self.add(r)
        return self

    def build(self) -> RequestColumns:
        columns: list[array[Any]] = [*self._floats.values(), *self._flags.values(), *self._tris.values(),
                                     *self._strings.values(), self._status, self._attempts]
        lengths = {len(a) for a in columns}
        if lengths - {len(self._id)}:
            raise AssertionError(f"request columns of unequal lengths {sorted(lengths)}: add() missed one")
        return RequestColumns(
            view(self._id, np.int64),
            {k: view(v, np.float64) for k, v in self._floats.items()},
            {k: view(v, np.int8).astype(np.bool_) for k, v in self._flags.items()},
            {k: view(v, np.int8) for k, v in self._tris.items()},
            {k: view(v, np.int32) for k, v in self._strings.items()},
            {k: c.freeze() for k, c in self._codes.items()},
            view(self._status, np.int32),
            view(self._attempts, np.int64),
            dict(self._evidence),
        )


class RequestColumns(RecordTable[RequestRecord]):
    """A run's requests, column by column (see the module's docstring)."""

    def __init__(
        self,
        ids: IntArray,
        floats: dict[str, FloatArray],
        flags: dict[str, BoolArray],
        tris: dict[str, npt.NDArray[np.int8]],
        strings: dict[str, npt.NDArray[np.int32]],
        names: dict[str, tuple[str, ...]],
        status: npt.NDArray[np.int32],
        attempts: IntArray,
        evidence: dict[int, tuple[dict[str, str | None] | None, dict[str, str | None] | None]],
    ) -> None:
        self.id = ids
        self.floats, self.flags, self.tris, self.strings, self.names = floats, flags, tris, strings, names
        self.status, self.attempts, self.evidence = status, attempts, evidence

    # --- the columns the figures read ------------------------------------------------------------
    @property
    def intended_s(self) -> FloatArray:
        return self.floats["intended_s"]

    @property
    def latency_s(self) -> FloatArray:
        return self.floats["latency_s"]

    @property
    def sent(self) -> BoolArray:
        return ~np.isnan(self.floats["sent_s"])

    def outcome_is(self, outcome: str) -> BoolArray:
        names = self.names["outcome"]
        if outcome not in names:
            return np.zeros(len(self), dtype=np.bool_)
        return mask(self.strings["outcome"] == names.index(outcome))

    def provider_is(self, provider: str) -> BoolArray:
        names = self.names["provider"]
        if provider not in names:
            return np.zeros(len(self), dtype=np.bool_)
        return mask(self.strings["provider"] == names.index(provider))

    def values(self, name: str) -> FloatArray:
        """A numeric or boolean field as float64, NaN where it is None; a ``KeyError`` names a field
        the columns do not hold as a number."""
        if name in self.floats:
            return self.floats[name]
        if name in self.tris:
            return np.where(self.tris[name] < 0, np.nan, self.tris[name]).astype(np.float64)
        if name in self.flags:
            return self.flags[name].astype(np.float64)
        if name == "status":
            return np.where(self.status == NONE_CODE, np.nan, self.status).astype(np.float64)
        if name in ("attempts", "id"):
            return (self.attempts if name == "attempts" else self.id).astype(np.float64)
        raise KeyError(f"request field {name!r} is not a number")

    def known(self, name: str) -> BoolArray:
        """Rows where a field is not None."""
        if name in self.strings:
            return mask(self.strings[name] != NONE_CODE)
        return ~np.isnan(self.values(name))

    def truthy(self, name: str) -> BoolArray:
        """Rows where a field is true, as ``bool(getattr(record, name))`` says (None is false)."""
        if name in self.flags:
            return self.flags[name]
        if name in self.strings:
            return self.known(name)
        v = self.values(name)
        return mask(~np.isnan(v) & (v != 0))

    @property
    def observed_s(self) -> FloatArray:
        """When a scraped metric sees a request: answered at ``intended_s + latency_s`` (at
        ``intended_s`` if it never was) — ``reports.samples.observed_at`` over the columns."""
        lat = self.latency_s
        return self.intended_s + np.where(lat > 0, lat, 0.0)  # NaN > 0 is False

    def last_s(self) -> float:
        """The latest ``intended_s + latency_s`` (latency None as 0): where the requests end."""
        if not len(self):
            return 0.0
        return float(np.max(self.intended_s + np.nan_to_num(self.latency_s, nan=0.0)))

    def scaled(self, scale: float) -> RequestColumns:
        """Every time and duration divided by ``scale`` (wall-clock seconds -> scenario seconds)."""
        floats = dict(self.floats)
        for k in ("intended_s", "sent_s", "latency_s", "agent_s"):
            floats[k] = self.floats[k] / scale
        return RequestColumns(self.id, floats, self.flags, self.tris, self.strings, self.names, self.status,
                              self.attempts, self.evidence)

    # --- Sequence[RequestRecord] -----------------------------------------------------------------
    def __len__(self) -> int:
        return int(self.id.shape[0])

    def record(self, i: int) -> RequestRecord:
        f, n = self.floats, self.names
        served, gold = self.evidence.get(i, (None, None))
        status = int(self.status[i])
        return RequestRecord(
            id=int(self.id[i]),
            intended_s=float(f["intended_s"][i]),
            sent_s=optional(float(f["sent_s"][i])),
            latency_s=optional(float(f["latency_s"][i])),
            outcome=str(name_of(n["outcome"], int(self.strings["outcome"][i]))),
            status=None if status == NONE_CODE else status,
            error=name_of(n["error"], int(self.strings["error"][i])),
            provider=name_of(n["provider"], int(self.strings["provider"][i])),
            attempts=int(self.attempts[i]),
            cache_hit=bool(self.flags["cache_hit"][i]),
            fallback=bool(self.flags["fallback"][i]),
            degraded=bool(self.flags["degraded"][i]),
            conservation=bool(self.flags["conservation"][i]),
            confidence=optional(float(f["confidence"][i])),
            json_error=bool(self.flags["json_error"][i]),
            correct=from_tri(int(self.tris["correct"][i])),
            validation_invalid=from_tri(int(self.tris["validation_invalid"][i])),
            validation_fp=from_tri(int(self.tris["validation_fp"][i])),
            harness_error=bool(self.flags["harness_error"][i]),
            served=served,
            gold=gold,
            agent_s=optional(float(f["agent_s"][i])),
            prompt_id=name_of(n["prompt_id"], int(self.strings["prompt_id"][i])),
            phase=name_of(n["phase"], int(self.strings["phase"][i])),
        )



def request_columns(requests: Iterable[RequestRecord]) -> RequestColumns:
    """The columns of ``requests``; a ``RequestColumns`` is returned as it is."""
    if isinstance(requests, RequestColumns):
        return requests
    return RequestColumnsBuilder().extend(requests).build()
