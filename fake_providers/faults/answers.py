"""What the fake model says (contracts §2): gold answers for known parse prompts,
plausible deterministic text for anything else, with quality loss applied.

Pure: no I/O.  The gold corpus (``fake_providers.corpus``) is built on the first parse prompt.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import dataclass
from functools import lru_cache

from fake_providers.corpus import CorpusIndex, default_corpus, generate_corpus
from fake_providers.faults.decisions import QualityLoss
from fake_providers.faults.memo import Memo

__all__ = [
    "ENTITY_FIELDS",
    "NEGOTIATE_MARKER",
    "PARSE_MARKER",
    "Answer",
    "compose",
    "count_tokens",
    "split_tokens",
]

PARSE_MARKER = "llmdrill:parse-appointment/v1"
NEGOTIATE_MARKER = "llmdrill:negotiate/v1"
ENTITY_FIELDS: tuple[str, ...] = ("contacto", "fecha", "hora", "lugar")

# A wrong value for each field that is plausible but differs from any gold one.
_WRONG: dict[str, tuple[str, str]] = {
    "contacto": ("Dr. Ramírez", "Dra. Olmedo"),
    "fecha": ("pasado mañana", "próximo viernes"),
    "hora": ("9am", "6 de la tarde"),
    "lugar": ("clínica Sur", "Coyoacán"),
}
_NEGOTIATIONS = (
    "Propongo el martes a las 10:00; si no le viene bien, el miércoles a las 16:00.",
    "Ese horario está ocupado. ¿Le sirve una hora más tarde el mismo día?",
    "Confirmado. Le envío la invitación en un momento.",
)
_TITLE = r"(?:Dra?\.|Sra?\.|Lic\.|Ing\.)"
_CONTACT = re.compile(rf"{_TITLE}\s+\w+(?:\s+[A-ZÁÉÍÓÚÑ]\w+)?")
_DATE = re.compile(
    r"pasado mañana|mañana|hoy|(?:próximo\s+)?(?:lunes|martes|miércoles|jueves|viernes|sábado|domingo)"
    r"|\d{1,2} de (?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre)",
    re.IGNORECASE,
)
_TIME = re.compile(r"\d{1,2}(?::\d{2})?\s*(?:am|pm|h)\b|\d{1,2}:\d{2}|mediodía", re.IGNORECASE)
_PLACE = re.compile(r"\ben (?:el |la )?([A-ZÁÉÍÓÚÑa-záéíóúñ]+(?: [A-ZÁÉÍÓÚÑ]\w+)?)")


@dataclass(frozen=True, slots=True)
class Answer:
    """The assistant's text, and for parse prompts the entities behind it."""

    text: str
    kind: str                                   # "parse" | "negotiate" | "chat"
    entities: dict[str, str | None] | None = None
    confidence: float | None = None


#: Corpora, besides the default one, whose gold the fakes answer with: (seed, n, style).
_EXTRA_CORPORA: list[tuple[int, int, str]] = []


def know_corpus(seed: int, n: int, style: str = "varied") -> None:
    """Also answer the prompts of ``generate_corpus(seed, n, style=style)`` with their gold."""
    if (seed, n, style) not in _EXTRA_CORPORA:
        _EXTRA_CORPORA.append((seed, n, style))
        _index.cache_clear()
        _CLEAN.clear()


@lru_cache(maxsize=1)
def _index() -> CorpusIndex:
    cases = list(default_corpus())
    for seed, n, style in _EXTRA_CORPORA:
        cases.extend(generate_corpus(seed=seed, n=n, style=style))
    return CorpusIndex(cases)


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


#: Answers without quality loss, by (system, prompt): those draw nothing from ``rng``, so they are
#: a pure function of the prompt (and of the known corpora: ``know_corpus`` clears this).
_CLEAN: Memo[Answer] = Memo(4096)


def compose(system: str, prompt: str, quality: QualityLoss | None, rng: random.Random) -> Answer:
    if quality is not None:
        return _compose(system, prompt, quality, rng)
    key = (system, prompt)
    return _CLEAN.get(key) or _CLEAN.put(key, _compose(system, prompt, None, rng))


def _compose(system: str, prompt: str, quality: QualityLoss | None, rng: random.Random) -> Answer:
    if PARSE_MARKER in system:
        return _parse_answer(prompt, quality, rng)
    if NEGOTIATE_MARKER in system:
        return Answer(_NEGOTIATIONS[_digest(prompt) % len(_NEGOTIATIONS)], "negotiate")
    words = " ".join(prompt.split()[:12])
    return Answer(f"Entendido. Sobre «{words}»: aquí tiene una respuesta breve y útil.", "chat")


def _parse_answer(prompt: str, quality: QualityLoss | None, rng: random.Random) -> Answer:
    case = _index().lookup(prompt)
    entities: dict[str, str | None]
    if case is not None:
        entities = {"contacto": case.contacto, "fecha": case.fecha, "hora": case.hora, "lugar": case.lugar}
        confidence = 0.88 + (_digest(prompt) % 10) / 100     # 0.88..0.97, stable per prompt
    else:
        entities = _guess(prompt)
        confidence = 0.75
    if quality is not None:
        entities = _degrade(entities, quality, rng)
        if quality.confidence is not None:
            confidence = quality.confidence
    body = {**entities, "confidence": round(confidence, 2)}
    return Answer(json.dumps(body, ensure_ascii=False), "parse", entities, round(confidence, 2))


def _guess(prompt: str) -> dict[str, str | None]:
    """A plausible parse of a prompt outside the corpus: first matches of simple patterns."""
    found: dict[str, str | None] = {}
    for name, pattern in (("contacto", _CONTACT), ("fecha", _DATE), ("hora", _TIME)):
        match = pattern.search(prompt)
        found[name] = match.group(0) if match else None
    place = _PLACE.search(prompt)
    found["lugar"] = place.group(1) if place else None
    return found


def _degrade(
    entities: dict[str, str | None], quality: QualityLoss, rng: random.Random
) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in ENTITY_FIELDS:
        value = entities.get(name)
        draw = rng.random()   # one draw per field, present or not, so the stream of draws is stable
        if value is None or draw < quality.missing_rate:
            out[name] = None
        elif draw < quality.missing_rate + quality.wrong_rate:
            first, second = _WRONG[name]
            out[name] = first if value != first else second
        else:
            out[name] = value
    return out


def count_tokens(text: str) -> int:
    """Tokens as the fakes bill them: about four characters each, at least one."""
    tokens = (len(text) + 3) // 4   # ceil(len / 4), without max()'s call: 0 only for ""
    return tokens if tokens else 1


def split_tokens(text: str) -> list[str]:
    """The answer cut into ``count_tokens(text)`` stream pieces."""
    if not text:
        return [""]
    return [text[i : i + 4] for i in range(0, len(text), 4)]
