"""Compact JSON built from precomputed fragments, byte-identical to ``asgi.json_bytes``.

A response body is mostly constant text around a few strings and integers;
quoting just those with the encoder ``json.dumps(ensure_ascii=False)`` itself
uses, and joining them with the constant fragments, avoids walking a fresh dict
per request.
"""

from __future__ import annotations

from json.encoder import encode_basestring

__all__ = ["quote"]


def quote(text: str) -> bytes:
    """``text`` as a JSON string, exactly as ``json_bytes`` writes it."""
    return encode_basestring(text).encode("utf-8")
