"""The ASGI contract as four type aliases, for every package that speaks it.

The gateway's router and the fake providers' servers are ASGI apps of their own;
they share these names here, in the leaf package both may import (DESIGN.md,
"Layout"), as Starlette keeps them in one ``types.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, TypeAlias

__all__ = ["Message", "Receive", "Scope", "Send"]

Scope: TypeAlias = MutableMapping[str, Any]
Message: TypeAlias = MutableMapping[str, Any]
Receive: TypeAlias = Callable[[], Awaitable[Message]]
Send: TypeAlias = Callable[[Message], Awaitable[None]]
