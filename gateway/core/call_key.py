"""A user request's id and the key of each provider call it makes: one definition for live and twin.

The fakes draw a call's fate (the fault engine's decision and the answer) from
``call_rng(seed, key)``.  The twin keys the n-th provider call of a request's
flow ``call_key(request_id, n)``; the live gateway sends the same number to the
fakes as ``x-llmdrill-call-key`` when the harness asks for it
(``harness.call_keys``), so request 17's second attempt meets the same fate in
both.  ``n`` counts the flow's ``CallProvider`` effects in the order it yields
them, which both interpreters see identically because the flow is the same code.

Pure: no I/O.
"""

from __future__ import annotations

__all__ = ["CALLS_PER_REQUEST", "CALL_KEY_HEADER", "MAX_CALL_KEY", "MAX_REQUEST_ID", "REQUEST_ID_HEADER", "call_key",
           "parse_request_id"]

#: keys are ``request_id * CALLS_PER_REQUEST + n``; a request's attempt cap is far below it
CALLS_PER_REQUEST = 64
#: the largest key the fakes accept (a signed 64-bit integer), so the largest request id whose keys fit
MAX_CALL_KEY = (1 << 63) - 1
MAX_REQUEST_ID = (MAX_CALL_KEY - (CALLS_PER_REQUEST - 1)) // CALLS_PER_REQUEST
#: what the load generator sends: the open-model schedule's arrival id
REQUEST_ID_HEADER = "x-llmdrill-request-id"
#: what the gateway sends the fakes (``fake_providers.servers.chat.CALL_KEY_HEADER``; a test keeps them equal)
CALL_KEY_HEADER = "x-llmdrill-call-key"
#: a request id is at most this many digits (``MAX_REQUEST_ID`` has 17): refuse a huge header before int()
_MAX_DIGITS = len(str(MAX_REQUEST_ID))


def call_key(request_id: int, n: int) -> int:
    """The RNG key of the ``n``-th provider call (0-based) of request ``request_id``.

    A flow that made more than ``CALLS_PER_REQUEST`` calls would share keys with the next request; the
    attempt caps (``router.max_attempts`` per LLM step, two steps a request) keep it far below that.
    """
    return request_id * CALLS_PER_REQUEST + n


def parse_request_id(text: str) -> int:
    """A request id header's value; ``ValueError`` naming the header unless it is 0..``MAX_REQUEST_ID``."""
    value = text.strip()
    # isdigit alone admits other scripts' digits ("١٢"), which int() would read: ASCII only
    if not (value.isascii() and value.isdigit()) or len(value) > _MAX_DIGITS or int(value) > MAX_REQUEST_ID:
        # cut after repr: 40 unusual characters can escape to 400 (``'\U0001f600'``), and a huge header is
        # never echoed whole
        shown = repr(value)
        shown = shown if len(shown) <= 60 else shown[:60] + "..."
        raise ValueError(f"{REQUEST_ID_HEADER}: expected an integer 0..{MAX_REQUEST_ID}, got {shown}")
    return int(value)
