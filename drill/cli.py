"""The ``llmdrill`` command: one entry point, one module per subcommand's work.

Exit codes: 0 every expectation held; 1 an expectation failed; 2 bad input;
3 the harness itself failed; 130/143 the run was interrupted (SIGINT/SIGTERM) and
left a partial report.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from drill.exit_codes import EXIT_BAD_INPUT, EXIT_OK
from drill.gameday import commands as gameday_commands


def _gateway(argv: list[str]) -> int:
    from gateway.cli import main  # lazy: `llmdrill --help` loads no subcommand

    return main(argv)


def _fakes(argv: list[str]) -> int:
    from fake_providers.cli import main  # lazy: `llmdrill --help` loads no subcommand

    return main(argv)


def _proxy(argv: list[str]) -> int:
    from fake_providers.proxy.cli import main  # lazy: `llmdrill --help` loads no subcommand

    return main(argv)


def _export(argv: list[str]) -> int:
    from drill.export import main  # lazy: `llmdrill --help` loads no subcommand

    return main(argv)


def _plan(argv: list[str]) -> int:
    from drill.plan.command import plan  # lazy: `llmdrill --help` loads no subcommand

    return plan(argv)


def _plan_check(argv: list[str]) -> int:
    from drill.plan.check_command import plan_check  # lazy: `llmdrill --help` loads no subcommand

    return plan_check(argv)


def _fidelity(argv: list[str]) -> int:
    from drill.fidelity_command import fidelity  # lazy: `llmdrill --help` loads no subcommand

    return fidelity(argv)


def _scenario_commands(name: str) -> Callable[[list[str]], int]:
    def run(argv: list[str]) -> int:
        from drill import commands  # lazy: `llmdrill --help` loads no subcommand

        handler: Callable[[list[str]], int] = getattr(commands, name)
        return handler(argv)

    return run


COMMANDS: dict[str, tuple[Callable[[list[str]], int], str]] = {
    "run": (_scenario_commands("run"), "run a scenario live (fakes, proxy, gateway, Locust) and report"),
    "list": (_scenario_commands("list_"), "list the scenario library"),
    "validate": (_scenario_commands("validate"), "check scenario files; errors as file:line: field: message"),
    "schema": (_scenario_commands("schema"), "print the scenario JSON Schema"),
    "report": (_scenario_commands("report"), "re-render the report of a run directory"),
    "compare": (_scenario_commands("compare"), "compare two runs side by side"),
    "plan": (_plan, "capacity planning: sweep a PLAN.yaml over the twin (local cores or Dask)"),
    "plan-check": (_plan_check, "run a plan's recommended point live, compressed; does it hold the SLO?"),
    "fidelity": (_fidelity, "run a scenario live and in the twin; compare p50/p95, errors, alerts, severity"),
    "export": (_export, "export Prometheus rules, promtool tests of a run, a Grafana dashboard"),
    "gateway": (_gateway, "serve the runbook's resilience stack"),
    "fake-providers": (_fakes, "serve fake Qwen, Claude and OpenAI APIs with scripted faults"),
    "proxy": (_proxy, "serve a Toxiproxy-compatible network fault proxy"),
}
COMMANDS.update(gameday_commands())   # gameday, inject, clear, action, note, diagnose


def _usage() -> str:
    width = max(len(n) for n in COMMANDS)
    lines = ["usage: llmdrill COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name.ljust(width)}  {help_}" for name, (_, help_) in COMMANDS.items()]
    lines += ["", "Run 'llmdrill COMMAND --help' for a command's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(_usage())
        return EXIT_OK if args else EXIT_BAD_INPUT
    name, rest = args[0], args[1:]
    entry = COMMANDS.get(name)
    if entry is None:
        import difflib  # lazy: only a mistyped command pays for it, not every start

        close = difflib.get_close_matches(name, list(COMMANDS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        print(f"llmdrill: unknown command {name!r}{hint}\n\n{_usage()}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return entry[0](rest)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
