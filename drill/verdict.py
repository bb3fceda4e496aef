"""The end of a scenario command: its report's figures on the terminal, and the exit code they imply.

0 every expectation held, 1 one failed, 2 bad input, 3 the harness itself failed
(or the run was cut short: a partial report is no verdict).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from drill.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_HARNESS, EXIT_OK

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_HARNESS", "EXIT_OK", "print_verdict"]



def _err(text: str) -> None:
    print(text, file=sys.stderr)


def print_verdict(run_dir: Path, passed: bool | None, harness_error: str | None, *, partial: bool = False) -> int:
    """Print what ``run_dir``'s report says and return the exit code of the verdict."""
    from drill.live.harness import describe  # lazy: `llmdrill list` imports this module, not the harness

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
