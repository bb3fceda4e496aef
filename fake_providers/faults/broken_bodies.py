"""The exact bytes of each ``bad_json`` variant.  Pure: no I/O.

- ``truncated``: the valid JSON body cut after half its bytes (``len // 2``),
  served as ``application/json`` with a matching content-length; a stream is
  cut the same way, mid-frame, and closed.
- ``empty``: ``200``, ``application/json``, zero bytes.
- ``wrong_content_type``: ``200``, ``text/html; charset=utf-8``, the HTML page
  in ``HTML_PAGE`` (what a proxy in front of a provider serves when it breaks).
- ``prose``: a valid envelope whose assistant text is Spanish prose, not JSON.
- ``wrong_schema``: a valid envelope whose assistant text is JSON with the
  wrong keys (``name``/``date``/``time``/``location``) and no confidence.
"""

from __future__ import annotations

import json

from fake_providers.faults.answers import Answer

__all__ = ["HTML_PAGE", "envelope_text", "truncate"]

HTML_PAGE = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)


def truncate(body: bytes) -> bytes:
    return body[: len(body) // 2]


def envelope_text(variant: str, answer: Answer) -> str | None:
    """The assistant text for the variants that keep a valid envelope; None for the others."""
    entities = answer.entities or {}
    if variant == "prose":
        who = entities.get("contacto") or "la persona indicada"
        when = " ".join(v for v in (entities.get("fecha"), entities.get("hora")) if v) or "la fecha pedida"
        return f"Claro, con gusto. Entiendo que quiere una cita con {who} para {when}. ¿Desea que la confirme?"
    if variant == "wrong_schema":
        wrong = {
            "name": entities.get("contacto"),
            "date": entities.get("fecha"),
            "time": entities.get("hora"),
            "location": entities.get("lugar"),
        }
        return json.dumps(wrong, ensure_ascii=False)
    return None
