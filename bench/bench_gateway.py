"""Benchmark (not a test): the gateway's added latency and throughput on one core.

Against a zero-latency OpenAI-compatible upstream (raw ASGI on uvicorn), the
same request is sent (a) straight to the upstream and (b) through the gateway,
with unique prompts (cache misses) and one repeated prompt (cache hits), on the
``/v1/chat/completions`` pass-through and on ``/v1/appointments/parse`` (full
pipeline, degraded mode off; the upstream answers the parsing agent with entity
JSON, so parse answers are real LLM answers, not the regex fallback).  ``wrk``
drives the load; the gateway is pinned to core 0 and, when there is a second
core, wrk and the upstream to core 1, so they do not steal the gateway's core.
Every figure is printed beside the direct call measured in the same run, since
these machines are shared and noisy.

    python bench/bench_gateway.py            # needs wrk (apt-get install wrk)
    BENCH_SECONDS=4 BENCH_CASES=chat-miss,chat-hit python bench/bench_gateway.py

Targets (issue 2): added p50 <= 1 ms; >= 2,000 req/s on misses, >= 10,000 on hits.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DURATION_S = int(os.environ.get("BENCH_SECONDS", "8"))

UPSTREAM = r'''
import json, sys, socket, uvicorn
def answer(content):
    return json.dumps({"id": "c", "object": "chat.completion", "created": 0, "model": "m",
      "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
      "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}}).encode()
BODY = answer("ok")
PARSED = answer(json.dumps({"contacto": "Dr. Pérez", "fecha": "mañana", "hora": "10am", "lugar": None,
                            "confidence": 0.92}, ensure_ascii=False))
async def app(scope, receive, send):
    if scope["type"] != "http":
        if scope["type"] == "lifespan":
            while True:
                m = await receive()
                if m["type"] == "lifespan.startup": await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"}); return
        return
    body = b""
    while True:
        m = await receive(); body += m.get("body", b"")
        if not m.get("more_body"): break
    out = PARSED if b"llmdrill:parse-appointment/v1" in body else BODY
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(out)).encode())]})
    await send({"type": "http.response.body", "body": out})
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(2048); print(s.getsockname()[1], flush=True)
uvicorn.Server(uvicorn.Config(app, log_level="error", access_log=False)).run(sockets=[s])
'''

MISS_LUA = r'''
local n = 0
request = function()
  n = n + 1
  local body = '{"temperature":0,"messages":[{"role":"user","content":"hola ' .. n .. ' ' .. math.random(1e9) .. '"}]}'
  return wrk.format("POST", "%s", {["Content-Type"] = "application/json"}, body)
end
'''

HIT_LUA = r'''
request = function()
  return wrk.format("POST", "%s", {["Content-Type"] = "application/json"},
    '{"temperature":0,"messages":[{"role":"user","content":"hola siempre igual"}]}')
end
'''

PARSE_MISS_LUA = r'''
local n = 0
request = function()
  n = n + 1
  local body = '{"prompt":"cita mañana 10am con Dr. Pérez ' .. n .. ' ' .. math.random(1e9)
    .. '","reference_date":"2026-01-22"}'
  return wrk.format("POST", "%s", {["Content-Type"] = "application/json"}, body)
end
'''

PARSE_HIT_LUA = r'''
request = function()
  return wrk.format("POST", "%s", {["Content-Type"] = "application/json"},
    '{"prompt":"cita mañana 10am con Dr. Pérez","reference_date":"2026-01-22"}')
end
'''

CHAT, PARSE = "/v1/chat/completions", "/v1/appointments/parse"
#: (name, gateway path, wrk script); the direct figure sends the same bodies straight to the upstream.
CASES = (("chat-miss", CHAT, MISS_LUA), ("chat-hit", CHAT, HIT_LUA),
         ("parse-miss", PARSE, PARSE_MISS_LUA), ("parse-hit", PARSE, PARSE_HIT_LUA))
#: wrk and the upstream go to the core the gateway does not use (when there is one).
OTHER_CORE = ["taskset", "-c", "1"] if (os.cpu_count() or 1) > 1 else []


def _start(argv: list[str], env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, **(env or {})}, start_new_session=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line:
        raise RuntimeError(f"{argv[:3]} printed nothing")
    return proc, line


def _wrk(url: str, path: str, script: str, connections: int, threads: int = 1) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script.replace("%s", path))
    argv = [*OTHER_CORE, "wrk", f"-t{threads}", f"-c{connections}", f"-d{DURATION_S}s", "--latency", "-s", f.name,
            url]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=DURATION_S + 30).stdout
    os.unlink(f.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    lat = {m.group(1): _ms(m.group(2)) for m in re.finditer(r"^\s+(50|99)\.000%\s+([\d.]+\w+)", out, re.M)}
    if not lat:
        lat = {m.group(1): _ms(m.group(2)) for m in re.finditer(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M)}
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_ms": lat.get("50", float("nan")), "p99_ms": lat.get("99", float("nan")),
            "non2xx": float(non2xx.group(1)) if non2xx else 0.0}


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main() -> int:
    if shutil.which("wrk") is None:
        print("bench_gateway: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    wanted = os.environ.get("BENCH_CASES")
    cases = [c for c in CASES if wanted is None or c[0] in wanted.split(",")]
    if not cases:
        print(f"bench_gateway: BENCH_CASES={wanted!r} names none of {[c[0] for c in CASES]}", file=sys.stderr)
        return 2
    upstream, port = _start([*OTHER_CORE, PY, "-c", UPSTREAM])
    up_url = f"http://127.0.0.1:{port}"
    env = {f"LLMDRILL_{p.upper()}_URL": up_url for p in ("qwen", "claude", "openai")}
    # The upstream answers at /v1/chat/completions; qwen's client adds /compatible-mode, so route all to openai.
    gw_argv = ["taskset", "-c", "0", PY, "-m", "drill.cli", "gateway", "--set", "provider=openai",
               "--set", "providers.qwen.rpm=null", "--set", "providers.qwen.tpm=null",
               "--set", "degraded.enabled=false", "--set", "cache.max_entries=1000000"]
    gateway, gw_url = _start(gw_argv, env)
    try:
        for url in (up_url, gw_url):
            httpx.post(url + CHAT, json={"messages": [{"role": "user", "content": "warm"}]}, timeout=5)
            httpx.post(url + PARSE, json={"prompt": "cita mañana 10am con Dr. Pérez"}, timeout=5)
        rows = []
        for label, path, script in cases:
            direct_lat = _wrk(up_url, path, script, connections=1)
            gw_lat = _wrk(gw_url, path, script, connections=1)
            direct_tp = _wrk(up_url, path, script, connections=64)
            gw_tp = _wrk(gw_url, path, script, connections=64)
            rows.append((label, direct_lat, gw_lat, direct_tp, gw_tp))
        pinned = "wrk and upstream on core 1" if OTHER_CORE else "one core only"
        print(f"gateway benchmark ({DURATION_S} s per figure; gateway pinned to core 0, {pinned}; wrk -t1; "
              "latency at -c1, throughput at -c64)")
        print(f"{'case':<12}{'direct p50':>12}{'gw p50':>10}{'added p50':>11}{'direct p99':>12}{'gw p99':>10}"
              f"{'direct rps':>12}{'gw rps':>10}{'ratio':>8}{'gw non2xx':>11}")
        result = {}
        for label, dl, gl, dt, gt in rows:
            added = gl["p50_ms"] - dl["p50_ms"]
            print(f"{label:<12}{dl['p50_ms']:>10.3f}ms{gl['p50_ms']:>8.3f}ms{added:>9.3f}ms"
                  f"{dl['p99_ms']:>10.3f}ms{gl['p99_ms']:>8.3f}ms{dt['rps']:>12.0f}{gt['rps']:>10.0f}"
                  f"{gt['rps'] / dt['rps']:>8.2f}{gt['non2xx'] + gl['non2xx']:>11.0f}")
            result[label] = {"added_p50_ms": round(added, 3), "gateway_rps": gt["rps"], "direct_rps": dt["rps"],
                             "gateway_p99_ms": gl["p99_ms"], "direct_p99_ms": dl["p99_ms"],
                             "gateway_non2xx": gt["non2xx"] + gl["non2xx"]}
        print("targets (chat): added p50 <= 1 ms; misses >= 2000 req/s; hits >= 10000 req/s")
        print(json.dumps(result))
    finally:
        for proc in (gateway, upstream):
            os.killpg(proc.pid, 15)
            proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
