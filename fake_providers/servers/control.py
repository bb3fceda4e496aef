"""The control API of a fake (contracts §4): ``GET/PUT /_control/faults``, ``POST /_control/reset``,
``GET /_control/stats``; ``GET /_control/calls`` (one row per call, for drills of other gateways).
Loopback clients only."""

from __future__ import annotations

import json

from fake_providers.faults.plan import FaultPlan, FaultPlanError
from fake_providers.servers.asgi import BodyTooLarge, ClientGone, Receive, Scope, Send, read_body, send_json
from fake_providers.servers.state import FakeState
from units.loopback import is_loopback_host

__all__ = ["handle_control", "is_loopback"]


def is_loopback(scope: Scope) -> bool:
    client = scope.get("client")
    if not client:
        return False
    return is_loopback_host(str(client[0]))


def _bad(field: str, message: str) -> dict[str, object]:
    return {"error": {"field": field, "message": message}}


async def handle_control(state: FakeState, scope: Scope, receive: Receive, send: Send) -> None:
    if not is_loopback(scope):
        await send_json(send, 403, _bad("", "the control API answers loopback clients only"))
        return
    path, method = scope["path"], scope["method"]
    if path == "/_control/faults" and method == "GET":
        await send_json(send, 200, _plan_json(state))
    elif path == "/_control/faults" and method == "PUT":
        await _put_faults(state, receive, send)
    elif path == "/_control/reset" and method == "POST":
        state.reset()
        await send_json(send, 200, {"status": "reset", "provider": state.provider})
    elif path == "/_control/stats" and method == "GET":
        body = {"provider": state.provider, "plan_time_s": state.plan_time(),
                "by_provider": {state.provider: state.stats.summary()}}
        await send_json(send, 200, body)
    elif path == "/_control/calls" and method == "GET":
        # every call this fake served, [plan seconds at start, outcome, seconds]: what a caller's
        # provider traffic looked like from the provider's side
        await send_json(send, 200, {"provider": state.provider, "calls": [list(c) for c in state.stats.calls]})
    elif path in ("/_control/faults", "/_control/reset", "/_control/stats", "/_control/calls"):
        await send_json(send, 405, _bad("", f"{method} is not allowed on {path}"))
    else:
        await send_json(send, 404, _bad("", f"no control endpoint {path}"))


def _plan_json(state: FakeState) -> dict[str, object]:
    out = state.plan.to_json()
    out["epoch"] = state.epoch
    return out


async def _put_faults(state: FakeState, receive: Receive, send: Send) -> None:
    try:
        raw = await read_body(receive)
    except ClientGone:
        return
    except BodyTooLarge:
        await send_json(send, 413, _bad("", "the plan is too large"))
        return
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        await send_json(send, 400, _bad("", f"the body is not valid JSON: {exc}"))
        return
    try:
        plan = FaultPlan.parse(body)
    except FaultPlanError as exc:
        await send_json(send, 400, _bad(exc.field_path, exc.message))
        return
    state.apply(plan)
    await send_json(send, 200, _plan_json(state))
