"""Where the gateway's settings come from, and what is wrong with them.

Sources, later ones winning: the defaults of ``settings``, a YAML file, scenario
``stack:`` overrides (a nested mapping of the same shape), then the environment
(``LLM_PROVIDER``, ``LLMDRILL_<PROVIDER>_URL``, ``<PROVIDER>_API_KEY``).  A bad
value is a ``ConfigError`` naming every bad field, with the nearest valid name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ..outcomes import PROVIDERS
from .settings import GatewayConfig, ProviderSettings, suggest

__all__ = ["ConfigError", "config_from_mapping", "load_config"]


class ConfigError(Exception):
    """A configuration that cannot be used; the message names each bad field."""

    def __init__(self, where: str, problems: list[str]) -> None:
        self.where = where
        self.problems = problems
        super().__init__("\n".join(f"{where}: {p}" for p in problems))


def _deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _deep_merge(dict(out[key]), value)
        else:
            out[key] = value
    return out


def _known_fields(model: type[BaseModel], path: tuple[Any, ...]) -> list[str]:
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            current = ann
        elif args and isinstance(args[-1], type) and issubclass(args[-1], BaseModel):
            current = args[-1]   # dict[str, Model]: the next path part is the key
        else:
            return []
    return list(getattr(current, "model_fields", {}))


def _describe(exc: ValidationError) -> list[str]:
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = ".".join(str(p) for p in loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            parent = loc[:-1]
            if parent and parent[0] == "providers" and len(parent) == 2:
                valid = list(ProviderSettings.model_fields)
            else:
                valid = _known_fields(GatewayConfig, parent)
            problems.append(f"{path}: unknown field{suggest(str(loc[-1]), valid)}")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{path}: {msg}")
    return problems


def config_from_mapping(data: Mapping[str, Any], where: str = "config") -> GatewayConfig:
    if not isinstance(data, Mapping):
        raise ConfigError(where, [f"expected a mapping of settings, got {type(data).__name__}"])
    try:
        return GatewayConfig.model_validate(dict(data))
    except ValidationError as exc:
        raise ConfigError(where, _describe(exc)) from None


def load_config(
    path: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> GatewayConfig:
    """Defaults ← YAML file ← overrides ← environment."""
    data: dict[str, Any] = {}
    where = "config"
    if path is not None:
        where = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(where, ["file not found"]) from None
        except (IsADirectoryError, PermissionError) as exc:
            raise ConfigError(where, [str(exc.strerror or exc)]) from None
        except UnicodeDecodeError as exc:
            raise ConfigError(where, [f"not UTF-8 text (byte {exc.start})"]) from None
        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f"line {mark.line + 1}: " if mark is not None else ""
            raise ConfigError(where, [f"{line}invalid YAML: {getattr(exc, 'problem', exc)}"]) from None
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError(where, [f"expected a mapping at the top level, got {type(loaded).__name__}"])
        data = loaded
    if overrides:
        data = _deep_merge(data, overrides)
    env = os.environ if environ is None else environ
    data = _deep_merge(data, _from_environment(env))
    return config_from_mapping(data, where)


def _from_environment(env: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if env.get("LLM_PROVIDER"):
        out["provider"] = env["LLM_PROVIDER"].strip().lower()
    providers: dict[str, Any] = {}
    for name in PROVIDERS:
        entry: dict[str, Any] = {}
        url = env.get(f"LLMDRILL_{name.upper()}_URL")
        if url:
            entry["url"] = url
        key_var = {"qwen": "DASHSCOPE_API_KEY", "claude": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}[name]
        key = env.get(f"LLMDRILL_{name.upper()}_API_KEY") or env.get(key_var)
        if key:
            entry["api_key"] = key
        if entry:
            providers[name] = entry
    if providers:
        out["providers"] = providers
    if env.get("LLMDRILL_ADMIN_TOKEN"):
        out["admin_token"] = env["LLMDRILL_ADMIN_TOKEN"]
    return out
