"""Drilling a gateway run by someone else (``llmdrill run SCENARIO --target URL``).

The harness starts the fakes and the proxy as in any run, but not our gateway: the target's provider
base URLs must point at the proxy's listen addresses, which ``upstreams`` names in each provider's
own terms (OpenAI-compatible ``…/v1``, Anthropic's base, DashScope's ``…/compatible-mode/v1``).
The load is chat (the target speaks OpenAI chat completions).

What only our gateway exposes is marked unavailable (``UNAVAILABLE``) in ``run.json``'s ``target``
key and read by the report (``reports.target``): never guessed.  Provider calls come from what the
fakes saw (``fake_calls``), not from a gateway's event log.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from units.loopback import is_loopback_host
from units.ports import port_problem

__all__ = [
    "UNAVAILABLE",
    "UPSTREAMS_FILE",
    "Target",
    "TargetError",
    "add_target_flags",
    "parse_header",
    "parse_target",
    "run_info_target",
    "target_from_args",
    "upstreams",
    "wait_ready",
]

UPSTREAMS_FILE = "target-upstreams.json"

#: Figures only our gateway exposes (its events, metrics, response meta); a target's are unknown.
#: The ids are the ones ``reports.target`` reads.
UNAVAILABLE: tuple[str, ...] = (
    "breakers",            # breaker transitions (gateway events)
    "modes",               # conservation / degraded mode switches
    "cache",               # cache hits (our gateway's x-llmdrill-cache header)
    "fallback",            # no-LLM fallback answers
    "gateway_events",      # the gateway's own event log (gold probes included)
    "agent_time",          # agent_execution_duration (the pipeline's time)
    "validation",          # the validation agent's verdicts
    "gateway_metrics",     # /metrics with the runbook's metric names
    "admin_actions",       # the scenario's admin actions: the target has no llmdrill admin API
    "stack_config",        # the scenario's stack: settings configure our gateway, not the target
)


class TargetError(ValueError):
    """A --target that cannot be drilled: names the flag and what is wrong."""


@dataclass(frozen=True, slots=True)
class Target:
    url: str                                 # base URL, no trailing slash, no /v1
    model: str | None = "llmdrill"
    headers: Mapping[str, str] = field(default_factory=dict)
    wait_s: float = 60.0                     # how long to wait for it to answer HTTP (0: do not wait)
    ready_path: str = "/v1/models"
    upstream_port: int | None = None         # the proxy listens on N (qwen), N+1 (claude), N+2 (openai); None: any


def parse_target(url: str, allow_remote: bool = False) -> str:
    """The target's base URL (``http://host:port[/prefix]``), loopback unless ``allow_remote``."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise TargetError(f"--target: expected an http://host:port URL, got {url!r}")
    try:
        parts.port  # noqa: B018 - a bad port raises here
    except ValueError:
        raise TargetError(f"--target: bad port in {url!r}") from None
    if not allow_remote and not is_loopback_host(parts.hostname):
        raise TargetError(f"--target: {parts.hostname} is not a loopback address; load goes to loopback only "
                          "unless --allow-remote")
    path = parts.path.rstrip("/")
    if path.endswith("/v1"):   # "URL/v1" is how OpenAI clients name a base: the load adds /v1/... itself
        path = path[: -len("/v1")]
    return f"http://{parts.netloc}{path}"


def parse_header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip() or any(c in name for c in " \t"):
        raise TargetError(f"--target-header: expected 'Name: value', got {text!r}")
    if "\r" in text or "\n" in text:
        raise TargetError(f"--target-header {name.strip()}: a header value is one line (no CR or LF)")
    return name.strip(), value.strip()


