"""The official SDKs against llmdrill's fakes: a 429 storm, then 3 s of network latency through the proxy.

    .venv/bin/python examples/fakes_and_proxy.py

Starts ``llmdrill fake-providers`` and ``llmdrill proxy`` on loopback, drives them the way a scenario does
(``PUT /_control/faults`` on a fake; a Toxiproxy toxic through toxiproxy-python), and stops them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import anthropic
import httpx
import openai

from fake_providers.proxy.client import ToxiproxyClient


def start(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "drill.cli", *args], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()   # each prints where it listens on its first line


def main() -> None:
    fakes_proc, fakes_line = start("fake-providers")
    proxy_proc, proxy_api = start("proxy", "--port", "0")
    try:
        fakes = json.loads(fakes_line)
        print(f"fakes: {fakes}\nproxy API: {proxy_api}")

        # 1. A 429 storm on the OpenAI fake for the next minute.
        storm = {"faults": [{"until": "1m", "provider": "openai",
                             "error": {"status": 429, "code": "rate_limit_exceeded", "retry_after": "1s"}}]}
        httpx.put(fakes["openai"] + "/_control/faults", json=storm).raise_for_status()
        client = openai.OpenAI(base_url=fakes["openai"] + "/v1", api_key="sk-test", max_retries=1)
        t = time.monotonic()
        try:
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hola"}])
        except openai.RateLimitError as exc:
            print(f"openai SDK: RateLimitError after {time.monotonic() - t:.1f} s "
                  f"(it honoured retry-after: 1 s, once): {exc.message}")

        # 2. 3 s of latency on the network between a client and the Claude fake.
        toxiproxy = ToxiproxyClient(proxy_api)
        proxy = toxiproxy.create_proxy("claude", upstream=fakes["claude"].removeprefix("http://"))
        toxiproxy.add_toxic("claude", "latency", attributes={"latency": 3000, "jitter": 0})
        claude = anthropic.Anthropic(base_url=f"http://{proxy.listen}", api_key="sk-ant-test")
        t = time.monotonic()
        msg = claude.messages.create(model="claude-sonnet-4-5", max_tokens=50,
                                     messages=[{"role": "user", "content": "hola"}])
        print(f"anthropic SDK through the proxy: answered in {time.monotonic() - t:.1f} s "
              f"(3 s toxic + the fake's own latency): {msg.content[0].text[:50]!r}")
    finally:
        for proc in (fakes_proc, proxy_proc):
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
