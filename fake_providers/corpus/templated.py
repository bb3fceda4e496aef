"""The "templated" style: one sentence with the contact, day and time filled in.  Pure: no I/O."""

from __future__ import annotations

import random
from datetime import date, timedelta

from fake_providers.corpus.gold import GoldCase

__all__ = ["TEMPLATED_LIMIT", "templated_case"]

# The "templated" style: what a booking form or a chat widget sends. Prompts differ only in the
# contact, the day and the time, so near-duplicates abound: the traffic on which a fuzzy cache
# (the runbook's similarity > 0.9) serves one user's appointment to another.
_TEMPLATE = "Hola, quisiera agendar una cita para {fecha} a las {hora} con {contacto} en la clínica Norte, gracias."
_T_CONTACTS = ("Dr. Pérez", "Dra. Núñez", "Dr. Muñoz", "Dra. Ibáñez", "Dr. Gómez", "Dra. Peña", "Dr. López",
               "Dra. Sánchez")
_T_DAYS = (("hoy", 0), ("mañana", 1), ("pasado mañana", 2))
_T_TIMES = (("9am", "09:00"), ("10am", "10:00"), ("11am", "11:00"), ("12pm", "12:00"), ("3pm", "15:00"),
            ("4pm", "16:00"), ("5pm", "17:00"), ("6pm", "18:00"))

#: how many distinct prompts the style has
TEMPLATED_LIMIT = len(_T_CONTACTS) * len(_T_DAYS) * len(_T_TIMES)


def templated_case(rng: random.Random, index: int, reference: date) -> GoldCase:
    contact = rng.choice(_T_CONTACTS)
    day, offset = rng.choice(_T_DAYS)
    label, hhmm = rng.choice(_T_TIMES)
    return GoldCase(
        id=f"t{index:06d}",
        prompt=_TEMPLATE.format(fecha=day, hora=label, contacto=contact),
        contacto=contact, fecha=day, fecha_iso=(reference + timedelta(days=offset)).isoformat(),
        hora=label, hora_hhmm=hhmm, lugar="clínica Norte",
    )
