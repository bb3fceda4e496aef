"""``llmdrill export``: the runbook's alerts as Prometheus rules, promtool tests of a run, a Grafana dashboard.

- ``prometheus-rules [--out FILE] [--slo 0.999] [--time-scale X]``: the rule file (stdout by default);
  with a time scale, compressed for a Prometheus that watches a compressed run as it happens.
- ``promtool-tests RUN_DIR [--out DIR] [--check]``: ``DIR/rules.yml`` (the run's rules) and
  ``DIR/tests.yml`` (its scraped series, the harness's alerts expected); ``--check`` runs
  ``promtool test rules`` on them.  DIR defaults to ``RUN_DIR/promtool``.
- ``grafana-dashboard [--out FILE]``: the dashboard JSON.

Exit codes: 0 done (and, with ``--check``, promtool agreed); 1 promtool disagreed; 2 bad input.
"""

from __future__ import annotations

import argparse
import difflib
import json
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
RULES_FILE, TESTS_FILE = "rules.yml", "tests.yml"


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def _write(text: str, out: str | None) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    _err(f"llmdrill export: wrote {path}")


def _rules_header(source: str) -> str:
    return (f"Prometheus alerting rules of the llmdrill runbook ({source}), written by 'llmdrill export "
            "prometheus-rules'.\nCheck with 'promtool check rules FILE'.")


def prometheus_rules(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="llmdrill export prometheus-rules",
                                description="Write the runbook's alerts as a Prometheus rule file.")
    p.add_argument("--out", help="write to this file (default: stdout)")
    p.add_argument("--slo", type=float, default=0.999, help="availability objective of the burn-rate alerts "
                                                            "(default 0.999)")
    p.add_argument("--time-scale", type=float, default=1.0,
                   help="rules for a Prometheus watching a run compressed by this factor live: windows and "
                        "latency thresholds x it (default 1: the runbook's real seconds)")
    args = p.parse_args(argv)
    if not 0 < args.time_scale <= 10:
        _err(f"llmdrill export prometheus-rules: --time-scale must be in (0, 10], not {args.time_scale}")
        return EXIT_BAD_INPUT
    if not 0 < args.slo < 1:
        _err(f"llmdrill export prometheus-rules: --slo must be a fraction in (0, 1), e.g. 0.999, not {args.slo}")
        return EXIT_BAD_INPUT
    # lazy, here and in the other exports: each loads its own part of reports once its arguments parse
    from reports.export_prometheus import render_rule_file, rule_groups
    from reports.rules import ALL_RULES

    source = "default rules" if args.time_scale == 1 else f"default rules at time_scale {args.time_scale:g}"
    text = render_rule_file(rule_groups(ALL_RULES, slo_objective=args.slo, time_scale=args.time_scale),
                            _rules_header(source))
    _write(text, args.out)
    return EXIT_OK


