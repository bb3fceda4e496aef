"""``llmdrill diagnose``: the on-call's first command — the runbook's four diagnosis steps, then a verdict.

Exit status follows severity (``diagnosis.EXIT_CODES``): 0 nothing wrong; 11, 12, 13, 14 for P1..P4;
2 bad input.  Probes go to loopback only unless ``--allow-remote``: a diagnosis is load too.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from dataclasses import asdict
from pathlib import Path
from urllib.parse import urlparse

import httpx

from gateway.outcomes import PROVIDERS
from units.durations import ValueSyntaxError, parse_duration
from units.loopback import is_loopback_host

from .diagnosis import Diagnosis, diagnose
from .probes import run_probes
from .state import GamedayState, StateError, read_state

EXIT_BAD_INPUT = 2


class BadArgs(ValueError):
    pass


def parse_providers(text: str) -> dict[str, str]:
    """``qwen=URL,claude=URL`` or the JSON object ``llmdrill fake-providers`` prints."""
    text = text.strip()
    if text.startswith("{"):
        try:
            raw = json.loads(text)
        except ValueError as exc:
            raise BadArgs(f"--providers: not a JSON object: {exc}") from None
        if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
            raise BadArgs('--providers: expected {"qwen": URL, ...}')
        pairs = list(raw.items())
    else:
        pairs = []
        for i, item in enumerate(p for p in text.split(",") if p.strip()):
            name, sep, url = item.partition("=")
            if not sep:
                raise BadArgs(f"--providers: item {i + 1} {item!r}: expected NAME=URL (e.g. qwen=http://127.0.0.1:8001)")
            pairs.append((name.strip(), url.strip()))
    if not pairs:
        raise BadArgs("--providers: no provider given")
    out: dict[str, str] = {}
    for name, url in pairs:
        if name not in PROVIDERS:
            raise BadArgs(f"--providers: unknown provider {name!r}; expected one of {', '.join(PROVIDERS)}")
        out[name] = check_url(url, f"--providers {name}")
    return out


def check_url(url: str, where: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise BadArgs(f"{where}: {url!r} is not an http(s) URL")
    return url.rstrip("/")


def _from_gameday(run_dir: str) -> GamedayState:
    try:
        return read_state(Path(run_dir))
    except StateError as exc:
        raise BadArgs(str(exc)) from None


def _to_timeline(state: GamedayState, d: Diagnosis, who: str | None) -> None:
    """Put the diagnosis on the game day's timeline: it is evidence that the type was identified."""
    found = ", ".join(s.points_to.title for s in d.steps if s.points_to) or "no degradation"
    text = f"diagnose: {found}; severity {d.severity} ({d.severity_basis})"
    try:
        httpx.post(state.control + "/api/note", json={"text": text, "who": who or getpass.getuser()}, timeout=10,
                   trust_env=False)
    except httpx.HTTPError as exc:
        print(f"llmdrill diagnose: could not add it to the game day's timeline: {exc}", file=sys.stderr)


def render(d: Diagnosis) -> str:
    lines = []
    for s in d.steps:
        mark = {"ok": "OK      ", "degraded": "DEGRADED", "no data": "NO DATA "}[s.verdict]
        lines.append(f"Paso {s.number}: {s.title} — {mark}")
        lines += [f"    {f}" for f in s.findings]
        if s.points_to is not None:
            lines.append(f"    → tipo {s.points_to.number}: {s.points_to.title}")
            lines += [f"      mitigación: {m.title} — {m.objective}  [{m.how}]" for m in s.mitigations]
    lines.append("")
    types = ", ".join(s.points_to.title for s in d.steps if s.points_to) or "ninguno"
    lines.append(f"degradation: {types}")
    lines.append(f"severity: {d.severity} ({d.severity_basis}); exit {d.exit_code}")
    return "\n".join(lines)


def to_json(d: Diagnosis) -> str:
    steps = [{"step": s.number, "title": s.title, "verdict": s.verdict, "findings": list(s.findings),
              "points_to": s.points_to.id if s.points_to else None,
              "mitigations": [asdict(m) for m in s.mitigations]} for s in d.steps]
    return json.dumps({"steps": steps, "types": list(d.types), "severity": d.severity,
                       "severity_basis": d.severity_basis, "exit_code": d.exit_code}, ensure_ascii=False, indent=2)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="llmdrill diagnose",
                                description="Run the runbook's four diagnosis steps against the providers "
                                            "and the gateway. Exit 0: nothing wrong; 11-14: P1-P4.")
    p.add_argument("--gateway", help="the gateway's base URL (probes the user journey and /healthz)")
    p.add_argument("--providers", help="qwen=URL,claude=URL,openai=URL, or the JSON 'llmdrill fake-providers' prints")
    p.add_argument("--gameday", metavar="DIR", help="take the URLs from a running game day's directory")
    p.add_argument("--timeout", default="10s", help="per-probe timeout (runbook: 10s)")
    p.add_argument("--time-scale", type=float, default=None,
                   help="judge a compressed game day: thresholds × this (default 1, or the game day's)")
    p.add_argument("--as", dest="who", help="who ran it, on the game day's timeline (default: your user name)")
    p.add_argument("--json", action="store_true", help="print the diagnosis as JSON")
    p.add_argument("--allow-remote", action="store_true", help="allow probing non-loopback hosts")
    args = p.parse_args(argv)
    try:
        providers: dict[str, str] = {}
        gateway: str | None = None
        state = _from_gameday(args.gameday) if args.gameday else None
        if state is not None:
            # the providers as the gateway reaches them: through the proxy, network faults included
            providers, gateway = dict(state.through_proxy or state.fakes), state.gateway
            if args.time_scale is None:
                args.time_scale = state.time_scale
        if args.time_scale is None:
            args.time_scale = 1.0
        if args.providers:
            providers = parse_providers(args.providers)
        if args.gateway:
            gateway = check_url(args.gateway, "--gateway")
        if not providers and not gateway:
            raise BadArgs("nothing to diagnose: give --providers, --gateway or --gameday DIR")
        if not 0 < args.time_scale <= 10:
            raise BadArgs(f"--time-scale: must be in (0, 10], got {args.time_scale}")
        try:
            timeout = parse_duration(args.timeout, "--timeout")
        except ValueSyntaxError as exc:
            raise BadArgs(str(exc)) from None
        if not 0 < timeout <= 120:
            raise BadArgs(f"--timeout: must be in (0, 120] seconds, got {timeout:g}")
        if not args.allow_remote:
            for where, url in [*(("--providers " + k, v) for k, v in providers.items()), ("--gateway", gateway)]:
                host = urlparse(url).hostname if url else None
                if host is not None and not is_loopback_host(host):
                    raise BadArgs(f"{where}: {host} is not a loopback address (pass --allow-remote to probe it)")
    except BadArgs as exc:
        print(f"llmdrill diagnose: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    result = diagnose(run_probes(providers, gateway, timeout_s=timeout, user_timeout_s=max(30.0, timeout)),
                      args.time_scale)
    print(to_json(result) if args.json else render(result))
    if state is not None:
        _to_timeline(state, result, args.who)
    return result.exit_code
