"""The fake provider servers: OpenAI, Anthropic and Qwen (DashScope compatible mode) on the wire."""

from fake_providers.servers.app import CHAT_PATHS, FakeProviderApp
from fake_providers.servers.runner import FAKE_PROVIDERS, FakeCluster, FakeServer, run_fakes_in_thread, start_fakes
from fake_providers.servers.state import FakeState

__all__ = [
    "CHAT_PATHS",
    "FAKE_PROVIDERS",
    "FakeCluster",
    "FakeProviderApp",
    "FakeServer",
    "FakeState",
    "run_fakes_in_thread",
    "start_fakes",
]
