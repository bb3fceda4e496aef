"""The seeded gold corpus of Spanish appointment prompts (contract section 3).

Each case is generated *from* its answer: a target date and time are drawn
first and then written out as a Spanish expression, so ``fecha_iso`` and
``hora_hhmm`` are right by construction instead of by a second parser (this
package may not import ``gateway``).  ``gold`` holds the case and the booking
rule, ``varied`` and ``templated`` the two writing styles, ``generate`` the
seeded generator and the lookup index.

Labelling conventions, shared with the parsing agent's LLM contract:

- ``contacto`` is the person with their title as written ("Dr. Pérez",
  "Dra. Ana Núñez", "Ana Gómez"), without "con", "el", "la", "al".
- ``fecha`` and ``hora`` are substrings of the prompt without a leading
  article or preposition: "próximo lunes" (not "el próximo lunes"),
  "5 de marzo", "3 de la tarde" (not "a las 3 de la tarde"), "mediodía".
- ``lugar`` is what follows "en" and its article: "clínica Norte", "Polanco".

Weekdays ("el lunes", "el próximo lunes") resolve to the first such day
strictly after the reference date (1..7 days ahead); day-and-month dates to
their next occurrence on or after it.

Pure: no I/O, no clock, no imports from other project packages.
"""

from fake_providers.corpus.generate import CORPORA, CorpusIndex, default_corpus, generate_corpus
from fake_providers.corpus.gold import OPENING_HOURS, REFERENCE_DATE, GoldCase, is_bookable

__all__ = [
    "CORPORA",
    "OPENING_HOURS",
    "REFERENCE_DATE",
    "CorpusIndex",
    "GoldCase",
    "default_corpus",
    "generate_corpus",
    "is_bookable",
]
