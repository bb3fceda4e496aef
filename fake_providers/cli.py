"""``llmdrill fake-providers``: start the three fakes, print where they listen, serve until a signal."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys

from fake_providers.corpus import CORPORA, generate_corpus
from fake_providers.faults.answers import know_corpus
from fake_providers.servers.runner import new_event_loop, start_fakes
from units.loopback import is_loopback_host
from units.ports import port_problem

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="llmdrill fake-providers",
        description="Fake Qwen, Claude and OpenAI servers with injectable faults (control API: /_control/*).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0,
                        help="0: an ephemeral port each; N: qwen N, claude N+1, openai N+2")
    parser.add_argument("--seed", type=int, default=0, help="seed of the fault engines (default 0)")
    parser.add_argument("--allow-remote", action="store_true", help="allow binding a non-loopback address")
    parser.add_argument("--corpus-seed", type=int, help="also answer generate_corpus(SEED, SIZE)'s gold prompts")
    parser.add_argument("--corpus-size", type=int, default=1000, help="size of that corpus (default 1000)")
    parser.add_argument("--corpus", default="appointments-es", help="which corpus: appointments-es (default) "
                        "or appointments-es-templated")
    return parser


async def _serve(host: str, port: int, seed: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with start_fakes(host, seed, port) as cluster:
        print(json.dumps(cluster.urls), flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:   # argparse already printed what is wrong
        return int(exc.code or 0)
    if (problem := port_problem(args.port, span=3)) is not None:   # qwen, claude, openai: N, N+1, N+2
        print(f"llmdrill fake-providers: --port: {problem}", file=sys.stderr)
        return 2
    if not args.allow_remote and not is_loopback_host(args.host):
        print(f"llmdrill fake-providers: --host {args.host} is not a loopback address; "
              "pass --allow-remote to bind it", file=sys.stderr)
        return 2
    if args.corpus_seed is not None:
        if args.corpus not in CORPORA:
            print(f"llmdrill fake-providers: --corpus must be one of {', '.join(CORPORA)}, got {args.corpus!r}",
                  file=sys.stderr)
            return 2
        if not 1 <= args.corpus_size <= 1_000_000:
            print(f"llmdrill fake-providers: --corpus-size must be 1..1000000, got {args.corpus_size}",
                  file=sys.stderr)
            return 2
        try:
            know_corpus(args.corpus_seed, args.corpus_size, CORPORA[args.corpus])
            generate_corpus(args.corpus_seed, args.corpus_size, style=CORPORA[args.corpus])
        except ValueError as exc:
            print(f"llmdrill fake-providers: {exc}", file=sys.stderr)
            return 2
    try:
        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            runner.run(_serve(args.host, args.port, args.seed))
    except OSError as exc:
        print(f"llmdrill fake-providers: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
