"""The load generator's configuration: one JSON file named by an environment variable.

The Locust processes read it (``LLMDRILL_LOAD_CONFIG``); ``run_load`` writes one
per process.  Field names in the JSON are the dataclass's field names.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from units.json_file import JsonFileError, read_json_file
from workload.schedule import PROCESSES, ScheduleError, Stage, validate_schedule

__all__ = [
    "CONFIG_ENV",
    "DRAIN_SLACK_S",
    "ENDPOINTS",
    "ENDPOINT_PATHS",
    "STOP_POLL_S",
    "ConfigError",
    "LoadConfig",
    "load_config",
    "parse_config",
    "write_config",
]

CONFIG_ENV = "LLMDRILL_LOAD_CONFIG"
ENDPOINTS = ("parse", "chat")
#: where each endpoint's requests go on a gateway
ENDPOINT_PATHS = {"parse": "/v1/appointments/parse", "chat": "/v1/chat/completions"}


#: extra wait beyond the client timeout for in-flight requests to report
DRAIN_SLACK_S = 2.0
#: how often a sleeping walk looks for the stop file (its writer leaves at least twice this as lead)
STOP_POLL_S = 0.25


class ConfigError(ValueError):
    """A load configuration that cannot be used; the message names the file and the field."""


@dataclass(frozen=True, slots=True)
class LoadConfig:
    stages: tuple[Stage, ...]
    prompts_path: str
    records_path: str
    seed: int = 0
    arrival: str = "poisson"
    #: CLOCK_MONOTONIC second of run t=0 (system-wide on Linux, so every process agrees)
    epoch_monotonic: float | None = None
    client_timeout_s: float = 30.0
    worker_index: int = 0
    worker_count: int = 1
    path: str = "/v1/appointments/parse"
    #: what the user sends: "parse" (the user journey's {prompt}) or "chat" (an OpenAI chat completion
    #: carrying the parsing contract, docs/contracts.md section 2)
    endpoint: str = "parse"
    #: the chat body's "model" (a target gateway routes by it); None leaves it out
    model: str | None = None
    #: extra request headers (a target gateway's routing or auth headers)
    headers: dict[str, str] = field(default_factory=dict)
    #: read our gateway's x-llmdrill-* answer headers (provider, cache, attempts); off for a target
    #: gateway, whose view from outside must not borrow what only ours says
    gateway_headers: bool = True
    #: a file whose appearance asks the load to stop gracefully: it holds the run second from which no
    #: new request leaves, and the ones in flight are awaited (``run_load(..., abort=)`` writes it)
    stop_file: str | None = None

    def __post_init__(self) -> None:
        try:
            validate_schedule(self.stages, self.arrival, self.worker_index, self.worker_count)
        except ScheduleError as exc:
            raise ConfigError(str(exc)) from None
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ConfigError(f"seed: must be an integer, got {self.seed!r}")
        t = self.client_timeout_s
        if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t) or t <= 0:
            raise ConfigError(f"client_timeout_s: must be a positive number of seconds, got {t!r}")
        e = self.epoch_monotonic
        if e is not None and (isinstance(e, bool) or not isinstance(e, int | float) or not math.isfinite(e)):
            raise ConfigError(f"epoch_monotonic: must be a number of seconds or null, got {e!r}")
        for name in ("prompts_path", "records_path"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{name}: must be a non-empty path string, got {value!r}")
        if not isinstance(self.path, str) or not self.path.startswith("/"):
            raise ConfigError(f"path: must start with '/', got {self.path!r}")
        if self.endpoint not in ENDPOINTS:
            raise ConfigError(f"endpoint: must be one of {', '.join(ENDPOINTS)}, got {self.endpoint!r}")
        if self.model is not None and (not isinstance(self.model, str) or not self.model):
            raise ConfigError(f"model: must be a non-empty string or null, got {self.model!r}")
        if not isinstance(self.gateway_headers, bool):
            raise ConfigError(f"gateway_headers: must be true or false, got {self.gateway_headers!r}")
        if self.stop_file is not None and (not isinstance(self.stop_file, str) or not self.stop_file):
            raise ConfigError(f"stop_file: must be a non-empty path string or null, got {self.stop_file!r}")
        if not isinstance(self.headers, dict) or not all(
                isinstance(k, str) and k and isinstance(v, str) for k, v in self.headers.items()):
            raise ConfigError(f"headers: must be an object of header name -> string, got {self.headers!r}")

    @property
    def end_s(self) -> float:
        return self.stages[-1].until_s

    def for_worker(self, index: int, count: int, records_path: str) -> LoadConfig:
        return replace(self, worker_index=index, worker_count=count, records_path=records_path)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _stage(raw: object, where: str) -> Stage:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected an object with until_s and rate_per_s")
    unknown = set(raw) - {"until_s", "rate_per_s"}
    if unknown:
        names = ", ".join(sorted(unknown))
        raise ConfigError(f"{where}: unknown field(s) {names}; expected until_s, rate_per_s")
    try:
        return Stage(raw.get("until_s"), raw.get("rate_per_s"))  # type: ignore[arg-type]
    except ScheduleError as exc:
        raise ConfigError(f"{where}.{exc}") from None


def parse_config(data: object, source: str = "<config>") -> LoadConfig:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a JSON object, got {type(data).__name__}")
    names = {f.name for f in fields(LoadConfig)}
    unknown = set(data) - names
    if unknown:
        raise ConfigError(f"{source}: unknown field(s) {', '.join(sorted(unknown))}")
    missing = {"stages", "prompts_path", "records_path"} - set(data)
    if missing:
        raise ConfigError(f"{source}: missing field(s) {', '.join(sorted(missing))}")
    raw_stages = data["stages"]
    if not isinstance(raw_stages, list):
        raise ConfigError(f"{source}: stages: expected a list")
    stages = tuple(_stage(s, f"{source}: stages[{i}]") for i, s in enumerate(raw_stages))
    if "arrival" in data and data["arrival"] not in PROCESSES:
        allowed = ", ".join(PROCESSES)
        raise ConfigError(f"{source}: arrival: must be one of {allowed}, got {data['arrival']!r}")
    try:
        return LoadConfig(**{**data, "stages": stages})
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    except TypeError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def load_config(path: str | Path) -> LoadConfig:
    try:
        data = read_json_file(path, "load config")
    except JsonFileError as exc:
        raise ConfigError(str(exc)) from None
    return parse_config(data, str(path))


def write_config(config: LoadConfig, path: str | Path) -> Path:
    out = Path(path)
    out.write_text(json.dumps(config.to_dict(), indent=2), encoding="utf-8")
    return out
