"""The live terminal view: phase, request rate, p95, errors, alerts, breakers, severity.

Reads the run's own record files as they grow (never the processes' memory), so
what it shows is what the report will be built from.  On a terminal it redraws
one line; in a log (CI) it prints a line every few seconds.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

import httpx

from .plan import LivePlan

WINDOW_S = 10.0


class _Tail:
    """Read whole new lines appended to a file since the last call."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._offset = 0
        self._partial = b""

    def lines(self) -> list[dict[str, Any]]:
        try:
            with self._path.open("rb") as f:
                f.seek(self._offset)
                data = f.read()
        except FileNotFoundError:
            return []
        self._offset += len(data)
        data = self._partial + data
        *whole, self._partial = data.split(b"\n")
        out = []
        for raw in whole:
            try:
                out.append(json.loads(raw))
            except ValueError:
                continue
        return out


class LiveView:
    def __init__(self, plan: LivePlan, run_dir: Path, epoch: float, gateway_url: str | None,
                 period_s: float | None = None) -> None:
        self._plan = plan
        self._epoch = epoch
        self._gateway = gateway_url
        # Locust processes append to their own files while the run goes; requests.jsonl is the merge at the end.
        self._load_dir = run_dir / "logs" / "load"
        self._requests: dict[Path, _Tail] = {}
        self._calls = _Tail(run_dir / "gateway-events.jsonl")
        self._tty = sys.stderr.isatty()
        self._period = period_s if period_s is not None else (1.0 if self._tty else 5.0)
        self._done: deque[tuple[float, dict[str, Any]]] = deque()
        self._upstream: deque[tuple[float, dict[str, Any]]] = deque()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="live-view", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        if self._tty:
            sys.stderr.write("\n")
            sys.stderr.flush()

    def _run(self) -> None:
        while not self._stop.wait(self._period):
            try:
                line = self.render(time.monotonic() - self._epoch)
            except Exception as exc:  # the view must never break a run
                line = f"(live view: {type(exc).__name__})"
            sys.stderr.write(("\r\x1b[2K" if self._tty else "") + line + ("" if self._tty else "\n"))
            sys.stderr.flush()

    def render(self, now_s: float) -> str:
        for path in sorted(self._load_dir.glob("requests.w*.jsonl")):
            self._requests.setdefault(path, _Tail(path))
        for r in (r for tail in self._requests.values() for r in tail.lines()):
            end = float(r.get("intended_s") or 0) + float(r.get("latency_s") or 0)
            self._done.append((end, r))
        for c in self._calls.lines():
            if c.get("record") == "call" and not c.get("probe"):
                # the gateway logs raw monotonic seconds; place them on the run's time
                self._upstream.append((float(c["t_s"]) - self._epoch + float(c["latency_s"]), c))
        for q in (self._done, self._upstream):
            while q and q[0][0] < now_s - WINDOW_S:
                q.popleft()
        recent = [r for _, r in self._done]
        n = len(recent)
        failed = sum(1 for r in recent if r.get("outcome") != "ok")
        fallback = sum(1 for r in recent if r.get("fallback"))
        lat = sorted(float(r["latency_s"]) for r in recent if r.get("latency_s") is not None)
        p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))] if lat else None
        scale = self._plan.run_info.time_scale
        phase = next((p.name for p in self._plan.run.phases if p.at_s <= now_s < p.until_s), "-")
        duration = self._plan.run.duration_s
        fail_rate = failed / n if n else 0.0
        severity = "P1" if n and failed == n else "P2" if fail_rate > 0.5 else "P3" if fail_rate > 0.2 else \
            ("P4?" if self._alerts() else "none")
        parts = [
            f"[{min(now_s, duration):6.1f}s/{duration:.0f}s]",
            f"phase {phase}",
            f"{n / WINDOW_S:5.1f} req/s",
            f"p95 {p95 / scale:6.2f}s" if p95 is not None else "p95    -  ",
            f"failed {fail_rate:5.1%}",
            f"fallback {fallback / n if n else 0:5.1%}",
            f"alerts {','.join(self._alerts()) or '-'}",
            f"breakers {self._breakers()}",
            f"severity {severity}",
        ]
        return "  ".join(parts)

    def _alerts(self) -> list[str]:
        calls = [c for _, c in self._upstream]
        if len(calls) < 20:
            return []
        n = len(calls)
        share = {k: sum(1 for c in calls if c.get("result") == k) / n
                 for k in ("timeout", "rate_limited", "server_error", "overloaded", "connection_refused",
                           "connection_reset")}
        out = []
        if share["timeout"] > 0.05:
            out.append("timeout_rate")
        if share["rate_limited"] > 0.01:
            out.append("429_rate")
        if share["server_error"] + share["overloaded"] > 0.5:
            out.append("500_rate")
        if share["connection_refused"] + share["connection_reset"] > 0.5:
            out.append("connection_errors")
        return out

    def _breakers(self) -> str:
        if self._gateway is None:
            return "-"
        try:
            states = httpx.get(self._gateway + "/admin/config", timeout=0.5).json().get("breakers", {})
        except (httpx.HTTPError, ValueError):
            return "?"
        odd = [f"{p}={s}" for p, s in states.items() if s != "closed"]
        return ",".join(odd) or "closed"
