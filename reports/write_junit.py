"""``junit.xml``: one testcase per expectation and per runbook rule the expectations assert.

A rule's testcase fails when any expectation on it fails; its body lists the rule's firing.
Built with ElementTree so that every attribute and text is escaped.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .harness import summary_line
from .report import Report
from .target import is_unknown
from .write_correctness import readings_line

__all__ = ["render_junit"]


def _case(suite: ET.Element, classname: str, name: str, failure: str | None, output: str,
          skipped: str | None = None) -> None:
    case = ET.SubElement(suite, "testcase", {"classname": classname, "name": name, "time": "0"})
    if skipped is not None:   # nobody could judge it (a figure a target gateway does not expose)
        ET.SubElement(case, "skipped", {"message": skipped})
    if failure is not None:
        node = ET.SubElement(case, "failure", {"message": failure, "type": "ExpectationFailed"})
        node.text = failure
    if output:
        ET.SubElement(case, "system-out").text = output


def render_junit(report: Report) -> str:
    name = f"llmdrill.{report.info.scenario}"
    root = ET.Element("testsuites", {"name": "llmdrill"})
    suite = ET.SubElement(root, "testsuite", {"name": name, "timestamp": "", "hostname": "localhost"})
    # the harness's own figures ride along as properties: a CI reader sees an overloaded harness too
    props = ET.SubElement(suite, "properties")
    h = report.harness
    for key, value in (("harness", summary_line(h)), ("harness.overloaded", str(h.overloaded).lower()),
                       ("harness.banner", h.banner or "")):
        ET.SubElement(props, "property", {"name": key, "value": value})
    if report.correctness is not None:
        ET.SubElement(props, "property", {"name": "correctness", "value": report.correctness.headline})
    ET.SubElement(props, "property", {"name": "severity", "value": readings_line(report)})
    cases = failures = 0
    for e in report.expectations:
        msg = (
            None
            if e.passed
            else (
                f"observed {e.observed}, expected {e.expected}" if e.expected else f"{e.observed}: {e.detail}"
            )
        )
        _case(suite, f"{name}.expectations", e.name, msg, e.detail,
              skipped=e.observed if e.passed and is_unknown(e) else None)
        cases += 1
        failures += not e.passed
    for a in report.alerts:
        if not a.asserted:
            continue
        on_rule = [e for e in report.expectations if e.rule == a.rule]
        bad = [e for e in on_rule if not e.passed]
        msg = None if not bad else "; ".join(f"{e.name}: observed {e.observed}" for e in bad)
        ttd = ", ".join(f"fault {i}: {t if t is None else f'{t:g}s'}" for i, t in a.time_to_detect_s)
        out = (
            f"{a.condition} over {a.window_s:g}s ({a.severity}); fired={a.fired}, status={a.status}, "
            f"first_fired_s={a.first_fired_s}, time_to_detect=[{ttd}]"
        )
        _case(suite, f"{name}.rules", a.rule, msg, out)
        cases += 1
        failures += bool(bad)
    if not report.conservation.holds:
        _case(suite, f"{name}.run", "request conservation", "; ".join(report.conservation.problems), "")
        cases += 1
        failures += 1
    for el in (suite, root):
        el.set("tests", str(cases))
        el.set("failures", str(failures))
        el.set("errors", "0")
        el.set("skipped", str(sum(e.passed and is_unknown(e) for e in report.expectations)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
