"""A Toxiproxy-compatible network fault proxy (HTTP API, TCP proxies, toxics) in asyncio."""

from .api import TOXIPROXY_VERSION, build_app
from .client import ToxiproxyClient, ToxiproxyError, stop_started_servers, toxiproxy_url
from .errors import ApiError
from .link import Link, Pipe
from .proxies import Proxy, ProxyCollection
from .server import ProxyServer
from .toxic_spec import ToxicSpec
from .toxics import toxic_types

__all__ = [
    "TOXIPROXY_VERSION",
    "ApiError",
    "Link",
    "Pipe",
    "Proxy",
    "ProxyCollection",
    "ProxyServer",
    "ToxicSpec",
    "ToxiproxyClient",
    "ToxiproxyError",
    "build_app",
    "stop_started_servers",
    "toxic_types",
    "toxiproxy_url",
]
