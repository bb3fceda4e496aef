"""The gateway's one typed configuration, with the runbook's defaults.

``settings``: the models, one per section, and their defaults; ``loading``: the
sources (file, overrides, environment) and the errors that name a bad field.
"""

from __future__ import annotations

from .loading import ConfigError, config_from_mapping, load_config
from .settings import (
    AutoModeSettings,
    BreakerSettings,
    CacheSettings,
    Duration,
    FallbackSettings,
    Flag,
    GatewayConfig,
    GoldCaseSettings,
    GoldProbeSettings,
    HarnessSettings,
    LimitsSettings,
    ModeSettings,
    ProviderSettings,
    QueueSettings,
    RetrySettings,
    RouterSettings,
    SimilaritySettings,
)

__all__ = [
    "AutoModeSettings",
    "BreakerSettings",
    "CacheSettings",
    "ConfigError",
    "Duration",
    "FallbackSettings",
    "Flag",
    "GatewayConfig",
    "GoldCaseSettings",
    "GoldProbeSettings",
    "HarnessSettings",
    "LimitsSettings",
    "ModeSettings",
    "ProviderSettings",
    "QueueSettings",
    "RetrySettings",
    "RouterSettings",
    "SimilaritySettings",
    "config_from_mapping",
    "load_config",
]
