"""Bring the stack of a plan up: fakes, proxy (one Toxiproxy proxy per provider), gateway through it.

Each process has its starter here, used by ``orchestrate`` (a scenario run, whose gateway may be a
``--target`` of someone else's) and by ``start_stack`` (the game day, which always runs ours), so
both start the same stack the same way.
Children are started from the calling thread (the supervisor's parent-death signal is per thread).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import yaml

from drill.supervisor import ManagedProcess, Supervisor
from fake_providers.proxy.client import ToxiproxyClient
from gateway.outcomes import PROVIDERS
from scenarios.schema import Scenario
from workload.corpus import corpus_rows

from .plan import LivePlan

__all__ = ["PY", "Stack", "create_proxies", "start_fakes", "start_gateway", "start_proxy", "start_stack",
           "we_started_proxy", "write_prompts"]

PY = sys.executable


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
    fake_urls = start_fakes(sup, plan.run)
    proxy_api = start_proxy(sup)
    toxiproxy = ToxiproxyClient(proxy_api)
    through = create_proxies(toxiproxy, fake_urls)
    gateway = start_gateway(plan, run_dir, sup, through)
    return Stack(fake_urls, proxy_api, toxiproxy, through, gateway, write_prompts(plan, run_dir))


def create_proxies(toxiproxy: ToxiproxyClient, fake_urls: dict[str, str],
                   first_port: int | None = None) -> dict[str, str]:
    """One proxy per provider in front of its fake; the URLs the gateway calls, by provider.

    ``first_port`` fixes the listen ports (one per provider, in order), else the system picks them.
    """
    through = {}
    for index, provider in enumerate(PROVIDERS):
        upstream = urlparse(fake_urls[provider])
        listen = f"127.0.0.1:{first_port + index if first_port else 0}"
        created = toxiproxy.create_proxy(provider, upstream=f"{upstream.hostname}:{upstream.port}", listen=listen)
        through[provider] = f"http://{created.listen}"
    return through


def start_gateway(plan: LivePlan, run_dir: Path, sup: Supervisor, through_proxy: dict[str, str]) -> ManagedProcess:
    config_path = run_dir / "gateway-config.yaml"
    config_path.write_text(yaml.safe_dump(plan.gateway_overrides, allow_unicode=True, sort_keys=False),
                           encoding="utf-8")
    env = {f"LLMDRILL_{p.upper()}_URL": url for p, url in through_proxy.items()}
    # The gateway logs raw CLOCK_MONOTONIC seconds (epoch 0); collection subtracts the run's epoch,
    # which is fixed only once every process is up, so no start-up delay eats into the schedule.
    gateway = sup.start("gateway", [PY, "-m", "drill.cli", "gateway", "--config", str(config_path),
                                    "--events", str(run_dir / "gateway-events.jsonl"), "--epoch", "0"],
                        env=env)
    assert gateway.address is not None
    sup.wait_http_ready(gateway.address + "/healthz", timeout_s=20, process=gateway)
    return gateway


def start_fakes(sup: Supervisor, scenario: Scenario) -> dict[str, str]:
    """The three fake providers, seeded by the scenario; their base URLs by provider."""
    prompts = scenario.load.prompts   # the fakes must know the gold of the prompts we send
    fakes = sup.start("fakes", [PY, "-m", "drill.cli", "fake-providers", "--seed", str(scenario.seed),
                                "--corpus", prompts.corpus, "--corpus-seed", str(prompts.seed),
                                "--corpus-size", str(prompts.n)])
    urls: dict[str, str] = json.loads(fakes.address or "{}")
    return urls


def start_proxy(sup: Supervisor) -> str:
    """The run's Toxiproxy API: $TOXIPROXY_URL, else a real toxiproxy-server if installed, else ours."""
    external = os.environ.get("TOXIPROXY_URL")
    if external:
        return external.rstrip("/")
    real = shutil.which("toxiproxy-server")
    if real is not None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = sup.start("proxy", [real, "-host", "127.0.0.1", "-port", str(port)], wait_for_address=False)
        url = f"http://127.0.0.1:{port}"
        sup.wait_http_ready(url + "/version", timeout_s=15, process=proc)
        return url
    proc = sup.start("proxy", [PY, "-m", "drill.cli", "proxy", "--port", "0"])
    assert proc.address is not None
    return proc.address.rstrip("/")


def we_started_proxy(sup: Supervisor) -> bool:
    return "proxy" in sup.processes


def write_prompts(plan: LivePlan, run_dir: Path) -> Path:
    rows = corpus_rows(plan.run.load.prompts)   # the twin sends the same prompts (workload.corpus)
    path = run_dir / "prompts.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return path
