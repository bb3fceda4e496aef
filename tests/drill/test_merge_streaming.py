"""The merge of the workers' record files: its counters, requests lost in flight told from those never
sent (even when the writer was SIGKILLed), and memory that does not grow with the run's length."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drill.load.config import LoadConfig
from drill.load.merge import MERGE_FILE, merge_records, read_records
from drill.load.recorder import LOST_IN_FLIGHT, UNSENT, RecordSink
from reports.records import FAILED, LOST, OK
from workload.outcome import failed
from workload.prompts import parse_prompts
from workload.schedule import Stage, arrivals

ROOT = Path(__file__).resolve().parents[2]
PROMPTS = parse_prompts([{"id": "a", "prompt": "x"}, {"id": "b", "prompt": "y"}])


def _config(tmp_path: Path, duration: float = 5.0, rate: float = 20.0, seed: int = 4) -> LoadConfig:
    return LoadConfig((Stage(duration, rate),), str(tmp_path / "p.json"), str(tmp_path / "r.jsonl"), seed=seed)


def test_a_sigkilled_writer_leaves_its_in_flight_requests_lost_in_flight(tmp_path: Path) -> None:
    """What a SIGKILL leaves: records for the answered, sent marks for the in-flight, nothing for the rest."""
    cfg = _config(tmp_path)
    schedule = list(arrivals(cfg.stages, cfg.seed))
    answered, in_flight = schedule[:40], schedule[40:47]
    part = tmp_path / "requests.w0.jsonl"
    sink = RecordSink(part)
    for a in answered + in_flight:
        sink.begin(a.id, a.t_s, "a")
        sink.mark_sent(a.id, a.t_s + 0.001)
    for a in answered:
        sink.complete(failed(a.id, a.t_s, a.t_s + 0.001, 0.2, "http_503", "a"))
    # no sink.close(): the process died here
    out = tmp_path / "requests.jsonl"
    result = merge_records([part], out, cfg, 1, PROMPTS)
    records = {r.id: r for r in read_records(out)[0]}
    assert sorted(records) == sorted(a.id for a in schedule)
    for a in in_flight:
        r = records[a.id]
        assert (r.outcome, r.error, r.sent_s) == (LOST, LOST_IN_FLIGHT, a.t_s + 0.001)
    for a in schedule[47:]:
        r = records[a.id]
        assert (r.outcome, r.error, r.sent_s) == (LOST, UNSENT, None)
    assert result.lost_in_flight == len(in_flight) and result.unsent == len(schedule) - 47
    assert result.backfilled == len(schedule) - 40
    assert json.loads((tmp_path / MERGE_FILE).read_text()) == result.to_dict()


def test_a_closed_sink_says_why_each_lost_request_is_lost(tmp_path: Path) -> None:
    sink = RecordSink(tmp_path / "r.jsonl")
    sink.begin(1, 0.0, None)
    sink.begin(2, 0.1, None)
    sink.mark_sent(1, 0.01)
    assert sink.close() == 2
    records = {r.id: r for r in read_records(tmp_path / "r.jsonl")[0]}
    assert (records[1].error, records[1].sent_s) == (LOST_IN_FLIGHT, 0.01)
    assert (records[2].error, records[2].sent_s) == (UNSENT, None)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.data(),
    workers=st.integers(1, 3),
    seed=st.integers(0, 1000),
    extra=st.lists(st.integers(10**6, 10**6 + 50), max_size=5, unique=True),
    torn=st.integers(0, 3),
)
def test_merge_counters_account_for_every_line(tmp_path: Path, data: st.DataObject, workers: int, seed: int,
                                               extra: list[int], torn: int) -> None:
    cfg = _config(tmp_path, duration=2.0, rate=15.0, seed=seed)
    parts, written, dups = [], set(), 0
    for w in range(workers):
        mine = list(arrivals(cfg.stages, seed, cfg.arrival, w, workers))
        keep = data.draw(st.lists(st.sampled_from(mine), unique_by=lambda a: a.id) if mine else st.just([]))
        again = data.draw(st.lists(st.sampled_from(keep), max_size=3) if keep else st.just([]))
        part = tmp_path / f"w{w}.jsonl"
        with part.open("w") as f:
            for a in [*keep, *again]:
                f.write(json.dumps(failed(a.id, a.t_s, a.t_s, 0.1, "http_500", "a").to_dict()) + "\n")
            if w == 0:
                for rid in extra:   # ids the schedule never had (a tampered file)
                    f.write(json.dumps(failed(rid, 1.0, 1.0, 0.1, "http_500", "a").to_dict()) + "\n")
                f.write("{torn\n" * torn)
        written |= {a.id for a in keep}
        dups += len(again)
        parts.append(part)
    scheduled = [a for w in range(workers) for a in arrivals(cfg.stages, seed, cfg.arrival, w, workers)]
    out = tmp_path / "requests.jsonl"
    result = merge_records(parts, out, cfg, workers, PROMPTS)
    records, bad = read_records(out)
    assert bad == 0 and result.bad_lines == torn and result.duplicates == dups
    assert result.scheduled == len(scheduled) and result.unscheduled == len(extra)
    assert result.backfilled == len(scheduled) - len(written)
    assert len(records) == len(scheduled) + len(extra) == len({r.id for r in records})
    assert result.counts.get(FAILED, 0) == len(written) + len(extra)
    assert result.counts.get(LOST, 0) == result.backfilled == result.unsent
    assert OK not in result.counts
    order = [(r.intended_s, r.id) for r in records]
    assert order == sorted(order)


_MERGE_RSS = textwrap.dedent("""
    import resource, sys
    sys.path.insert(0, {root!r})
    from pathlib import Path
    from drill.load.config import LoadConfig
    from drill.load.merge import merge_records
    from workload.prompts import parse_prompts
    from workload.schedule import Stage
    d = Path({d!r})
    cfg = LoadConfig((Stage({duration}, 200.0),), str(d / "p.json"), str(d / "r.jsonl"), seed=1)
    merge_records([d / "part.jsonl"], d / "requests.jsonl", cfg, 1,
                  parse_prompts([{{"id": "a", "prompt": "x"}}]))
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
""")


def _merge_rss_kib(tmp_path: Path, duration: float) -> int:
    d = tmp_path / f"d{duration:g}"
    d.mkdir()
    cfg = LoadConfig((Stage(duration, 200.0),), str(d / "p.json"), str(d / "r.jsonl"), seed=1)
    with (d / "part.jsonl").open("w") as f:   # every other request answered; the rest backfilled
        for i, a in enumerate(arrivals(cfg.stages, 1)):
            if i % 2 == 0:
                f.write(json.dumps(failed(a.id, a.t_s, a.t_s, 0.1, "http_500", "a").to_dict()) + "\n")
    code = _MERGE_RSS.format(root=str(ROOT), d=str(d), duration=duration)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    return int(out.stdout.split()[-1])


def test_merge_memory_does_not_grow_with_the_run(tmp_path: Path) -> None:
    small = _merge_rss_kib(tmp_path, 50.0)      # ~10,000 scheduled requests
    large = _merge_rss_kib(tmp_path, 400.0)     # ~80,000
    # holding every record costs ~17 MB more for the large run (measured); streaming, nothing
    assert large - small < 8 * 1024, f"merge peak RSS {small} KiB -> {large} KiB"
