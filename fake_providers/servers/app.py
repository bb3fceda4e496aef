"""A fake provider as a raw ASGI app: routes a request to chat, diagnostics or control."""

from __future__ import annotations

from fake_providers.browser_guard import browser_refusal
from fake_providers.servers.anthropic_wire import AnthropicDialect
from fake_providers.servers.asgi import Receive, Scope, Send, send_bytes, send_json
from fake_providers.servers.chat import handle_chat
from fake_providers.servers.control import handle_control
from fake_providers.servers.dialect import Dialect
from fake_providers.servers.openai_wire import OpenAIDialect
from fake_providers.servers.state import FakeState

__all__ = ["CHAT_PATHS", "FakeProviderApp"]

#: The chat routes each fake answers.
CHAT_PATHS: dict[str, tuple[str, ...]] = {
    "openai": ("/v1/chat/completions",),
    "qwen": ("/compatible-mode/v1/chat/completions", "/v1/chat/completions"),
    "claude": ("/v1/messages",),
}


def _dialect(provider: str) -> Dialect:
    return AnthropicDialect() if provider == "claude" else OpenAIDialect(provider)


class FakeProviderApp:
    def __init__(self, state: FakeState) -> None:
        if state.provider not in CHAT_PATHS:
            raise ValueError(f"unknown provider {state.provider!r}; expected one of {sorted(CHAT_PATHS)}")
        self.state = state
        self.dialect = _dialect(state.provider)
        self._chat = frozenset(CHAT_PATHS[state.provider])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return  # lifespan and websockets: nothing to do
        path, method = scope["path"], scope["method"]
        refusal = browser_refusal(method, scope.get("headers", ()))
        if refusal is not None:
            status, field, message = refusal
            if path.startswith("/_control/"):
                await send_json(send, status, {"error": {"field": field, "message": message}})
            else:
                await self._error(send, status, f"{field}: {message}")
            return
        if path.startswith("/_control/"):
            await handle_control(self.state, scope, receive, send)
        elif path in self._chat:
            if method != "POST":
                await self._error(send, 405, f"{method} is not allowed on {path}")
            else:
                await handle_chat(self.state, self.dialect, scope, receive, send)
        elif path == "/health" and method in ("GET", "HEAD"):
            await self._health(send, head=method == "HEAD")
        elif path in ("/v1/limits", "/compatible-mode/v1/limits") and method == "GET":
            await send_json(send, 200, self._limits())
        else:
            await self._error(send, 404, f"Unknown request URL: {method} {path}")

    async def _error(self, send: Send, status: int, message: str) -> None:
        rid = self.dialect.new_id(self.state.next_seq())
        await send_json(send, status, self.dialect.error(status, None, rid, message))

    async def _health(self, send: Send, head: bool) -> None:
        down = self.state.engine.is_down(self.state.plan_time(), self.state.provider)
        status = 503 if down else 200
        body = b'{"status":"down"}' if down else b'{"status":"ok"}'
        if head:
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
        else:
            await send_bytes(send, status, body, [])

    def _limits(self) -> dict[str, object]:
        state = self.state
        view = state.engine.limits(state.plan_time(), state.provider)
        return {
            "rate_limit": {
                "requests_per_minute": view.limit_requests,
                "tokens_per_minute": view.limit_tokens,
                "requests_remaining": view.remaining_requests,
                "tokens_remaining": view.remaining_tokens,
            },
            "usage": {"requests_today": state.stats.requests, "tokens_today": state.stats.tokens},
            "checked_at": state.wall(),
        }
