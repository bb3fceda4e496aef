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


def run(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="llmdrill run", description="Run a scenario live and report on it.")
    p.add_argument("scenario", help="a library name (see 'llmdrill list') or a scenario file")
    p.add_argument("--out", help="run directory (default runs/<scenario>-<time>)")
    p.add_argument("--time-scale", type=float, help="override the scenario's time_scale (0 < x <= 10)")
    p.add_argument("--seed", type=int, help="override the scenario's seed")
    p.add_argument("--workers", type=int, default=0, help="Locust worker processes (0: one standalone process)")
    p.add_argument("--no-view", action="store_true", help="no live terminal view")
    args = p.parse_args(argv)
    if args.time_scale is not None and not 0 < args.time_scale <= 10:
        _err(f"llmdrill run: --time-scale must be in (0, 10], got {args.time_scale}")
        return EXIT_BAD_INPUT
    if args.workers < 0 or args.workers > 16:
        _err(f"llmdrill run: --workers must be 0..16, got {args.workers}")
        return EXIT_BAD_INPUT

    from drill.live.orchestrate import run_live
    from drill.live.plan import PlanError, make_plan
    from scenarios.problems import ScenarioError

    try:
        scenario = _load(args.scenario, args.time_scale, args.seed)
        plan = make_plan(scenario)
    except ScenarioError as exc:
        _err("\n".join(str(prob) for prob in exc.problems))
        return EXIT_BAD_INPUT
    except PlanError as exc:
        _err(str(exc))
        return EXIT_BAD_INPUT
    out = Path(args.out) if args.out else Path("runs") / f"{scenario.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    wall = scenario.duration_s * scenario.time_scale
    print(f"llmdrill: {scenario.name} — {wall:.0f} s of load (time_scale {scenario.time_scale:g}); "
          f"run directory {out}", flush=True)
    result = run_live(plan, out, workers=args.workers, view=not args.no_view)
    if result.interrupted is not None:
        # a partial report is no verdict: say so, and exit as a process killed by that signal would
        _verdict(out, result.passed, None, partial=True)
        _err(f"llmdrill: {result.harness_error}; partial report in {out}")
        return 128 + result.interrupted
    return _verdict(out, result.passed, result.harness_error)


def _verdict(run_dir: Path, passed: bool | None, harness_error: str | None, *, partial: bool = False) -> int:
    report = run_dir / "report.json"
    if report.exists():
        data = json.loads(report.read_text(encoding="utf-8"))
        req = data.get("requests", {})
        lat = data.get("latency_s", {})
        sev = data.get("severity", {})
        print(f"requests: sent {req.get('sent')}  succeeded {req.get('succeeded')}  failed {req.get('failed')}  "
              f"lost {req.get('lost')}  fallback {req.get('fallback')}")
        if lat:
            parts = [f"{q} {lat[q]:.3f} s" if isinstance(lat.get(q), int | float) else f"{q} -"
                     for q in ("p50", "p95", "p99")]
            print(f"latency: {'  '.join(parts)}  (scenario seconds, from intended send time)")
        print(f"severity: max {sev.get('max')}  ({sev.get('escalation', '')})")
        fired = [a["rule"] for a in data.get("alerts", []) if a.get("fired")]
        print(f"alerts fired: {', '.join(fired) or 'none'}")
        for e in data.get("expectations", []):
            mark = "PASS" if e.get("passed") else "FAIL"
            print(f"  {mark}  {e.get('name')}   (observed: {e.get('observed')})")
        print(f"report: {run_dir / 'report.html'}  (also report.md, report.json, junit.xml, plots/)")
    if harness_error is not None:
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
    args = p.parse_args(argv)
    from drill.live.plan import PlanError, make_plan
    from scenarios.problems import ScenarioError

    bad = 0
    for name in args.files:
        try:
            make_plan(_load(name))
        except ScenarioError as exc:
            bad += 1
            _err("\n".join(str(prob) for prob in exc.problems))
            continue
        except PlanError as exc:
            bad += 1
            _err(str(exc))
            continue
        print(f"{name}: ok")
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


def report(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="llmdrill report", description="Re-render the report of a run directory.")
    p.add_argument("run_dir")
    args = p.parse_args(argv)
    from drill.live.collect import collect_gateway_events, finish_report

    run_dir = Path(args.run_dir)
    if not run_dir.is_dir():
        _err(f"llmdrill report: {run_dir}: not a directory")
        return EXIT_BAD_INPUT
    collect_gateway_events(run_dir)
    passed = finish_report(run_dir)
    if passed is None:
        _err((run_dir / "report-error.txt").read_text(encoding="utf-8").strip())
        return EXIT_BAD_INPUT
    return _verdict(run_dir, passed, None)


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
