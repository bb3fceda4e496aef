"""The guarded similarity lookup: the most similar cached prompt, unless the two differ where it matters.

The runbook's fuzzy match (similarity > 0.9) would answer "cita mañana 10am con
Dr. Pérez" with the cached answer for "cita mañana 11am con Dr. Pérez": one
character apart, a different appointment.  ``guard_allows`` refuses any pair that
differs in a number, a time, a date expression or a proper name; ``SimilarityIndex``
applies it unless told to reproduce the hazard (``guarded=False``).

Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass

from ._validate import check_int
from .cache_policy import normalise_prompt

__all__ = ["SimilarityIndex", "guard_allows", "similarity"]


def _grams(normalised: str) -> frozenset[str]:
    padded = f" {normalised} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def similarity(a: str, b: str) -> float:
    """Jaccard index of the character 3-gram sets of the normalised prompts, in [0, 1].

    Each prompt is normalised (``normalise_prompt``) and padded with one space at each
    end, so word edges count; equal normalised prompts score 1.0, disjoint ones 0.0.
    """
    na, nb = normalise_prompt(a), normalise_prompt(b)
    if na == nb:
        return 1.0
    return _jaccard(_grams(na), _grams(nb))


# -- the guard -----------------------------------------------------------------------------------

_WORD = re.compile(r"\w+")
_AMPM = re.compile(r"\b([ap])\.\s?m\b\.?", re.IGNORECASE)
_SENTENCE_END = frozenset(".!?¡¿:;\n")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_TITLES = _words(
    "dr dra lic lcda lcdo sr sra srta ing prof profa mr mrs ms mx st don doña mtro mtra"
)
_NUMBER_WORDS = _words(
    """cero uno dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce quince
    dieciséis dieciseis diecisiete dieciocho diecinueve veinte veintiuno veintidós veintidos treinta
    cuarenta cincuenta media medio cuarto primero primer segundo tercero
    zero one two three four five six seven eight nine ten eleven twelve thirteen fifteen twenty thirty
    half quarter first second third"""
)
_DATE_TIME_WORDS = _words(
    """hoy mañana manana pasado ayer anteayer anoche tarde noche mediodía mediodia medianoche madrugada
    temprano lunes martes miércoles miercoles jueves viernes sábado sabado domingo semana finde mes año
    próximo próxima proximo proxima siguiente viene este esta
    enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre diciembre
    am pm h hrs hora horas minutos
    today tomorrow tonight yesterday morning afternoon evening noon midnight week weekend month year next
    monday tuesday wednesday thursday friday saturday sunday january february march april june july
    august september october november december"""
)


@dataclass(frozen=True, slots=True)
class _Features:
    sensitive: tuple[str, ...]   # numbers, times, date words and names, in order
    capitalised: frozenset[str]  # casefolded words written with a capital anywhere
    words: frozenset[str]        # every casefolded word


def _features(text: str) -> _Features:
    text = unicodedata.normalize("NFC", _AMPM.sub(lambda m: m.group(1) + "m", text))
    sensitive: list[str] = []
    capitalised: set[str] = set()
    words: set[str] = set()
    prev_word = ""
    for match in _WORD.finditer(text):
        token = match.group()
        folded = token.casefold()
        words.add(folded)
        if folded in _NUMBER_WORDS or any(ch.isdigit() for ch in token):
            sensitive.append("n:" + folded)
        elif folded in _DATE_TIME_WORDS:
            sensitive.append("d:" + folded)
        elif token[0].isupper():
            capitalised.add(folded)
            if prev_word in _TITLES or not _at_sentence_start(text, match.start()):
                sensitive.append("p:" + folded)
        prev_word = folded
    return _Features(tuple(sensitive), frozenset(capitalised), frozenset(words))


def _at_sentence_start(text: str, index: int) -> bool:
    i = index - 1
    while i >= 0 and text[i] in " \t\r\"'«“(":
        i -= 1
    return i < 0 or text[i] in _SENTENCE_END


def _features_allow(fa: _Features, fb: _Features) -> bool:
    if fa.sensitive != fb.sensitive:
        return False
    # A capitalised word the other prompt lacks may be a name at the start of a sentence
    # ("Pérez mañana" vs "López mañana"): refusing costs a cache miss, allowing a wrong answer.
    return fa.capitalised <= fb.words and fb.capitalised <= fa.words


def guard_allows(a: str, b: str) -> bool:
    """False whenever the prompts differ in a number, time, date expression or proper name.

    Compared in order: digits and number words, date/time words (hoy, mañana, pasado,
    weekdays, months, am/pm...), and capitalised words after a title (Dr./Dra./Lic....)
    or not at a sentence start; a capitalised word present in only one prompt also
    refuses.  Errs on the side of refusing: a refusal is only a cache miss.
    """
    return _features_allow(_features(a), _features(b))


@dataclass(frozen=True, slots=True)
class _Entry:
    key: str
    grams: frozenset[str]
    features: _Features


class SimilarityIndex:
    """Most-similar stored prompt above a threshold; scans at most ``max_entries`` (LRU-bounded)."""

    __slots__ = ("_entries", "max_entries")

    def __init__(self, max_entries: int = 1000) -> None:
        check_int("SimilarityIndex", "max_entries", max_entries, minimum=1)
        self.max_entries = max_entries
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, prompt: str, key: str) -> None:
        norm = normalise_prompt(prompt)
        self._entries[norm] = _Entry(key, _grams(norm), _features(prompt))
        self._entries.move_to_end(norm)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def find(self, prompt: str, threshold: float, guarded: bool = True) -> str | None:
        """The key of the most similar prompt with ``similarity >= threshold``, or None.

        ``guarded=False`` is the runbook's hazardous fuzzy match, kept to measure it.
        """
        if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 < threshold <= 1:
            raise ValueError(f"SimilarityIndex.find: threshold must be in (0, 1], got {threshold!r}")
        norm = normalise_prompt(prompt)
        feats = _features(prompt) if guarded else None
        exact = self._entries.get(norm)
        if exact is not None and (feats is None or _features_allow(feats, exact.features)):
            return exact.key
        grams = _grams(norm)
        size = len(grams)
        best_key: str | None = None
        best = threshold
        for entry in self._entries.values():
            other = len(entry.grams)
            # Jaccard <= min/max of the set sizes: skip what cannot reach the bar without intersecting.
            if min(size, other) < best * max(size, other):
                continue
            score = _jaccard(grams, entry.grams)
            if score >= best and (feats is None or _features_allow(feats, entry.features)):
                best, best_key = score, entry.key
        return best_key
