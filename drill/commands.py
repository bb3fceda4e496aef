"""The scenario commands: run, list, validate, schema, report, compare.

Each returns the exit code: 0 every expectation held, 1 one failed, 2 bad input,
3 the harness itself failed; an interrupted run exits 128 + the signal (130 for SIGINT,
143 for SIGTERM) after writing its partial report.  Bad input is printed as ``file:line: field: message``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_HARNESS = 0, 1, 2, 3


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def _load(name: str, time_scale: float | None = None, seed: int | None = None) -> Any:
    from dataclasses import replace

    from scenarios.library import find
    from scenarios.loader import load_scenario

    scenario = load_scenario(find(name))
    changes: dict[str, Any] = {}
    if time_scale is not None:
        changes["time_scale"] = time_scale
    if seed is not None:
        changes["seed"] = seed
    return replace(scenario, **changes) if changes else scenario


def _add_limit_flags(p: argparse.ArgumentParser) -> None:
    from drill.budget import DEFAULT_LIMITS, OVERRIDE_FLAG

    d = DEFAULT_LIMITS
    g = p.add_argument_group("cost limits", "a run estimated beyond one of these is refused before it starts")
    g.add_argument("--max-requests", type=float, default=d.requests, help=f"default {d.requests:,.0f}")
    g.add_argument("--max-wall", default=d.wall_s, help=f"wall-clock duration, default {d.wall_s / 3600:g}h")
    g.add_argument("--max-memory", default=d.memory_b, help=f"default {d.memory_b / 1024**3:g}GiB")
    g.add_argument("--max-disk", default=d.disk_b, help=f"default {d.disk_b / 1024**3:g}GiB")
    g.add_argument(OVERRIDE_FLAG, dest="no_cost_limits", action="store_true", help="run whatever it costs")


def _check_cost(prog: str, name: str, plan: Any, args: argparse.Namespace) -> tuple[str | None, list[str]]:
    """The cost summary of ``plan`` and why it is refused (empty: it fits, or limits are off)."""
    from drill.budget import OVERRIDE_FLAG, Limits, estimate, over_limits
    from units.durations import ValueSyntaxError, parse_duration, parse_size

    try:
        limits = Limits(requests=float(args.max_requests), wall_s=parse_duration(args.max_wall, "--max-wall"),
                        memory_b=parse_size(args.max_memory, "--max-memory"),
                        disk_b=parse_size(args.max_disk, "--max-disk"))
    except ValueSyntaxError as exc:
        return None, [f"{prog}: {exc}"]
    cost = estimate(plan.run)
    if args.no_cost_limits:
        return cost.summary(), []
    over = over_limits(cost, limits)
    if over:
        return cost.summary(), [f"{name}: refused before starting: {line}" for line in over] + [
            f"{name}: shorten the scenario or lower its rate, raise the limit, or pass {OVERRIDE_FLAG}"]
    return cost.summary(), []


def _loopback_only() -> None:
    """The runner's own calls (fault plans, toxics, admin) go to loopback: no shell proxy may take them."""
    import os

    from drill.supervisor import PROXY_VARIABLES

    for name in PROXY_VARIABLES:
        os.environ.pop(name, None)


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
    from drill.live.target import add_target_flags

    add_target_flags(p)
    p.add_argument("--gateway-cpu", type=float, default=0.0,
                   help="sim: the gateway's own CPU seconds per request, as a fixed delay (default 0)")
    p.add_argument("--service", action="append", metavar="PROVIDER:concurrency=N,...",
                   help="sim: a provider's service model (slots, queue, tokens_per_s, ttft, overflow); repeatable")
    _add_limit_flags(p)
    args = p.parse_args(argv)
    if args.time_scale is not None and not 0 < args.time_scale <= 10:
        _err(f"llmdrill run: --time-scale must be in (0, 10], got {args.time_scale}")
        return EXIT_BAD_INPUT
    if args.workers < 0 or args.workers > 16:
        _err(f"llmdrill run: --workers must be 0..16, got {args.workers}")
        return EXIT_BAD_INPUT
    if args.prometheus:
        import shutil

        if args.mode == "sim":
            _err("llmdrill run: --prometheus watches a live run's gateway; a sim run has none")
            return EXIT_BAD_INPUT
        if shutil.which("prometheus") is None:
            _err("llmdrill run: --prometheus needs the prometheus server on PATH (Debian: apt-get install prometheus)")
            return EXIT_BAD_INPUT
    from drill.live.target import TargetError, target_from_args

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
        from drill.sim_command import run_sim_command

        return run_sim_command(args)

    from drill.live.orchestrate import run_live
    from drill.live.plan import PlanError, make_plan, with_target
    from scenarios.problems import ScenarioError

    try:
        scenario = _load(args.scenario, args.time_scale, args.seed)
        plan = make_plan(scenario)
        plan = with_target(plan, target) if target is not None else plan
    except ScenarioError as exc:
        _err("\n".join(str(prob) for prob in exc.problems))
        return EXIT_BAD_INPUT
    except PlanError as exc:
        _err(str(exc))
        return EXIT_BAD_INPUT
    cost, refused = _check_cost("llmdrill run", args.scenario, plan, args)
    if refused:
        _err("\n".join(refused))
        return EXIT_BAD_INPUT
    if not plan.compression.safe and not args.force:
        _err(f"{args.scenario}: refused before starting: {plan.compression.message()}")
        return EXIT_BAD_INPUT
    _loopback_only()
    out = Path(args.out) if args.out else Path("runs") / f"{scenario.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    wall = scenario.duration_s * scenario.time_scale
    print(f"llmdrill: {scenario.name} — {wall:.0f} s of load (time_scale {scenario.time_scale:g}); "
          f"run directory {out}", flush=True)
    print(f"llmdrill: estimated cost {cost}", flush=True)
    result = run_live(plan, out, workers=args.workers, view=not args.no_view, force=args.force,
                      prometheus=args.prometheus)
    if args.prometheus:
        from drill.live.prometheus import print_comparison

        print_comparison(out)
    if result.interrupted is not None:
        # a partial report is no verdict: say so, and exit as a process killed by that signal would
        _verdict(out, result.passed, None, partial=True)
        _err(f"llmdrill: {result.harness_error}; partial report in {out}")
        return 128 + result.interrupted
    return _verdict(out, result.passed, result.harness_error)


