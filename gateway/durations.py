"""Durations in the gateway's config: the one grammar of ``units.durations``, raising ``ValueError``."""

from __future__ import annotations

from units.durations import parse_duration as _parse

__all__ = ["parse_duration"]


def parse_duration(value: object) -> float:
    """Seconds for ``value``; raises ValueError with a message fit for a config error."""
    return _parse(value, "")
