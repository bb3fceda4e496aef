"""Bring the stack of a plan up: fakes, proxy (one Toxiproxy proxy per provider), gateway through it.

The start-up half of ``orchestrate._run_processes``, as a function of its own so that a caller that is
not a scenario run (the game day) starts the same stack the same way: the proxy, the prompts and the
gateway are started by orchestrate's own helpers.
Children are started from the calling thread (the supervisor's parent-death signal is per thread).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from drill.supervisor import ManagedProcess, Supervisor
from fake_providers.proxy.client import ToxiproxyClient
from gateway.outcomes import PROVIDERS

from .orchestrate import _start_gateway, _start_proxy, _write_prompts, start_fakes
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
    fake_urls = start_fakes(sup, scenario)
    proxy_api = _start_proxy(sup)
    toxiproxy = ToxiproxyClient(proxy_api)
    through = {}
    for provider in PROVIDERS:
        upstream = urlparse(fake_urls[provider])
        created = toxiproxy.create_proxy(provider, upstream=f"{upstream.hostname}:{upstream.port}",
                                         listen="127.0.0.1:0")
        through[provider] = f"http://{created.listen}"
    gateway = _start_gateway(plan, run_dir, sup, through)
    return Stack(fake_urls, proxy_api, toxiproxy, through, gateway, _write_prompts(plan, run_dir))
