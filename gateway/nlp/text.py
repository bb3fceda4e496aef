"""Text normalisation shared by the Spanish resolvers and the regex fallback.

``fold`` keeps every character at its index (same length in, same length out)
so that a match found in the folded text slices the *original* expression out
of the cleaned text. Pure: no I/O.
"""

from __future__ import annotations

import unicodedata

__all__ = ["clean", "fold"]

# Accents and case go; length stays. "ñ" folds to "n" so "manana" typed on an
# English keyboard still reads as "mañana".
_ACCENTS = str.maketrans(
    "áàâäãéèêëíìîïóòôöõúùûüñçİ",
    "aaaaaeeeeiiiiooooouuuuncI",
)


def clean(text: str) -> str:
    """Control characters become spaces and every run of whitespace one space."""
    if not text.isprintable():
        text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)
    return " ".join(text.split())


def fold(text: str) -> str:
    """Lower-case, accent-free, and exactly as long as ``text``."""
    folded = text.translate(_ACCENTS).lower().translate(_ACCENTS)
    if len(folded) == len(text):
        return folded
    # A few characters lower-case to two code points; keep those as they were.
    return "".join(low if len(low := c.lower()) == 1 else c for c in text.translate(_ACCENTS)).translate(
        _ACCENTS
    )
