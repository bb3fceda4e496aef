"""A run's provider calls as compact columns (``reports.columns`` says why): start and latency as
float64, provider and result as codes, status as int32 (-1 for None).  ``CallRecord.request_id``,
which no figure reads, is not kept.

Pure: no I/O, no clock.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from .columnar import NONE_CODE, BoolArray, Codes, FloatArray, RecordTable, mask, view
from .records import CallRecord

__all__ = ["CallColumns", "CallColumnsBuilder", "call_columns"]


class CallColumnsBuilder:
    """Appends provider calls one at a time; ``build`` returns the columns."""

    def __init__(self) -> None:
        self._t = array("d")
        self._latency = array("d")
        self._status = array("i")
        self._provider = array("i")
        self._result = array("i")
        self._providers = Codes()
        self._results = Codes()

    def add(self, c: CallRecord) -> None:
        self._t.append(float(c.t_s))
        self._latency.append(float(c.latency_s))
        self._status.append(NONE_CODE if c.status is None else c.status)
        self._provider.append(self._providers.code(c.provider))
        self._result.append(self._results.code(c.result))

    def extend(self, calls: Iterable[CallRecord]) -> CallColumnsBuilder:
        for c in calls:
            self.add(c)
        return self

    def build(self) -> CallColumns:
        return CallColumns(
            view(self._t, np.float64),
            view(self._latency, np.float64),
            view(self._status, np.int32),
            view(self._provider, np.int32),
            self._providers.freeze(),
            view(self._result, np.int32),
            self._results.freeze(),
        )


class CallColumns(RecordTable[CallRecord]):
    """A run's provider calls, column by column."""

    def __init__(
        self,
        t_s: FloatArray,
        latency_s: FloatArray,
        status: npt.NDArray[np.int32],
        provider: npt.NDArray[np.int32],
        providers: tuple[str, ...],
        result: npt.NDArray[np.int32],
        results: tuple[str, ...],
    ) -> None:
        self.t_s, self.latency_s, self.status = t_s, latency_s, status
        self.provider, self.providers, self.result, self.results = provider, providers, result, results

    def provider_is(self, provider: str | None) -> BoolArray:
        """Rows of one provider's calls (every row for None)."""
        if provider is None:
            return np.ones(len(self), dtype=np.bool_)
        if provider not in self.providers:
            return np.zeros(len(self), dtype=np.bool_)
        return mask(self.provider == self.providers.index(provider))

    def result_in(self, results: Iterable[str]) -> BoolArray:
        codes = [self.results.index(r) for r in results if r in self.results]
        return np.isin(self.result, np.asarray(codes, dtype=np.int32))

    def status_in(self, statuses: Iterable[int]) -> BoolArray:
        return np.isin(self.status, np.asarray(list(statuses), dtype=np.int32))

    @property
    def observed_s(self) -> FloatArray:
        """When a call is seen: at its end (``reports.samples.observed_at`` over the columns)."""
        return self.t_s + np.maximum(self.latency_s, 0.0)

    def last_s(self) -> float:
        return float(np.max(self.t_s + self.latency_s)) if len(self) else 0.0

    def scaled(self, scale: float) -> CallColumns:
        return CallColumns(self.t_s / scale, self.latency_s / scale, self.status, self.provider, self.providers,
                           self.result, self.results)

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    def record(self, i: int) -> CallRecord:
        status = int(self.status[i])
        return CallRecord(
            float(self.t_s[i]),
            self.providers[int(self.provider[i])],
            float(self.latency_s[i]),
            self.results[int(self.result[i])],
            None if status == NONE_CODE else status,
        )



def call_columns(calls: Iterable[CallRecord]) -> CallColumns:
    """The columns of ``calls``; a ``CallColumns`` is returned as it is."""
    if isinstance(calls, CallColumns):
        return calls
    return CallColumnsBuilder().extend(calls).build()
