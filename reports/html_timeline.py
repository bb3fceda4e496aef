"""HTML pieces that place things on the run's time line: the severity band, fault bars, the axis.

Every piece is a box whose children sit at ``left``/``width`` percentages of the run, so the band,
the fault bars, the alert rows and the minute axis line up in one column of the report.
Pure string building; every text from the run is HTML-escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from .runinfo import FaultWindow
from .severity import SeverityWindow
from .timeaxis import clock, minute_ticks

__all__ = ["TIMELINE_CSS", "axis", "fault_bars", "fault_shading", "pct", "severity_band", "spans"]

TIMELINE_CSS = """
.tl{position:relative;height:1rem;background:#f3f3f3;min-width:320px}
.tl span{position:absolute;top:0;bottom:0}
.tl .fire{background:#e53935;top:.15rem;bottom:.15rem}
.tl .fz{background:#ffcdd2}
.tl.band{height:1.5rem;border:1px solid #ccc;background:#d9f2d9}
.tl.band span{font-size:.7rem;text-align:center;line-height:1.5rem;overflow:hidden}
.tl.faults{height:1.3rem;background:none}
.tl.faults span{background:#e57373;color:#fff;font-size:.72rem;line-height:1.3rem;white-space:nowrap;
overflow:hidden;text-overflow:ellipsis;padding-left:.25rem;border-radius:3px}
.tl.axis{height:1.1rem;background:none;border-top:1px solid #999}
.tl.axis span{font-size:.68rem;color:#555;transform:translateX(-50%);padding-top:.1rem}
.tl.axis span.first{transform:none}.tl.axis span.last{transform:translateX(-100%)}
.none{background:#d9f2d9}.P4{background:#fff3b0}.P3{background:#ffc870}.P2{background:#ff8a5c}
.P1{background:#d62728;color:#fff}
.insufficient{background:repeating-linear-gradient(45deg,#eee,#eee 4px,#fff 4px,#fff 8px)}
"""


def pct(x: float, end: float) -> float:
    """``x`` as a percentage of the run, clamped to the box."""
    return 0.0 if end <= 0 else max(0.0, min(100.0, 100.0 * x / end))


def spans(
    intervals: Sequence[tuple[float, float]], end_s: float, cls: str, titles: Sequence[str] = ()
) -> str:
    """One positioned ``<span>`` per interval; a zero-length one stays visible as a sliver."""
    out = []
    for i, (s, e) in enumerate(intervals):
        left = pct(s, end_s)
        width = max(min(pct(e, end_s), 100.0) - left, 0.4)
        title = f" title='{escape(titles[i])}'" if i < len(titles) else ""
        out.append(f"<span class='{cls}' style='left:{left:.2f}%;width:{width:.2f}%'{title}></span>")
    return "".join(out)


def fault_shading(faults: Sequence[FaultWindow], end_s: float) -> str:
    return spans([(f.at_s, f.end(end_s)) for f in faults], end_s, "fz")


def fault_bars(faults: Sequence[FaultWindow], end_s: float) -> str:
    parts = ["<div class='tl faults'>"]
    for f in faults:
        left = pct(f.at_s, end_s)
        width = max(pct(f.end(end_s), end_s) - left, 0.4)
        text = f"fault {f.index}: {f.label or f.provider} ({clock(f.at_s)}–{clock(f.end(end_s))})"
        parts.append(
            f"<span style='left:{left:.2f}%;width:{width:.2f}%' title='{escape(text)}'>{escape(text)}</span>"
        )
    parts.append("</div>")
    return "".join(parts)


def severity_band(windows: Sequence[SeverityWindow], end_s: float) -> str:
    parts = ["<div class='tl band'>"]
    for w in windows:
        left = pct(w.start_s, end_s)
        width = pct(min(w.end_s, end_s), end_s) - left
        title = f"{clock(w.start_s)}–{clock(w.end_s)}: {w.level}, {w.failed}/{w.requests} failed"
        if w.wrong:
            title += f" ({w.wrong} wrong answer{'s' if w.wrong != 1 else ''} against gold)"
        if w.alerts:
            title += f"; firing: {', '.join(w.alerts)}"
        label = "" if w.level in ("none", "insufficient data") else escape(w.level)
        parts.append(
            f"<span class='{escape(w.level)}' style='left:{left:.2f}%;width:{width:.2f}%' "
            f"title='{escape(title)}'>{label}</span>"
        )
    parts.append("</div>")
    return "".join(parts)


def axis(end_s: float, max_ticks: int = 11) -> str:
    """Tick labels in minutes of scenario time; the unit is written once, on the last tick."""
    ticks = minute_ticks(end_s, max_ticks) if end_s > 0 else (0.0,)
    parts = ["<div class='tl axis'>"]
    for i, t in enumerate(ticks):
        edge = " class='first'" if i == 0 else ""
        if i == len(ticks) - 1 and i > 0 and pct(t, end_s) > 97:
            edge = " class='last'"  # a centred label at the right edge would stick out of the box
        unit = " min" if i == len(ticks) - 1 else ""
        parts.append(f"<span{edge} style='left:{pct(t, end_s):.2f}%'>{t / 60:g}{unit}</span>")
    parts.append("</div>")
    return "".join(parts)
