"""The game day's own HTTP service on loopback: the control API the act commands call, and the dashboard.

``POST /api/inject|clear|action|note|stop`` (JSON in, JSON out; 400 with ``{"error"}`` for bad input,
which changes nothing), ``GET /api/panels`` (the dashboard's data), ``GET /api/stream`` (the same as
server-sent events, one per refresh) and ``GET /`` (the web page).  The panels are recomputed by one
background thread every ``period_s`` (the evaluator is not cheap), and every reader gets the latest.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .acts import ActError, action_body, check_note, check_who, parse_injection
from .page import PAGE
from .session import Session

__all__ = ["ControlServer"]

_MAX_BODY = 64 * 1024


class _Panels:
    def __init__(self, compute: Callable[[], dict[str, Any]], period_s: float) -> None:
        self._compute = compute
        self._period = period_s
        self._cond = threading.Condition()
        self._data: dict[str, Any] = {"status": "starting"}
        self.version = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="gameday-panels", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def refresh(self) -> None:
        try:
            data = self._compute()
        except Exception as exc:  # a bad refresh must not take the dashboard down; show why
            data = {**self._data, "error": f"{type(exc).__name__}: {exc}"}
        with self._cond:
            self._data = data
            self.version += 1
            self._cond.notify_all()

    def _loop(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            self.refresh()
            self._stop.wait(max(0.2, self._period - (time.monotonic() - started)))

    def latest(self) -> tuple[int, dict[str, Any]]:
        with self._cond:
            return self.version, self._data

    def wait_newer(self, version: int, timeout_s: float) -> tuple[int, dict[str, Any]]:
        with self._cond:
            self._cond.wait_for(lambda: self.version > version or self._stop.is_set(), timeout_s)
            return self.version, self._data


class ControlServer:
    def __init__(self, session: Session, time_scale: float, compute: Callable[[], dict[str, Any]],
                 on_stop: Callable[[str], None], period_s: float = 2.0) -> None:
        self.session = session
        self.time_scale = time_scale
        self.panels = _Panels(compute, period_s)
        self.on_stop = on_stop
        self.closing = threading.Event()
        server = self

        class Handler(_Handler):
            owner = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="gameday-http", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> ControlServer:
        self.panels.start()
        self._thread.start()
        return self

    def stop(self) -> None:
        self.closing.set()
        self.panels.stop()
        self._httpd.shutdown()
        self._httpd.server_close()

    # -- the acts, as the API exposes them -------------------------------------------------------
    def act(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        who = check_who(str(body.get("who") or ""))
        if name == "inject":
            entry = body.get("entry")
            if not isinstance(entry, dict):
                raise ActError("inject: 'entry' must be a mapping (a scenario faults:/network: entry)")
            fid = self.session.inject(parse_injection(entry, self.time_scale), who)
            result: dict[str, Any] = {"id": fid}
        elif name == "clear":
            result = {"cleared": self.session.clear(str(body.get("target") or "all"), who)}
        elif name == "action":
            raw = body.get("action")
            if not isinstance(raw, dict):
                raise ActError("action: 'action' must be a mapping of flags")
            admin = action_body(provider=raw.get("provider"), conservation=raw.get("conservation"),
                                degraded=raw.get("degraded"), breakers=raw.get("breakers"))
            result = {"admin": admin, "gateway": self.session.action(admin, who)}
        elif name == "note":
            self.session.note(check_note(str(body.get("text") or "")), who)
            result = {}
        elif name == "stop":
            self.on_stop(who)
            result = {"stopping": True}
        else:
            raise LookupError(name)
        self.panels.refresh()   # the act shows at once, not at the next tick
        return result


class _Handler(BaseHTTPRequestHandler):
    owner: ControlServer
    server_version = "llmdrill-gameday"

    def log_message(self, format: str, *args: Any) -> None:
        return  # the timeline is the log that matters

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(body)))
        self.send_header("cache-control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, doc: Any) -> None:
        self._send(status, json.dumps(doc, ensure_ascii=False, default=str).encode(), "application/json")

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path in ("/", "/index.html"):
            self._send(200, PAGE.encode(), "text/html; charset=utf-8")
        elif path == "/api/panels":
            self._json(200, self.owner.panels.latest()[1])
        elif path == "/api/stream":
            self._stream()
        else:
            self._json(404, {"error": f"no such page {path}"})

    def _stream(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-store")
        self.end_headers()
        version = -1
        try:
            while not self.owner.closing.is_set():
                newer, data = self.owner.panels.wait_newer(version, 15.0)
                if newer == version:
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    version = newer
                    self.wfile.write(b"data: " + json.dumps(data, ensure_ascii=False, default=str).encode() + b"\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        name = path.removeprefix("/api/")
        if not path.startswith("/api/") or name not in ("inject", "clear", "action", "note", "stop"):
            self._json(404, {"error": f"no such act {path}"})
            return
        try:
            length = int(self.headers.get("content-length") or 0)
            if length > _MAX_BODY:
                raise ActError(f"{name}: request body over {_MAX_BODY} bytes")
            body = json.loads(self.rfile.read(length) or b"{}")
            if not isinstance(body, dict):
                raise ActError(f"{name}: expected a JSON object")
            self._json(200, {"ok": True, **self.owner.act(name, body)})
        except (ActError, ValueError) as exc:
            self._json(400, {"error": str(exc)})
        except Exception as exc:  # the harness failed to apply it: say so, the game day goes on
            self._json(502, {"error": f"{name}: {type(exc).__name__}: {exc}"})
