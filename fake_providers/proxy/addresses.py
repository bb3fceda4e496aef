"""``host:port`` strings as Toxiproxy writes them, and the loopback-only policy."""

from __future__ import annotations

from units.loopback import is_loopback_host
from units.ports import port_problem

from .errors import ApiError

__all__ = ["format_address", "is_loopback_host", "parse_address"]


def parse_address(value: object, field: str, *, allow_port_zero: bool) -> tuple[str, int]:
    """Split ``host:port`` (``[v6]:port`` too); raise a 400 naming ``field`` when malformed."""
    if not isinstance(value, str) or not value:
        raise ApiError(f"bad request body: {field} must be a non-empty \"host:port\" string", 400)
    host, sep, port_text = value.rpartition(":")
    if not sep or not port_text.isdigit():
        raise ApiError(f"bad request body: {field} {value!r} is not \"host:port\"", 400)
    port = int(port_text)
    problem = port_problem(port, lowest=0 if allow_port_zero else 1)
    if problem is not None:
        raise ApiError(f"bad request body: {field} port: {problem}", 400)
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, port


def format_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


