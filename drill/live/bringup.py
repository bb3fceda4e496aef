"""Bring the stack of a plan up: fakes, proxy (one Toxiproxy proxy per provider), gateway through it.

The start-up half of ``orchestrate._run_processes``, as a function of its own so that a caller that is
not a scenario run (the game day) starts the same stack the same way.  ``orchestrate`` could call it
too; until it does, the two must start the stack alike (the helpers below are orchestrate's own).
Children are started from the calling thread (the supervisor's parent-death signal is per thread).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import yaml

from drill.supervisor import ManagedProcess, Supervisor
from fake_providers.proxy.client import ToxiproxyClient
from gateway.outcomes import PROVIDERS

from .orchestrate import PY, _start_proxy, _write_prompts
from .plan import LivePlan

__all__ = ["Stack", "start_stack"]


@dataclass(frozen=True, slots=True)
class Stack:
    fakes: dict[str, str]            # provider -> the fake's base URL
    proxy_api: str
    toxiproxy: ToxiproxyClient
    through_proxy: dict[str, str]    # provider -> the proxy's listen URL the gateway uses
    gateway: ManagedProcess
    prompts_path: Path

    @property
    def gateway_url(self) -> str:
        assert self.gateway.address is not None
        return self.gateway.address


def start_stack(plan: LivePlan, run_dir: Path, sup: Supervisor) -> Stack:
    scenario = plan.run
    prompts = scenario.load.prompts   # the fakes must know the gold of the prompts we send
    fakes = sup.start("fakes", [PY, "-m", "drill.cli", "fake-providers", "--seed", str(scenario.seed),
                                "--corpus", prompts.corpus, "--corpus-seed", str(prompts.seed),
                                "--corpus-size", str(prompts.n)])
    fake_urls: dict[str, str] = json.loads(fakes.address or "{}")
    proxy_api = _start_proxy(sup)
    toxiproxy = ToxiproxyClient(proxy_api)
    through = {}
    for provider in PROVIDERS:
        upstream = urlparse(fake_urls[provider])
        created = toxiproxy.create_proxy(provider, upstream=f"{upstream.hostname}:{upstream.port}",
                                         listen="127.0.0.1:0")
        through[provider] = f"http://{created.listen}"
    config_path = run_dir / "gateway-config.yaml"
    config_path.write_text(yaml.safe_dump(plan.gateway_overrides, allow_unicode=True, sort_keys=False),
                           encoding="utf-8")
    env = {f"LLMDRILL_{p.upper()}_URL": url for p, url in through.items()}
    gateway = sup.start("gateway", [PY, "-m", "drill.cli", "gateway", "--config", str(config_path),
                                    "--events", str(run_dir / "gateway-events.jsonl"), "--epoch", "0"],
                        env=env)
    assert gateway.address is not None
    sup.wait_http_ready(gateway.address + "/healthz", timeout_s=20, process=gateway)
    return Stack(fake_urls, proxy_api, toxiproxy, through, gateway, _write_prompts(plan, run_dir))
