"""The pure, seeded provider model: fault plans, the decisions they make, and the replies.

``plan`` (rules, one kind per module, registered by name) → ``engine.decide``
(a ``Decision``, ``decisions.py``) → ``reply.reply`` (what the provider says,
``answers``/``broken_bodies``, and when) → ``reply.serve`` (its service queue).
No I/O anywhere in this package: times are passed in, randomness is a seeded
``random.Random``.  The live fakes (``servers/``) only play a reply out on the
wire; the SimPy twin uses it directly.  Nothing here imports ``servers``.
"""

from fake_providers.faults.capacity import CapacityModel
from fake_providers.faults.decisions import (
    BAD_JSON_VARIANTS,
    BadJson,
    CapacityTicket,
    Decision,
    Hang,
    HttpError,
    Normal,
    QualityLoss,
    Refuse,
    Reset,
    ResponseOutcome,
    StreamShape,
)
from fake_providers.faults.durations import parse_duration
from fake_providers.faults.engine import DEFAULT_BASELINE, FaultEngine, RequestInfo
from fake_providers.faults.latency import LatencyDist
from fake_providers.faults.plan import PROVIDER_NAMES, FaultPlan, FaultPlanError, FaultRule, Match
from fake_providers.faults.quota import QuotaBuckets, QuotaVerdict, QuotaView

__all__ = [
    "BAD_JSON_VARIANTS",
    "DEFAULT_BASELINE",
    "PROVIDER_NAMES",
    "BadJson",
    "CapacityModel",
    "CapacityTicket",
    "Decision",
    "FaultEngine",
    "FaultPlan",
    "FaultPlanError",
    "FaultRule",
    "Hang",
    "HttpError",
    "LatencyDist",
    "Match",
    "Normal",
    "QualityLoss",
    "QuotaBuckets",
    "QuotaVerdict",
    "QuotaView",
    "Refuse",
    "RequestInfo",
    "Reset",
    "ResponseOutcome",
    "StreamShape",
    "parse_duration",
]
