"""The twin's records on disk: ``requests.jsonl``, ``calls.jsonl``, ``events.jsonl``, streamed.

Records are written as they happen (buffered, flushed every ``FLUSH_EVERY``
lines and at the end), so memory does not grow with simulated time and an
interrupted twin leaves what it simulated.  ``RecordObserver`` is the gateway
core's observer seam: calls and state events become ``CallRecord`` and
``EventRecord`` exactly as the live collector turns the gateway's event log
into them (probes are not user traffic and are not written).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import fields
from operator import attrgetter
from pathlib import Path
from typing import IO, Any

from gateway.core.observer import CallEvent, StateEvent
from reports.records import CallRecord, EventRecord, RequestRecord

from .request_line import answer_line, head_line, request_line

__all__ = ["FLUSH_EVERY", "JsonlWriter", "RecordObserver", "RunFiles"]

FLUSH_EVERY = 4096
_REQUEST_FIELDS = tuple(f.name for f in fields(RequestRecord))
_CALL_FIELDS = tuple(f.name for f in fields(CallRecord))
if _CALL_FIELDS != ("t_s", "provider", "latency_s", "result", "status", "request_id"):  # pragma: no cover
    raise ImportError(f"sim.records: RecordObserver.on_call writes CallRecord's fields by hand; now {_CALL_FIELDS}")
#: a record's values in field order, in one C call (a flat record: the field walk asdict does, without its copies)
_request_values = attrgetter(*_REQUEST_FIELDS)
_call_values = attrgetter(*_CALL_FIELDS)
#: values ``dataclasses.asdict`` copies as they are: an event detail of only these needs no deep walk
_ATOMIC = frozenset({str, int, float, bool, type(None)})
#: the line encoder: ``json.JSONEncoder(ensure_ascii=False, default=str, check_circular=False).encode``, but its
#: C encoder built once (``encode`` builds a new one per call, a fifth of a record's encoding time).  Same
#: bytes (a test checks): the C encoder writes floats with ``float.__repr__`` whatever ``floatstr`` it gets.
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str, check_circular=False)
_c_make_encoder: Callable[..., Callable[[Any, int], tuple[str, ...]]] | None = getattr(
    json.encoder, "c_make_encoder", None)


def _build_encoder() -> Callable[[dict[str, Any]], str]:
    if _c_make_encoder is None:   # pragma: no cover - a Python without the _json accelerator
        return _ENCODER.encode
    e = _ENCODER
    c = _c_make_encoder(None, e.default, json.encoder.encode_basestring, e.indent, e.key_separator,
                        e.item_separator, e.sort_keys, e.skipkeys, e.allow_nan)

    def encode(data: dict[str, Any]) -> str:
        return "".join(c(data, 0))

    return encode


_encode = _build_encoder()
_string = json.encoder.encode_basestring   # the C encoder's own string writer (ensure_ascii=False)
_INF = float("inf")
#: where ``_rounded_text`` writes a time's ``.6f`` text: no exponent in ``repr`` (from 1e-4) and a double's
#: spacing under 1e-6 (below 2**32)
_FIXED_MIN, _FIXED_MAX = 1e-4, 4294967296.0


def _rounded_text(at: float) -> str:
    """``repr(round(at, 6))`` of a finite float: a record's time, as the live collector rounds it.

    Two conversions to decimal and one back there; here one for any time from 1e-4 s to 2**32 s: ``round``
    takes the very six decimals ``.6f`` writes (both correctly rounded), and ``repr`` of their double is them
    without trailing zeros, as no other decimal of six places or fewer is within that double's spacing (a
    test checks).  Half of a call line's cost was its time.
    """
    if _FIXED_MIN <= at < _FIXED_MAX or -_FIXED_MAX < at <= -_FIXED_MIN:
        text = f"{at:.6f}".rstrip("0")
        return text + "0" if text[-1] == "." else text
    return repr(round(at, 6))


def _call_line(at: float, provider: str, latency_s: float, result: str, status: int | None,
               request_id: int | None) -> str | None:
    """A call record's line (``t_s``: ``round(at, 6)``), formatted as ``_encode`` writes it (one per provider
    call: a dict and the C encoder cost twice this), or None for a value the format does not cover, which
    ``_encode`` then takes.

    The same bytes (a test checks): a finite float is written as ``float.__repr__``, an int as
    ``int.__repr__``, a string by the encoder's own function; NaN, infinities, bools and subclasses are
    left to ``_encode``.
    """
    if (type(at) is float and type(latency_s) is float and -_INF < at < _INF and -_INF < latency_s < _INF
            and type(provider) is str and type(result) is str
            and (status is None or type(status) is int) and (request_id is None or type(request_id) is int)):
        return (f'{{"t_s": {_rounded_text(at)}, "provider": {_string(provider)}, "latency_s": {latency_s!r}, '
                f'"result": {_string(result)}, "status": {"null" if status is None else int.__repr__(status)}, '
                f'"request_id": {"null" if request_id is None else int.__repr__(request_id)}}}')
    return None


def _event_line(at: float, kind: str, detail: dict[str, Any]) -> str | None:
    """An event record's line (``t_s``: ``round(at, 6)``) as ``_encode`` writes it, for a detail of strings only
    (a shed event per refused call: ~0.6 a request with the cache off), or None, which ``_encode`` then takes.
    Same bytes (a test checks).
    """
    if not (type(at) is float and -_INF < at < _INF and type(kind) is str and type(detail) is dict):
        return None
    items = []
    for name, value in detail.items():
        if type(name) is not str or type(value) is not str:
            return None
        items.append(f"{_string(name)}: {_string(value)}")
    return f'{{"t_s": {_rounded_text(at)}, "kind": {_string(kind)}, "detail": {{{", ".join(items)}}}}}'


class JsonlWriter:
    __slots__ = ("_file", "_pending", "written")

    def __init__(self, path: Path) -> None:
        self._file: IO[str] = path.open("w", encoding="utf-8")
        self._pending: list[str] = []
        self.written = 0

    def write(self, data: dict[str, Any]) -> None:
        self.write_line(_encode(data))

    def write_line(self, line: str) -> None:
        """A record already encoded (one line, no newline in it)."""
        self._pending.append(line)
        self.written += 1
        if len(self._pending) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            # the last line's newline from the join itself: the block is not copied once more to append it
            self._pending.append("")
            self._file.write("\n".join(self._pending))
            self._pending.clear()
            self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self.flush()
            self._file.close()


class RunFiles:
    """The three record streams of one run directory."""

    def __init__(self, run_dir: Path) -> None:
        run_dir.mkdir(parents=True, exist_ok=True)
        self.requests = JsonlWriter(run_dir / "requests.jsonl")
        self.calls = JsonlWriter(run_dir / "calls.jsonl")
        self.events = JsonlWriter(run_dir / "events.jsonl")

    def request(self, record: RequestRecord) -> None:
        # a flat record: a field walk is several times cheaper than dataclasses.asdict
        self.requests.write(dict(zip(_REQUEST_FIELDS, _request_values(record), strict=True)))

    def request_values(self, values: tuple[Any, ...]) -> None:
        """A request record as ``workload.outcome.answered_values`` gives it: every field's value, in order."""
        line = request_line(values)
        if line is not None:
            self.requests.write_line(line)
        else:
            self.requests.write(dict(zip(_REQUEST_FIELDS, values, strict=True)))

    def answer(self, rid: int, intended_s: float, latency_s: float, answer: tuple[Any, ...],
               prompt_id: str | None) -> None:
        """``request_values((rid, intended_s, intended_s, latency_s, *answer, prompt_id, None))``: a request sent when
        it was meant to be, with ``workload.outcome.answer_values``' values of its answer."""
        line = answer_line(rid, intended_s, latency_s, answer, prompt_id)
        if line is not None:
            self.requests.write_line(line)
        else:   # declined by the same checks as request_line's: straight to the encoder, not through them again
            values = (rid, intended_s, intended_s, latency_s, *answer, prompt_id, None)
            self.requests.write(dict(zip(_REQUEST_FIELDS, values, strict=True)))

    def kept(self, rid: int, intended_s: float, tail: str) -> bool:
        """A request sent when it was meant to be, of a kept outcome's tail (``kept_records.kept_tail``);
        False when its id or time is not one the line covers (write it with ``answer``)."""
        line = head_line(rid, intended_s, tail)
        if line is None:
            return False
        self.requests.write_line(line)
        return True

    def call(self, record: CallRecord) -> None:
        self.calls.write(dict(zip(_CALL_FIELDS, _call_values(record), strict=True)))

    def event(self, record: EventRecord) -> None:
        self.event_of(record.t_s, record.kind, record.detail, record)

    def event_of(self, t_s: float, kind: str, detail: dict[str, Any], record: EventRecord | None = None) -> None:
        """The event record of these fields (``record``: the same as an ``EventRecord``, when there is one)."""
        # asdict deep-copies the detail (a shed event per refused call: most of the twin's event cost); a
        # detail of plain values is encoded as it is, to the same bytes.  Anything nested takes asdict's walk.
        if type(detail) is dict and all(type(v) in _ATOMIC for v in detail.values()):
            self.events.write({"t_s": t_s, "kind": kind, "detail": detail})
        else:
            self.events.write((record if record is not None else EventRecord(t_s, kind, detail)).to_dict())

    def close(self) -> None:
        for w in (self.requests, self.calls, self.events):
            w.close()


class RecordObserver:
    """The gateway core's observer, writing the run's call and event records."""

    __slots__ = ("_files",)

    def __init__(self, files: RunFiles) -> None:
        self._files = files

    def on_call(self, event: CallEvent) -> None:
        if event.probe:
            return
        # the line RunFiles.call writes of this CallRecord, without building the record or its dict (one per call)
        line = _call_line(event.started_at, event.provider, event.latency_s, event.result, event.status,
                          event.request_id)
        if line is not None:
            self._files.calls.write_line(line)
        else:
            self._files.calls.write({"t_s": round(event.started_at, 6), "provider": event.provider,
                                     "latency_s": event.latency_s, "result": event.result, "status": event.status,
                                     "request_id": event.request_id})

    def on_state(self, event: StateEvent) -> None:
        # the EventRecord's fields, without building it (a shed event per refused call)
        line = _event_line(event.at, event.kind, event.detail)
        if line is not None:
            self._files.events.write_line(line)
        else:
            self._files.event_of(round(event.at, 6), event.kind, dict(event.detail))

    def on_request(self, summary: Any) -> None:
        pass   # the runner writes the user's view of the request, as the load generator does live
