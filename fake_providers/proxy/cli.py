"""``llmdrill proxy``: serve the Toxiproxy-compatible API; print its URL first; exit 0 on a signal."""

from __future__ import annotations

import argparse
import asyncio
import sys

from units.ports import port_problem

from .addresses import is_loopback_host
from .server import ProxyServer, new_event_loop

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="llmdrill proxy",
                                     description="A Toxiproxy-compatible network fault proxy.")
    parser.add_argument("--host", default="127.0.0.1", help="API address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8474, help="API port; 0 picks a free one (default 8474)")
    parser.add_argument("--allow-remote", action="store_true",
                        help="allow a non-loopback API host and proxy listen/upstream addresses")
    parser.add_argument("--seed", type=int, default=None, help="seed of the toxicity draws")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if (problem := port_problem(args.port)) is not None:
        print(f"llmdrill proxy: --port: {problem}", file=sys.stderr)
        return 2
    if not args.allow_remote and not is_loopback_host(args.host):
        print(f"llmdrill proxy: --host {args.host} is not a loopback address; add --allow-remote "
              "to serve on it", file=sys.stderr)
        return 2
    server = ProxyServer(args.host, args.port, allow_remote=args.allow_remote, seed=args.seed)

    def ready(url: str) -> None:
        print(url, flush=True)

    try:
        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            runner.run(server.serve(ready, handle_signals=True))
    except OSError as exc:
        print(f"llmdrill proxy: cannot serve on {args.host}:{args.port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
