"""The records a run leaves behind, live or simulated.

One JSON object per line, streamed as things happen:

- ``requests.jsonl`` — one ``RequestRecord`` per user request the load generator
  *intended* to send (so an unsent or unanswered request is still a record);
- ``calls.jsonl`` — one ``CallRecord`` per upstream provider attempt the gateway made;
- ``events.jsonl`` — one ``EventRecord`` per breaker transition, mode switch,
  fault/toxic/action applied, phase change.

Times are seconds since the run started, on the run's own time base (the
monotonic clock live, ``env.now`` in the twin).  Pure data: no I/O here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

#: RequestRecord.outcome values
OK = "ok"            # 2xx from the gateway (a fallback or degraded answer is still ok)
FAILED = "failed"    # non-2xx, client timeout, refused/reset connection
LOST = "lost"        # never resolved (the run was cut short before it finished)

#: the status of a request the gateway shed (its queues were full): a refusal, not an answer
SHED_STATUS = 429
#: RequestRecord.error of a request the user gave up on
CLIENT_TIMEOUT = "client_timeout"


@dataclass(frozen=True, slots=True)
class RequestRecord:
    id: int
    intended_s: float                 # when the open-model schedule meant to send it
    sent_s: float | None              # when it actually went out (None: never sent)
    latency_s: float | None           # from the *intended* send time to the answer's end
    outcome: str                      # OK | FAILED | LOST
    status: int | None = None         # HTTP status the user saw (None: no HTTP answer)
    error: str | None = None          # e.g. "http_503", "client_timeout", "connection_refused"
    provider: str | None = None       # which provider answered (None: cache or fallback)
    attempts: int = 0                 # upstream attempts the gateway made for it
    cache_hit: bool = False
    fallback: bool = False
    degraded: bool = False
    conservation: bool = False
    confidence: float | None = None
    json_error: bool = False          # the LLM's answer was not the JSON asked for
    correct: bool | None = None       # entities matched the gold ones (None: no gold)
    validation_invalid: bool | None = None  # the gateway's validation agent said invalid (None: no say)
    validation_fp: bool | None = None # validation rejected a request whose gold is valid (None: no gold
    #                                   or no validation verdict, or the gold itself is not valid)
    harness_error: bool = False       # the load generator itself failed (a client exception), not the stack
    # a wrong answer's evidence, for the report's examples (None unless ``correct`` is False):
    # {"contacto", "fecha", "hora"} as served and as gold says (resolved date ISO, time HH:MM)
    served: dict[str, str | None] | None = None
    gold: dict[str, str | None] | None = None
    agent_s: float | None = None      # the gateway's own pipeline time for it
    prompt_id: str | None = None
    phase: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def shed(self) -> bool:
        """The gateway refused it outright (429): counted apart, not a latency sample."""
        return self.status == SHED_STATUS

    @property
    def wrong(self) -> bool:
        """An answer the user got that gold says is wrong: a 2xx with the wrong appointment."""
        return self.outcome == OK and self.correct is False

    @property
    def timed(self) -> bool:
        """A latency sample: the gateway answered (a shed excepted), or the user gave up at the timeout.

        Sheds are instant refusals and connection errors instant failures: as latency samples they would
        make a collapsing stack look fast.  A client timeout is a wait the user sat through.
        """
        if self.latency_s is None or self.shed:
            return False
        # an ok answer always counts; a failure without an HTTP answer only if the user waited it out
        return self.outcome == OK or self.status is not None or self.error == CLIENT_TIMEOUT

    @property
    def send_lag_s(self) -> float | None:
        """How late the harness sent it after its intended time (None: never sent)."""
        return None if self.sent_s is None else self.sent_s - self.intended_s


@dataclass(frozen=True, slots=True)
class CallRecord:
    t_s: float                        # when the attempt started
    provider: str
    latency_s: float
    result: str                       # "ok" or a gateway.outcomes.FailureKind value
    status: int | None = None
    request_id: int | None = None     # the RequestRecord.id it was made for (None: no id sent)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class EventRecord:
    t_s: float
    kind: str                         # "breaker" | "mode" | "fault" | "toxic" | "action" | "phase" | "run"
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_FIELD_NAMES: dict[type[Any], frozenset[str]] = {}


def _from_dict(cls: type[Any], data: dict[str, Any]) -> Any:
    # once per class, not per record: a report reads millions of them
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = frozenset(f.name for f in fields(cls))
    return cls(**{k: v for k, v in data.items() if k in names})


def request_from_dict(data: dict[str, Any]) -> RequestRecord:
    return _from_dict(RequestRecord, data)  # type: ignore[no-any-return]


def call_from_dict(data: dict[str, Any]) -> CallRecord:
    return _from_dict(CallRecord, data)  # type: ignore[no-any-return]


def event_from_dict(data: dict[str, Any]) -> EventRecord:
    return _from_dict(EventRecord, data)  # type: ignore[no-any-return]