def _verdict(run_dir: Path, passed: bool | None, harness_error: str | None, *, partial: bool = False) -> int:
    from drill.live.harness import describe

    report = run_dir / "report.json"
    if report.exists():
        data = json.loads(report.read_text(encoding="utf-8"))
        req = data.get("requests", {})
        lat = data.get("latency_s", {})
        sev = data.get("severity", {})
        # the report's own figures, named as the report names them ("lost" is every lost record)
        print(f"requests: scheduled {req.get('total')}  sent {req.get('sent')}  succeeded {req.get('succeeded')}  "
              f"failed {req.get('failed')}  lost {req.get('lost_total')} (in flight {req.get('lost')}, "
              f"never sent {req.get('unsent')})  fallback {req.get('fallback')}  shed {req.get('shed', 0)}  "
              f"harness errors {req.get('harness_errors', 0)}")
        for failure in data.get("harness_failure") or ():
            harness_error = harness_error or "a process of the run died"
            _err(f"llmdrill: harness failure: {describe(failure)}")
        if lat:
            parts = [f"{q} {lat[q]:.3f} s" if isinstance(lat.get(q), int | float) else f"{q} -"
                     for q in ("p50", "p95", "p99")]
            print(f"latency: {'  '.join(parts)}  (scenario seconds, from intended send time)")
        print(f"severity: max {sev.get('max')}  ({sev.get('escalation', '')})")
        if sev.get("summary"):   # which reading of "failed" it used, and the other beside it
            print(f"  reading: {sev['summary']}")
        if (data.get("correctness") or {}).get("headline"):
            print(data["correctness"]["headline"])
        harness = data.get("harness") or {}
        if harness.get("summary"):
            print(harness["summary"])
        if harness.get("banner"):
            _err(f"llmdrill: {harness['banner']}")
        fired = [a["rule"] + (" (an addition to the runbook)" if a.get("origin", "runbook") != "runbook" else "")
                 for a in data.get("alerts", []) if a.get("fired")]
        print(f"alerts fired: {', '.join(fired) or 'none'}")
        for e in data.get("expectations", []):
            unknown = str(e.get("observed", "")).startswith("unknown")   # judged nothing: a harness failure
            mark = "PASS" if e.get("passed") else "UNKNOWN" if unknown else "FAIL"
            print(f"  {mark}  {e.get('name')}   (observed: {e.get('observed')})")
        print(f"report: {run_dir / 'report.html'}  (also report.md, report.json, junit.xml, plots/)")
    if harness_error is not None:
        print("verdict: none (the harness failed: no figure after the failure can be trusted)")
        _err(f"llmdrill: the harness failed: {harness_error}; logs in {run_dir / 'logs'}")
        return EXIT_HARNESS
    if passed is None:
        _err(f"llmdrill: no report could be built; see {run_dir / 'report-error.txt'}")
        return EXIT_HARNESS
    if partial:
        print("verdict: none (the run was cut short; the report covers what it recorded)")
        return EXIT_HARNESS
    print("verdict: PASSED" if passed else "verdict: FAILED")
    return EXIT_OK if passed else EXIT_FAILED


def list_(argv: list[str]) -> int:
    argparse.ArgumentParser(prog="llmdrill list", description="List the scenario library.").parse_args(argv)
    from scenarios.library import list_library

    items = list_library()
    width = max((len(s.name) for s in items), default=4)
    for s in items:
        first = s.description.strip().splitlines()[0] if s.description.strip() else ""
        print(f"{s.name.ljust(width)}  {s.wall_s:5.0f} s  {first}")
    return EXIT_OK


def validate(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="llmdrill validate", description="Check scenario files.")
    p.add_argument("files", nargs="+")
    _add_limit_flags(p)
    args = p.parse_args(argv)
    from drill.live.plan import PlanError, make_plan
    from scenarios.problems import ScenarioError

    bad = 0
    for name in args.files:
        try:
            plan = make_plan(_load(name))
        except ScenarioError as exc:
            bad += 1
            _err("\n".join(str(prob) for prob in exc.problems))
            continue
        except PlanError as exc:
            bad += 1
            _err(str(exc))
            continue
        cost, refused = _check_cost("llmdrill validate", name, plan, args)
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
    from scenarios.jsonschema import json_schema

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
    return _verdict(run_dir, passed, harness_error)


def compare(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="llmdrill compare", description="Compare two runs side by side.")
    p.add_argument("run_a")
    p.add_argument("run_b")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    args = p.parse_args(argv)
    from reports.compare import compare_reports, render_comparison_markdown

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
        from dataclasses import asdict

        print(json.dumps(asdict(comparison), indent=2, ensure_ascii=False, default=str))
    else:
        print(render_comparison_markdown(comparison))
    return EXIT_OK
