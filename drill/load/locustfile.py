"""Locust entry point: ``locust -f drill/load/locustfile.py`` with ``LLMDRILL_LOAD_CONFIG`` set."""

from __future__ import annotations

import os
import sys
from typing import Any

from locust import events
from locust.env import Environment

from drill.load.config import CONFIG_ENV, ConfigError
from drill.load.open_user import OpenModelUser, install_hooks, load_process_setup
from workload.prompts import PromptsError

__all__ = ["OpenModelUser"]

_config_path = os.environ.get(CONFIG_ENV)
if not _config_path:
    sys.stderr.write(f"llmdrill load: {CONFIG_ENV} is not set (it must name the load config JSON file)\n")
    sys.exit(2)
try:
    load_process_setup(_config_path)
except (ConfigError, PromptsError) as _exc:
    sys.stderr.write(f"llmdrill load: {_exc}\n")
    sys.exit(2)


def _on_init(environment: Environment, **_: Any) -> None:
    install_hooks(environment)


events.init.add_listener(_on_init)  # type: ignore[no-untyped-call]
