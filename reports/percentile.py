"""The one exact percentile every figure of a report uses: from raw values, never histogram buckets.

``numpy.percentile(..., method="linear")``: linear interpolation between closest ranks, numpy's default.
Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["percentile"]


def percentile(values: Sequence[float] | npt.NDArray[Any], q: float) -> float:
    """Exact percentile ``q`` (0-100) of raw values, linear interpolation (numpy ``method="linear"``)."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0:
        raise ValueError("percentile of no values")
    return float(np.percentile(arr, q, method="linear"))
