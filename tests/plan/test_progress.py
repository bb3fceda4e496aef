"""The progress bar: its share, its ETA from the points done so far, one line per point off a terminal."""

from __future__ import annotations

import io

from drill.plan.progress import Progress, clock_text


def test_eta_is_the_mean_point_time_times_the_points_left() -> None:
    bar = Progress(4, io.StringIO(), width=8)
    bar.started = 100.0
    assert bar.line(now=110.0).endswith("ETA ?")          # nothing done: no guess
    bar.done = 1
    assert bar.line(now=110.0) == "[##......] 1/4 points  25%  elapsed 0:10  ETA 0:30"


def test_off_a_terminal_each_point_is_a_line() -> None:
    out = io.StringIO()
    bar = Progress(2, out)
    bar.step()
    bar.step("a point failed: boom")
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and lines[0].startswith("[") and lines[1].endswith("a point failed: boom")
    assert "\r" not in out.getvalue()


def test_clock_text() -> None:
    assert [clock_text(s) for s in (0, 59.6, 61, 3600, 3725)] == ["0:00", "1:00", "1:01", "1:00:00", "1:02:05"]
