"""Keeping API keys out of every message a provider client produces.

Servers echo what they were sent (an "invalid key sk-..." body, a proxy's
debug page), so every text that leaves this package passes through here.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["REDACTED", "redact"]

REDACTED = "[redacted]"


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every occurrence of each non-empty secret replaced."""
    # Longest first, so a key that contains another key is removed whole.
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text
