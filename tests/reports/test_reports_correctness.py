"""Silent wrong answers (issue 13): correctness against gold, severity under both readings, the gold-probe
rule, compare, and the writers saying all of it."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.compare import compare_reports
from reports.correctness import MAX_EXAMPLES, correctness
from reports.evaluate import FIRED, NO_DATA, SILENT, evaluate
from reports.io import load_run
from reports.records import FAILED, LOST, OK, EventRecord, RequestRecord
from reports.report import build_report
from reports.rules import ALL_RULES, DEFAULT_RULES, GOLD_PROBE_EVENT, GOLD_PROBE_RULE, RULE_IDS
from reports.runinfo import RunInfo, RunInfoError
from reports.severity import ERRORS, INSUFFICIENT, WRONG_ANSWERS, severity_timeline
from reports.write_html import render_html
from reports.write_json import report_to_dict
from reports.write_junit import render_junit
from reports.write_markdown import render_markdown

WINDOW = 60.0
GOLD = {"contacto": "Dr. Pérez", "fecha": "2026-01-23", "hora": "10:00"}
SERVED = {"contacto": "Dr. Pérez", "fecha": "2026-01-23", "hora": "11:00"}


def _ok(i: int, t: float, correct: bool | None, **kw: object) -> RequestRecord:
    wrong = correct is False
    return RequestRecord(i, t, t, 0.05, OK, status=200, correct=correct, prompt_id=f"p{i}",
                         served=SERVED if wrong else None, gold=GOLD if wrong else None, **kw)  # type: ignore[arg-type]


def _probe(t: float, correct: bool | None) -> EventRecord:
    return EventRecord(t, GOLD_PROBE_EVENT, {"prompt": "x", "status": 200 if correct is not None else 503,
                                             "correct": correct, "source": "cache", "ratio": None})


# --- severity: the property -----------------------------------------------------------------------------


def _expected_level(ok: int, failed: int, alert: bool) -> str:
    total = ok + failed
    if total < 5:
        return INSUFFICIENT
    share = Fraction(failed, total)
    if share == 1:
        return "P1"
    if share > Fraction(1, 2):
        return "P2"
    if share > Fraction(1, 5):
        return "P3"
    return "P4" if alert else "none"


_KINDS = ["ok_right", "ok_wrong", "ok_unjudged", "failed", "harness", "lost"]
_ROW = st.tuples(st.floats(0, 299.9), st.sampled_from(_KINDS))
#: per severity window, how many records of each kind: every mix of levels is a few draws away
_WINDOW_MIX = st.lists(st.tuples(*(st.integers(0, n) for n in (40, 12, 4, 10, 3, 3))), min_size=5, max_size=5)


def _spread(mix: list[tuple[int, ...]]) -> list[tuple[float, str]]:
    rows = []
    for k, counts in enumerate(mix):
        kinds = [kind for kind, n in zip(_KINDS, counts, strict=True) for _ in range(n)]
        rows += [(k * WINDOW + WINDOW * (j + 0.5) / len(kinds), kind) for j, kind in enumerate(kinds)]
    return rows


def _record(i: int, t: float, kind: str) -> RequestRecord:
    if kind.startswith("ok_"):
        return _ok(i, t, {"ok_right": True, "ok_wrong": False, "ok_unjudged": None}[kind])
    if kind == "lost":
        return RequestRecord(i, t, t, None, LOST)
    return RequestRecord(i, t, t, 0.1, FAILED, error="http_503" if kind == "failed" else "client_error:X",
                         status=503 if kind == "failed" else None, harness_error=kind == "harness")


@settings(max_examples=200, deadline=None)
@given(st.lists(_ROW, max_size=150), st.sets(st.integers(0, 4)), st.sampled_from([WRONG_ANSWERS, ERRORS]))
def test_severity_per_window_is_what_outcomes_and_correctness_imply(
    rows: list[tuple[float, str]], alert_windows: set[int], reading: str
) -> None:
    reqs = [_record(i, t, kind) for i, (t, kind) in enumerate(rows)]
    tl = severity_timeline(reqs, 300.0, lambda a, b: ("r",) if int(a // WINDOW) in alert_windows else (),
                           WINDOW, reading=reading)
    assert tl.reading == reading and len(tl.windows) == 5
    for k, w in enumerate(tl.windows):
        kinds = [kind for t, kind in rows if int(t // WINDOW) == k]
        wrong = kinds.count("ok_wrong")
        failed = kinds.count("failed") + (wrong if reading == WRONG_ANSWERS else 0)
        ok = kinds.count("ok_right") + kinds.count("ok_unjudged") + (0 if reading == WRONG_ANSWERS else wrong)
        assert (w.succeeded, w.failed, w.wrong) == (ok, failed, wrong)
        assert w.harness_errors == kinds.count("harness") and w.lost == kinds.count("lost")
        assert w.level == _expected_level(ok, failed, bool(ok + failed) and k in alert_windows)


@settings(max_examples=80, deadline=None)
@given(_WINDOW_MIX, st.lists(st.booleans(), max_size=40))
def test_a_report_gives_both_readings_and_p4_by_the_letter_ignores_the_added_rule(
    mix: list[tuple[int, ...]], probes: list[bool]
) -> None:
    rows = _spread(mix)
    reqs = [_record(i, t, kind) for i, (t, kind) in enumerate(rows)]
    events = [_probe(7.5 * (i + 1), c) for i, c in enumerate(probes)]  # one probe every 7.5 s
    info = RunInfo("prop", duration_s=300.0)
    report = build_report(info, reqs, [], events)
    other = report.severity_other
    assert other is not None
    assert (report.severity.reading, other.reading) == (WRONG_ANSWERS, ERRORS)
    ev = evaluate(reqs, [], events, (), 300.0, ALL_RULES)
    for reading, tl, firing in ((WRONG_ANSWERS, report.severity, ev.firing_during),
                                (ERRORS, other, ev.runbook_firing_during)):
        for w in tl.windows:
            kinds = [kind for t, kind in rows if w.start_s <= t < w.end_s]
            wrong = kinds.count("ok_wrong")
            failed = kinds.count("failed") + (wrong if reading == WRONG_ANSWERS else 0)
            ok = len([k for k in kinds if k.startswith("ok_")]) - (wrong if reading == WRONG_ANSWERS else 0)
            alert = bool(ok + failed) and bool(firing(w.start_s, w.end_s))
            assert w.level == _expected_level(ok, failed, alert), (reading, w)
    # the run's own reading can be the runbook's letter: then the other one is the default
    flipped = build_report(RunInfo("prop", duration_s=300.0, severity_reading=ERRORS), reqs, [], events)
    assert flipped.severity == other and flipped.severity_other == report.severity


def test_every_answer_wrong_is_p1_by_default_and_none_by_the_letter() -> None:
    # the hazard the issue found: fast 200s, high confidence, the wrong appointment; severity said "none"
    reqs = [_ok(i, i * 0.5, False, confidence=0.95) for i in range(240)]
    report = build_report(RunInfo("hazard", duration_s=120.0), reqs, [], [])
    assert report.severity.max == "P1"
    assert report.severity_other is not None and report.severity_other.max == "none"
    assert report.severity.windows[0].wrong == 120


# --- the gold-probe rule ---------------------------------------------------------------------------------


def _gold_rule(events: list[EventRecord], end_s: float = 300.0) -> str:
    ev = evaluate([], [], events, (), end_s, (GOLD_PROBE_RULE,))
    rule = ev.rule(GOLD_PROBE_RULE.id)
    assert rule is not None
    return rule.status


def test_gold_probe_rule_is_an_addition_not_one_of_the_ten() -> None:
    assert GOLD_PROBE_RULE.origin == "addition" and GOLD_PROBE_RULE.id not in RULE_IDS
    assert len(DEFAULT_RULES) == 10 and ALL_RULES[-1] is GOLD_PROBE_RULE
    assert (GOLD_PROBE_RULE.comparison, GOLD_PROBE_RULE.threshold, GOLD_PROBE_RULE.window_s) == ("<", 0.9, 300.0)


def test_gold_probe_rule_fires_below_90_percent() -> None:
    # the wrong ones last, so that no shorter window before them holds a lower share
    nine_of_ten = [_probe(10.0 * (i + 1), i != 9) for i in range(10)]
    assert _gold_rule(nine_of_ten) == SILENT  # exactly 0.9 is not "< 0.9"
    eight_of_ten = [_probe(10.0 * (i + 1), i not in (8, 9)) for i in range(10)]
    assert _gold_rule(eight_of_ten) == FIRED


def test_gold_probe_rule_needs_five_judged_probes_and_ignores_unanswered_ones() -> None:
    # four wrong probes are not enough to judge; unanswered probes (an outage) are no sample at all
    assert _gold_rule([_probe(10.0 * i, False) for i in range(4)] + [_probe(50.0 + i, None) for i in range(9)]) \
        == NO_DATA
    assert _gold_rule([_probe(10.0 * i, False) for i in range(5)]) == FIRED


def test_no_probe_at_all_is_no_data_and_the_report_says_why() -> None:
    report = build_report(RunInfo("quiet", duration_s=120.0), [_ok(i, i, True) for i in range(100)], [], [])
    alert = next(a for a in report.alerts if a.rule == GOLD_PROBE_RULE.id)
    assert alert.status == NO_DATA and alert.origin == "addition"
    assert "no gold_probe event" in alert.note


# --- correctness ---------------------------------------------------------------------------------------


def test_correctness_by_source_provider_and_phase() -> None:
    from reports.runinfo import Phase

    reqs = [
        _ok(0, 10.0, True, provider="qwen"),
        _ok(1, 20.0, False, provider="qwen"),
        _ok(2, 30.0, False, cache_hit=True),
        _ok(3, 70.0, True, fallback=True),
        _ok(4, 80.0, False, degraded=True, provider="claude"),
        _ok(5, 90.0, None, provider="claude"),             # no gold: not judged
        RequestRecord(6, 95.0, 95.0, 0.1, FAILED, status=503, error="http_503"),
    ]
    info = RunInfo("c", duration_s=120.0, phases=(Phase("calm", 0.0, 60.0), Phase("storm", 60.0, None)))
    c = correctness(info, reqs, [_probe(5.0, True), _probe(15.0, False), _probe(25.0, None)], 120.0,
                    {"p1": "cita mañana 10am con Dr. Pérez"})
    assert (c.overall.judged, c.overall.correct, c.overall.wrong) == (5, 2, 3)
    assert {s.label: (s.judged, s.correct) for s in c.by_source} == {
        "llm": (2, 1), "cache": (1, 0), "fallback": (1, 1), "degraded": (1, 0)}
    assert {s.label: (s.judged, s.correct) for s in c.by_provider} == {"claude": (1, 0), "qwen": (2, 1)}
    assert {s.label: (s.judged, s.correct) for s in c.by_phase} == {"calm": (3, 1), "storm": (2, 1)}
    assert (c.probe.judged, c.probe.correct, c.probe_unanswered) == (2, 1, 1)
    first = c.examples[0]
    assert (first.prompt, first.gold, first.served, first.source) == (
        "cita mañana 10am con Dr. Pérez", GOLD, SERVED, "llm")
    assert {x.source for x in c.examples} == {"llm", "cache", "degraded"}
    assert "40.0% of 5 judged answers" in c.headline and "3 (60.0%)" in c.headline


def test_examples_are_few_and_spread() -> None:
    reqs = [_ok(i, float(i), False, cache_hit=True) for i in range(1000)]
    c = correctness(RunInfo("x", duration_s=1000.0), reqs, [], 1000.0)
    assert len(c.examples) == MAX_EXAMPLES
    times = [x.t_s for x in c.examples]
    assert times == sorted(times) and times[-1] - times[0] >= 500


def test_no_gold_is_no_data_not_zero() -> None:
    c = correctness(RunInfo("x"), [_ok(0, 1.0, None)], [], 10.0)
    assert c.overall.rate is None and "no data" in c.headline


# --- the writers and compare -----------------------------------------------------------------------------


def _hazard_report(reading: str = WRONG_ANSWERS):  # type: ignore[no-untyped-def]
    reqs = [_ok(i, i * 0.5, i % 7 == 0, cache_hit=i > 10) for i in range(600)]
    probes = [_probe(10.0 * i, i % 5 == 0) for i in range(30)]
    info = RunInfo("hazard", duration_s=300.0, severity_reading=reading,
                   expectations=("rate(correct) after 2m < 0.5", "severity.max >= P2"))
    return build_report(info, reqs, [], probes, prompts={"p7": "una cita"})


def test_every_format_shows_correctness_the_reading_and_the_addition() -> None:
    report = _hazard_report()
    md, html, data = render_markdown(report), render_html(report), report_to_dict(report)
    head = "\n".join(md.splitlines()[:6])
    assert "gave the user the wrong appointment" in head and "quality.gold_probe_correctness" in head
    assert "counting wrong answers as failed (the default)" in head and "counting errors only" in head
    assert "addition to the runbook" in md and "addition to the runbook" in html
    assert "Correctness against gold" in html and "wrong answers" in html
    assert data["correctness"]["overall"]["wrong"] == report.correctness.overall.wrong  # type: ignore[union-attr]
    assert data["severity"]["reading"] == WRONG_ANSWERS
    assert data["severity"]["other_reading"]["reading"] == ERRORS
    assert data["rates"]["rate(correct) after 120.0s"] < 0.5
    gold = next(a for a in data["alerts"] if a["rule"] == GOLD_PROBE_RULE.id)
    assert gold["origin"] == "addition" and gold["fired"]
    json.dumps(data, allow_nan=False)
    junit = render_junit(report)
    assert "gave the user the wrong appointment" in junit and "counting errors only" in junit


def test_compare_sets_correctness_and_the_expectations_rates_side_by_side() -> None:
    hazard = report_to_dict(_hazard_report())
    guarded_reqs = [_ok(i, i * 0.5, True) for i in range(600)]
    guarded = report_to_dict(build_report(
        RunInfo("guarded", duration_s=300.0, expectations=("rate(correct) > 0.99", "rate(shed) < 0.01")),
        guarded_reqs, [], [_probe(10.0 * i, True) for i in range(30)]))
    rows = {label: (a, b) for label, a, b, _ in compare_reports(hazard, guarded).rows}
    assert rows["correct against gold"][1] == 1.0 and rows["correct against gold"][0] < 0.5
    assert rows["gold probe correct"] == (pytest.approx(0.2), 1.0)
    assert rows["severity max"][1] == "none" and rows["severity max, other reading"] == ("none", "none")
    assert rows["rate(correct) after 120.0s"][1] is None        # only the hazard's expectations name it
    assert rows["rate(shed)"][0] is None and rows["rate(shed)"][1] == 0.0
    assert "rate(correct)" in rows


# --- run data ------------------------------------------------------------------------------------------


def test_run_info_reading_round_trips_and_a_bad_one_is_named() -> None:
    info = RunInfo("x", severity_reading=ERRORS)
    assert RunInfo.from_dict(info.to_dict()).severity_reading == ERRORS
    with pytest.raises(RunInfoError, match="severity_reading"):
        RunInfo.from_dict({"scenario": "x", "severity_reading": "users"})


def test_load_run_keeps_a_record_with_malformed_evidence_and_reads_prompts(tmp_path: Path) -> None:
    good = _ok(1, 1.0, False).to_dict()
    bad = {**_ok(2, 2.0, False).to_dict(), "served": ["not", "a", "mapping"], "gold": {"hora": 10}}
    (tmp_path / "requests.jsonl").write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    (tmp_path / "run.json").write_text(json.dumps(RunInfo("x").to_dict()), encoding="utf-8")
    (tmp_path / "prompts.json").write_text(json.dumps([{"id": "p1", "prompt": "una cita"}]), encoding="utf-8")
    run = load_run(tmp_path)
    assert [r.id for r in run.requests] == [1, 2]
    assert run.requests[0].served == SERVED and run.requests[1].served is None and run.requests[1].gold is None
    assert run.prompts == {"p1": "una cita"}
    (tmp_path / "prompts.json").write_text("[oops", encoding="utf-8")
    assert any("prompts.json" in p for p in load_run(tmp_path).problems)


def test_llmdrill_report_rerenders_with_the_runbooks_letter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from drill.commands import report as report_command

    reqs = [_ok(i, i * 0.5, False) for i in range(240)]
    (tmp_path / "requests.jsonl").write_text("".join(json.dumps(r.to_dict()) + "\n" for r in reqs), encoding="utf-8")
    info = RunInfo("letter", duration_s=120.0, expectations=("severity.max <= P4",))
    (tmp_path / "run.json").write_text(json.dumps(info.to_dict()), encoding="utf-8")
    assert report_command([str(tmp_path)]) == 1          # by default every user was failed: P1
    assert report_command([str(tmp_path), "--severity-reading", "errors"]) == 0
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert (data["severity"]["reading"], data["severity"]["max"]) == (ERRORS, "none")
    assert data["severity"]["other_reading"]["max"] == "P1"
    out = capsys.readouterr().out
    assert "none counting errors only (the runbook's letter); P1 counting wrong answers" in out


def test_the_correctness_series_follows_the_answers() -> None:
    # right for the first minute, then wrong: the plot must show the fall, bucket by bucket
    reqs = [_ok(i, float(i), i < 60) for i in range(120)] + [_ok(999, 1.0, None)]
    report = build_report(RunInfo("fall", duration_s=120.0), reqs, [], [])
    s = report.series
    for start, rate in zip(s.t_s, s.correct_rate, strict=True):
        judged = [r for r in reqs if start <= r.intended_s < start + s.bucket_s and r.correct is not None]
        assert rate == (sum(bool(r.correct) for r in judged) / len(judged) if judged else None)
    assert s.correct_rate[0] == 1.0 and s.correct_rate[-1] == 0.0
