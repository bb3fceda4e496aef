"""Toxics, one module each, registered by their Toxiproxy type name."""

from .bandwidth import BandwidthToxic, transmit_seconds
from .base import Chunk, ChunkQueue, ToxicBase, ToxicStub, create_toxic, draw_applies, register, toxic_types
from .latency import LatencyToxic, draw_delay_ms
from .limit_data import LimitDataToxic, take_within_limit
from .noop import NoopToxic, pass_through
from .reset_peer import ResetPeerToxic
from .slicer import SlicerToxic, slice_bounds
from .slow_close import SlowCloseToxic
from .timeout import TimeoutToxic

__all__ = [
    "BandwidthToxic",
    "Chunk",
    "ChunkQueue",
    "LatencyToxic",
    "LimitDataToxic",
    "NoopToxic",
    "ResetPeerToxic",
    "SlicerToxic",
    "SlowCloseToxic",
    "TimeoutToxic",
    "ToxicBase",
    "ToxicStub",
    "create_toxic",
    "draw_applies",
    "draw_delay_ms",
    "pass_through",
    "register",
    "slice_bounds",
    "take_within_limit",
    "toxic_types",
    "transmit_seconds",
]
