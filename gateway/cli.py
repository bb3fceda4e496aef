"""``llmdrill gateway``: serve the stack, print the base URL as the first line of stdout."""

from __future__ import annotations

import argparse
import logging
import resource
import signal
import socket
import sys

import yaml

from units.loopback import is_loopback_host
from units.ports import port_problem

from .config import ConfigError, GatewayConfig, LimitsSettings, load_config


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="llmdrill gateway", description="Run the runbook's resilience stack.")
    p.add_argument("--config", help="YAML config file (defaults: the runbook's values)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default)")
    p.add_argument("--allow-remote", action="store_true", help="allow binding a non-loopback address")
    p.add_argument("--events", help="append every upstream call and state change to this JSONL file")
    p.add_argument("--epoch", type=float, help="CLOCK_MONOTONIC second of the run's t=0 (for --events)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override one setting, e.g. --set cache.enabled=false (repeatable)")
    p.add_argument("--log-level", default="warning")
    return p


def _overrides(pairs: list[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise ConfigError("--set", [f"expected KEY=VALUE, got {pair!r}"])
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            nxt = node.setdefault(part, {})
            if not isinstance(nxt, dict):
                raise ConfigError("--set", [f"{key}: {part} is already a value"])
            node = nxt
        node[parts[-1]] = yaml.safe_load(raw)
    return out


def _fit_limits(config: GatewayConfig, host: str, remote: bool) -> GatewayConfig:
    """Limits that hold on this machine for this address.

    The connection cap stays below the descriptor limit (the rest is for upstream calls, the events
    file, Redis); a remote bind answers to the name it was bound to as well (a wildcard bind: to any).
    """
    limits = config.limits
    update: dict[str, object] = {}
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY:
        room = max(1, (soft - 64) // 2)   # each admitted request may hold an upstream connection too
        if limits.max_connections > room:
            update["max_connections"] = room
    if remote and limits.allowed_hosts == LimitsSettings().allowed_hosts:
        wildcard = host in ("0.0.0.0", "::", "")
        update["allowed_hosts"] = ("*",) if wildcard else (*limits.allowed_hosts, host)
    if not update:
        return config
    return config.model_copy(update={"limits": limits.model_copy(update=update)})


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if (problem := port_problem(args.port)) is not None:
        print(f"llmdrill gateway: --port: {problem}", file=sys.stderr)
        return 2
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        config = load_config(args.config, overrides=_overrides(args.set))
    except ConfigError as exc:
        print(f"llmdrill gateway: bad configuration\n{exc}", file=sys.stderr)
        return 2

    # lazy: the server and the app (~1 s) only once the arguments and the config are known good
    import uvicorn

    from .service.app import Gateway, create_app

    remote = not is_loopback_host(args.host)
    if remote and not args.allow_remote:
        print(f"llmdrill gateway: --host {args.host} is not a loopback address; pass --allow-remote to bind it",
              file=sys.stderr)
        return 2
    if remote and config.admin_token is None:
        print("llmdrill gateway: binding beyond loopback; /admin/config stays closed until admin_token "
              "(or LLMDRILL_ADMIN_TOKEN) is set", file=sys.stderr)
    config = _fit_limits(config, args.host, remote)
    try:
        gateway = Gateway(config, events_path=args.events, epoch=args.epoch, require_admin_token=remote)
    except ValueError as exc:
        print(f"llmdrill gateway: {exc}", file=sys.stderr)
        return 2
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        print(f"llmdrill gateway: cannot bind {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    # Listening before printing: a client that reads the URL can connect at once
    # (its connection waits in the backlog until the server's loop accepts it).
    sock.listen(2048)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    from .service.protocol import guarded_protocol  # lazy, as uvicorn above

    limits = config.limits
    server = uvicorn.Server(uvicorn.Config(create_app(gateway), log_level=args.log_level, access_log=False,
                                           lifespan="on", timeout_graceful_shutdown=5,
                                           http=guarded_protocol(limits),
                                           timeout_keep_alive=limits.idle_timeout))  # type: ignore[arg-type]

    def stop(signum: int, frame: object) -> None:
        server.should_exit = True

    # uvicorn re-raises the signal that stopped it once it has shut down, under the handlers it found:
    # these make a stop on SIGINT/SIGTERM (even one that lands before uvicorn's own handlers) a clean exit 0.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    print(f"http://{shown}:{port}", flush=True)
    server.run(sockets=[sock])
    return 0
