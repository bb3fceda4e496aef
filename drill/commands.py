"""The scenario commands: run, list, validate, schema, report, compare.

Each returns the exit code: 0 every expectation held, 1 one failed, 2 bad input,
3 the harness itself failed; an interrupted run exits 128 + the signal (130 for SIGINT,
143 for SIGTERM) after writing its partial report.  Bad input is printed as ``file:line: field: message``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from dataclasses import asdict
from pathlib import Path

from drill.command_inputs import add_limit_flags, check_cost, load_named, loopback_only
from drill.sim_command import run_sim_command
from drill.verdict import EXIT_BAD_INPUT, EXIT_HARNESS, EXIT_OK, print_verdict
from scenarios.jsonschema import json_schema
from scenarios.library import list_library
from scenarios.problems import ScenarioError

__all__ = ["compare", "list_", "report", "run", "schema", "validate"]


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def run(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="llmdrill run", description="Run a scenario live and report on it.")
    p.add_argument("scenario", help="a library name (see 'llmdrill list') or a scenario file")
    p.add_argument("--out", help="run directory (default runs/<scenario>-<time>)")
    p.add_argument("--time-scale", type=float, help="override the scenario's time_scale (0 < x <= 10)")
    p.add_argument("--seed", type=int, help="override the scenario's seed")
    p.add_argument("--workers", type=int, default=0, help="Locust worker processes (0: one standalone process)")
    p.add_argument("--no-view", action="store_true", help="no live terminal view")
    p.add_argument("--force", action="store_true",
                   help="run a time_scale the compression check finds unsafe (run.json records it)")
    p.add_argument("--prometheus", action="store_true",
                   help="also run a real Prometheus server (loopback) with the exported rules and compare "
                        "its alerts with the harness's (prometheus-compare.json)")
    p.add_argument("--mode", choices=("live", "sim"), default="live",
                   help="live: real processes under Locust; sim: the SimPy twin in virtual time")
    from drill.live.target import add_target_flags  # lazy: httpx and rich (~0.2 s) for `run` alone

    add_target_flags(p)
    p.add_argument("--gateway-cpu", type=float, default=0.0,
                   help="sim: the gateway's own CPU seconds per request, as a fixed delay (default 0)")
    p.add_argument("--service", action="append", metavar="PROVIDER:concurrency=N,...",
                   help="sim: a provider's service model (slots, queue, tokens_per_s, ttft, overflow); repeatable")
    add_limit_flags(p)
    args = p.parse_args(argv)
    if args.time_scale is not None and not 0 < args.time_scale <= 10:
        _err(f"llmdrill run: --time-scale must be in (0, 10], got {args.time_scale}")
        return EXIT_BAD_INPUT
    if args.workers < 0 or args.workers > 16:
        _err(f"llmdrill run: --workers must be 0..16, got {args.workers}")
        return EXIT_BAD_INPUT
    if args.prometheus:
        if args.mode == "sim":
            _err("llmdrill run: --prometheus watches a live run's gateway; a sim run has none")
            return EXIT_BAD_INPUT
        if shutil.which("prometheus") is None:
            _err("llmdrill run: --prometheus needs the prometheus server on PATH (Debian: apt-get install prometheus)")
            return EXIT_BAD_INPUT
    from drill.live.target import TargetError, target_from_args  # lazy, as add_target_flags above

    try:
        target = target_from_args(args)
    except TargetError as exc:
        _err(f"llmdrill run: {exc}")
        return EXIT_BAD_INPUT
    if target is not None and (args.mode == "sim" or args.prometheus):
        _err("llmdrill run: --target drills a live gateway that is not ours: no --mode sim, and no --prometheus "
             "(its rules read our gateway's metric names)")
        return EXIT_BAD_INPUT
    if args.mode == "sim":
        if not 0 <= args.gateway_cpu < 60:
            _err(f"llmdrill run: --gateway-cpu must be in [0, 60) seconds, got {args.gateway_cpu}")
            return EXIT_BAD_INPUT
        return run_sim_command(args)

    # lazy: the live stack (~1.5 s) is loaded by a live run, not by `llmdrill list` or `run --mode sim`
    from drill.live.orchestrate import run_live
    from drill.live.plan import PlanError, make_plan, with_target

    try:
        scenario = load_named(args.scenario, args.time_scale, args.seed)
        plan = make_plan(scenario)
        plan = with_target(plan, target) if target is not None else plan
    except ScenarioError as exc:
        _err("\n".join(str(prob) for prob in exc.problems))
        return EXIT_BAD_INPUT
    except PlanError as exc:
        _err(str(exc))
        return EXIT_BAD_INPUT
    cost, refused = check_cost("llmdrill run", args.scenario, plan, args)
    if refused:
        _err("\n".join(refused))
        return EXIT_BAD_INPUT
    if not plan.compression.safe and not args.force:
        _err(f"{args.scenario}: refused before starting: {plan.compression.message()}")
        return EXIT_BAD_INPUT
    loopback_only()
    out = Path(args.out) if args.out else Path("runs") / f"{scenario.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    wall = scenario.duration_s * scenario.time_scale
    print(f"llmdrill: {scenario.name} — {wall:.0f} s of load (time_scale {scenario.time_scale:g}); "
          f"run directory {out}", flush=True)
    print(f"llmdrill: estimated cost {cost}", flush=True)
    result = run_live(plan, out, workers=args.workers, view=not args.no_view, force=args.force,
                      prometheus=args.prometheus)
    if args.prometheus:
        from drill.live.prometheus import print_comparison  # lazy: only a run with --prometheus needs it

        print_comparison(out)
    if result.interrupted is not None:
        # a partial report is no verdict: say so, and exit as a process killed by that signal would
        print_verdict(out, result.passed, None, partial=True)
        _err(f"llmdrill: {result.harness_error}; partial report in {out}")
        return 128 + result.interrupted
    return print_verdict(out, result.passed, result.harness_error)


def list_(argv: list[str]) -> int:
    argparse.ArgumentParser(prog="llmdrill list", description="List the scenario library.").parse_args(argv)
    items = list_library()
    width = max((len(s.name) for s in items), default=4)
    for s in items:
        first = s.description.strip().splitlines()[0] if s.description.strip() else ""
        print(f"{s.name.ljust(width)}  {s.wall_s:5.0f} s  {first}")
    return EXIT_OK


def validate(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="llmdrill validate", description="Check scenario files.")
    p.add_argument("files", nargs="+")
    add_limit_flags(p)
    args = p.parse_args(argv)
    from drill.live.plan import PlanError, make_plan  # lazy: the live planner (~0.4 s) for validate alone

    bad = 0
    for name in args.files:
        try:
            plan = make_plan(load_named(name))
        except ScenarioError as exc:
            bad += 1
            _err("\n".join(str(prob) for prob in exc.problems))
            continue
        except PlanError as exc:
            bad += 1
            _err(str(exc))
            continue
        cost, refused = check_cost("llmdrill validate", name, plan, args)
        if refused:
            bad += 1
            _err("\n".join(refused))
            continue
        print(f"{name}: ok ({cost})")
    return EXIT_BAD_INPUT if bad else EXIT_OK


def schema(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="llmdrill schema", description="Print the scenario JSON Schema.")
    p.add_argument("--out", help="write it to this file instead of stdout")
    args = p.parse_args(argv)
    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def report(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="llmdrill report", description="Re-render the report of a run directory.")
    p.add_argument("run_dir")
    p.add_argument("--severity-reading", choices=("wrong_answers", "errors"),
                   help="what severity counts as failed: errors and wrong answers against gold (the run's default) "
                        "or errors only, the runbook's letter; the report shows the other reading beside it")
    p.add_argument("--severity-min-requests", type=_positive_int, metavar="N",
                   help="a severity window with fewer resolved requests is 'insufficient data', not P1 "
                        "(the run's setting, 5 unless changed)")
    args = p.parse_args(argv)
    # lazy: the collector and the report writers (~0.7 s, numpy, matplotlib) for report alone
    from drill.live.collect import collect_gateway_events, finish_report, merge_leftovers
    from drill.live.harness import record_outcome

    run_dir = Path(args.run_dir)
    if not run_dir.is_dir():
        _err(f"llmdrill report: {run_dir}: not a directory")
        return EXIT_BAD_INPUT
    harness_error = None
    if merge_leftovers(run_dir):
        # only a killed `llmdrill run` leaves the load's parts unmerged: its report is a partial one
        harness_error = "the run was killed before it finished; its records were merged now"
        record_outcome(run_dir, [{"process": "llmdrill run", "detail": harness_error,
                                  "unknown_after": ["everything after its last record"]}])
    collect_gateway_events(run_dir)
    passed = finish_report(run_dir, harness_error, args.severity_reading, args.severity_min_requests)
    if passed is None:
        _err((run_dir / "report-error.txt").read_text(encoding="utf-8").strip())
        return EXIT_HARNESS if harness_error else EXIT_BAD_INPUT
    return print_verdict(run_dir, passed, harness_error)


def compare(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="llmdrill compare", description="Compare two runs side by side.")
    p.add_argument("run_a")
    p.add_argument("run_b")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    args = p.parse_args(argv)
    from reports.compare import compare_reports, render_comparison_markdown  # lazy: for compare alone

    data = []
    for d in (args.run_a, args.run_b):
        path = Path(d) / "report.json"
        if not path.is_file():
            _err(f"llmdrill compare: {path}: missing (run 'llmdrill report {d}' first?)")
            return EXIT_BAD_INPUT
        try:
            data.append(json.loads(path.read_text(encoding="utf-8")))
        except ValueError as exc:
            _err(f"llmdrill compare: {path}: not JSON: {exc}")
            return EXIT_BAD_INPUT
    comparison = compare_reports(data[0], data[1])
    if args.json:
        print(json.dumps(asdict(comparison), indent=2, ensure_ascii=False, default=str))
    else:
        print(render_comparison_markdown(comparison))
    return EXIT_OK
