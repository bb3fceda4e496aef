"""TCP port bounds: one check for every ``--port`` flag and ``host:port`` field.

A service that binds ``span`` consecutive ports from a base (the fakes: one per
provider) can take a base up to ``65535 - (span - 1)``; that is the only reason two
flags accept different ranges.  Pure: no I/O.
"""

from __future__ import annotations

__all__ = ["MAX_PORT", "port_problem"]

#: the highest TCP port number
MAX_PORT = 65535


def port_problem(port: int, *, span: int = 1, lowest: int = 0) -> str | None:
    """Why ``port`` cannot be the first of ``span`` consecutive ports from ``lowest`` up, or None."""
    if span < 1:
        raise ValueError(f"port_problem: span must be >= 1, got {span}")
    highest = MAX_PORT - (span - 1)
    if isinstance(port, int) and not isinstance(port, bool) and lowest <= port <= highest:
        return None
    used = "" if span == 1 else f" (N to N+{span - 1} are used)"
    return f"expected {lowest}..{highest}{used}, got {port!r}"
