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
    validation_fp: bool | None = None # validation rejected a request whose gold is valid
    agent_s: float | None = None      # the gateway's own pipeline time for it
    prompt_id: str | None = None
    phase: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class CallRecord:
    t_s: float                        # when the attempt started
    provider: str
    latency_s: float
    result: str                       # "ok" or a gateway.outcomes.FailureKind value
    status: int | None = None
    request_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class EventRecord:
    t_s: float
    kind: str                         # "breaker" | "mode" | "fault" | "toxic" | "action" | "phase" | "run"
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _from_dict(cls: type[Any], data: dict[str, Any]) -> Any:
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


def request_from_dict(data: dict[str, Any]) -> RequestRecord:
    return _from_dict(RequestRecord, data)  # type: ignore[no-any-return]


def call_from_dict(data: dict[str, Any]) -> CallRecord:
    return _from_dict(CallRecord, data)  # type: ignore[no-any-return]


def event_from_dict(data: dict[str, Any]) -> EventRecord:
    return _from_dict(EventRecord, data)  # type: ignore[no-any-return]