def upstreams(through_proxy: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """What the target must use for each provider: the proxy's listen address, in the provider's terms."""
    qwen, claude, openai = (through_proxy[p].rstrip("/") for p in ("qwen", "claude", "openai"))
    # "proxy": the listen address itself, for clients that add the API's path (llmdrill's own gateway)
    return {
        "openai": {"api": "openai-compatible (Chat Completions)", "proxy": openai, "base_url": f"{openai}/v1",
                   "chat_completions": f"{openai}/v1/chat/completions", "api_key": "any (the fakes ignore it)"},
        "claude": {"api": "anthropic (Messages)", "proxy": claude, "base_url": claude,
                   "messages": f"{claude}/v1/messages", "api_key": "any (the fakes ignore it)"},
        "qwen": {"api": "dashscope openai-compatible mode", "proxy": qwen, "base_url": f"{qwen}/compatible-mode/v1",
                 "chat_completions": f"{qwen}/compatible-mode/v1/chat/completions",
                 "api_key": "any (the fakes ignore it)"},
    }


def run_info_target(target: Target) -> dict[str, Any]:
    """``run.json``'s ``target`` key (no header values: they may hold credentials)."""
    return {"url": target.url, "model": target.model, "headers": sorted(target.headers),
            "calls_from": "fakes", "unavailable": list(UNAVAILABLE)}


def wait_ready(target: Target, *, abort: Any = None) -> float:
    """Wait until the target answers HTTP at ``ready_path`` (any status below 500); seconds waited.

    Any answer means it is serving; whether its upstreams are right shows in the run itself.
    """
    start = time.monotonic()
    if target.wait_s <= 0:
        return 0.0
    last = "no answer"
    while time.monotonic() - start < target.wait_s:
        if abort is not None and abort():
            break
        try:
            r = httpx.get(target.url + target.ready_path, timeout=2.0, headers=dict(target.headers))
            if r.status_code < 500:
                return time.monotonic() - start
            last = f"HTTP {r.status_code}"
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        time.sleep(0.2)
    raise TargetError(f"--target: {target.url}{target.ready_path} did not answer within {target.wait_s:g}s "
                      f"(last: {last}); start it with the upstreams in target-upstreams.json")


def add_target_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--target", metavar="URL",
                   help="drill an OpenAI-compatible gateway run by someone else (its base URL) instead of ours; "
                        "its providers must point at the fakes (printed, and in RUN_DIR/target-upstreams.json)")
    p.add_argument("--allow-remote", action="store_true", help="--target: allow a non-loopback URL")
    p.add_argument("--target-model", default="llmdrill",
                   help="--target: the chat body's model, the name the target routes (default llmdrill)")
    p.add_argument("--target-header", action="append", default=[], metavar="'Name: value'",
                   help="--target: a header on every request (routing, auth); repeatable")
    p.add_argument("--target-wait", type=float, default=120.0, metavar="SECONDS",
                   help="--target: how long to wait for it to answer HTTP before the drill (default 120; 0: no wait)")
    p.add_argument("--target-ready-path", default="/v1/models",
                   help="--target: what to GET to see it is up (any answer below 500; default /v1/models)")
    p.add_argument("--upstream-ports", type=int, metavar="N",
                   help="--target: the proxy listens on N (qwen), N+1 (claude), N+2 (openai), so the target's "
                        "config can be written before the run (default: ephemeral ports, printed)")


def target_from_args(args: argparse.Namespace) -> Target | None:
    if args.target is None:
        for flag in ("allow_remote",):
            if getattr(args, flag):
                raise TargetError(f"--{flag.replace('_', '-')} needs --target")
        if args.target_header or args.upstream_ports is not None:
            raise TargetError("--target-header and --upstream-ports need --target")
        return None
    if not 0 <= args.target_wait <= 3600:
        raise TargetError(f"--target-wait: expected 0..3600 seconds, got {args.target_wait}")
    if not args.target_ready_path.startswith("/"):
        raise TargetError(f"--target-ready-path: must start with '/', got {args.target_ready_path!r}")
    port = args.upstream_ports
    problem = None if port is None else port_problem(port, span=3, lowest=1024)
    if problem is not None:
        raise TargetError(f"--upstream-ports: {problem}")
    headers = dict(parse_header(h) for h in args.target_header)
    return Target(parse_target(args.target, args.allow_remote), args.target_model or None, headers,
                  float(args.target_wait), args.target_ready_path, port)