def promtool_tests(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="llmdrill export promtool-tests",
                                description="Write promtool rule tests from a run's scraped metrics.")
    p.add_argument("run_dir", help="a live run's directory (it holds metrics.jsonl)")
    p.add_argument("--out", help="directory for rules.yml and tests.yml (default RUN_DIR/promtool)")
    p.add_argument("--every", type=float, default=30.0, help="scenario seconds between checked eval times")
    p.add_argument("--check", action="store_true", help="run 'promtool test rules' on the written files")
    args = p.parse_args(argv)
    if not args.every > 0:
        _err(f"llmdrill export promtool-tests: --every must be positive, not {args.every}")
        return EXIT_BAD_INPUT
    # lazy: the report builder (~0.7 s, numpy) for promtool-tests alone
    from reports.export_prometheus import render_rule_file, rule_groups
    from reports.export_promtool import build_promtool_tests
    from reports.io import RunDataError, load_run
    from reports.report import build_report
    from reports.scrapes import read_scrapes, to_scenario_time

    run_dir = Path(args.run_dir)
    try:
        run = load_run(run_dir)
        scrapes = read_scrapes(run_dir / "metrics.jsonl")
        report = build_report(run.info, run.requests, run.calls, run.events, data_problems=run.problems)
        scale = run.info.time_scale if run.info.mode == "live" else 1.0
        tests = build_promtool_tests(report.evaluation, to_scenario_time(scrapes, scale),
                                     rule_file=RULES_FILE, name=f"{run.info.scenario} ({run_dir.name})",
                                     degraded_always=run.info.degradation_mode, every_s=args.every)
    except (RunDataError, ValueError) as exc:
        _err(f"llmdrill export promtool-tests: {exc}")
        return EXIT_BAD_INPUT
    out = Path(args.out) if args.out else run_dir / "promtool"
    out.mkdir(parents=True, exist_ok=True)
    rules = tuple(r.rule for r in report.evaluation.rules)
    (out / RULES_FILE).write_text(render_rule_file(
        rule_groups(rules, degraded_always=run.info.degradation_mode),
        _rules_header(f"run {run_dir.name}, scenario {run.info.scenario}")), encoding="utf-8")
    header = (f"promtool rule tests of run {run_dir} (scenario {run.info.scenario}, time_scale "
              f"{run.info.time_scale:g}), written by 'llmdrill export promtool-tests'.\n"
              "Input: the gateway's /metrics as scraped during the run, on the scenario's time base.\n"
              "Expected: the alerts the harness's evaluator found at the same times. Run: "
              f"promtool test rules {TESTS_FILE}")
    (out / TESTS_FILE).write_text(tests.render(header), encoding="utf-8")
    checked = sum(len(a.checked) for a in tests.alerts)
    _err(f"llmdrill export: wrote {out / RULES_FILE} and {out / TESTS_FILE} ({tests.series} series, "
         f"{checked} alert checks)")
    for a in tests.alerts:
        if a.skipped_rule:
            _err(f"  {a.alertname}: not checked: {a.skipped_rule}")
    if not args.check:
        return EXIT_OK
    promtool = shutil.which("promtool")
    if promtool is None:
        _err("llmdrill export promtool-tests: --check needs promtool (Debian: apt-get install prometheus)")
        return EXIT_BAD_INPUT
    done = subprocess.run([promtool, "test", "rules", TESTS_FILE], cwd=out, check=False)
    return EXIT_OK if done.returncode == 0 else EXIT_FAILED


def grafana_dashboard(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="llmdrill export grafana-dashboard",
                                description="Write a Grafana dashboard with the runbook's panels.")
    p.add_argument("--out", help="write to this file (default: stdout)")
    args = p.parse_args(argv)
    from reports.export_grafana import dashboard  # lazy, as the other exports

    _write(json.dumps(dashboard(), indent=2, ensure_ascii=False) + "\n", args.out)
    return EXIT_OK


SUBCOMMANDS = {
    "prometheus-rules": (prometheus_rules, "the runbook's alerts as a Prometheus rule file"),
    "promtool-tests": (promtool_tests, "promtool rule tests from a run's scraped metrics"),
    "grafana-dashboard": (grafana_dashboard, "a Grafana dashboard with the runbook's panels"),
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        width = max(len(n) for n in SUBCOMMANDS)
        lines = ["usage: llmdrill export WHAT [ARGS...]", "", "what:"]
        lines += [f"  {n.ljust(width)}  {h}" for n, (_, h) in SUBCOMMANDS.items()]
        print("\n".join(lines))
        return EXIT_OK if argv else EXIT_BAD_INPUT
    entry = SUBCOMMANDS.get(argv[0])
    if entry is None:
        close = difflib.get_close_matches(argv[0], list(SUBCOMMANDS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else f"; one of: {', '.join(SUBCOMMANDS)}"
        _err(f"llmdrill export: unknown export {argv[0]!r}{hint}")
        return EXIT_BAD_INPUT
    try:
        return entry[0](argv[1:])
    except SystemExit as exc:   # argparse's own errors and --help
        return int(exc.code) if isinstance(exc.code, int) else EXIT_BAD_INPUT
