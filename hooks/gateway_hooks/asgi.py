"""Mounting an ASGI guard in front of the running proxy's router: the guards of this package (admin_guard,
body_guard, metrics_files) sit right in front of the router, inside LiteLLM's own middleware, so they see
each request exactly as the router routes it (its scope after every middleware, SERVER_ROOT_PATHS' per-
request root_path included) and decide on the path the router will route (`route_path`)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]


def route_path(scope: MutableMapping[str, Any]) -> str:
    """The path the router matches: scope["path"] (already percent-decoded by the server) without
    scope["root_path"] when it starts with it on a segment boundary, as Starlette's routing does
    (starlette._utils.get_route_path; tests/hooks/test_admin_guard.py holds the two equal). A path
    outside the root path is routed as it is, so /ui and /<root>/ui reach the same route."""
    path = str(scope.get("path") or "")
    root = str(scope.get("root_path") or "")
    if not root or not path.startswith(root):
        return path
    if path == root:
        return ""
    return path[len(root) :] if path[len(root)] == "/" else path


def header(scope: MutableMapping[str, Any], name: bytes) -> bytes | None:
    """The first value of a request header (`name` in lower case), else None."""
    for key, value in scope.get("headers") or ():
        if bytes(key).lower() == name:
            return bytes(value)
    return None


def mount(app: Any, mark: str, guard: Callable[[App], App]) -> bool:
    """Put `guard` in front of a Starlette/FastAPI app's router, once per `mark`. The router calls its own
    `middleware_stack` (Starlette >= 0.40), so the guard goes there and runs after every middleware of
    the app; a router without one gets the guard in front of the app's whole stack instead."""
    target = getattr(app, "router", None)
    if target is None or not hasattr(target, "middleware_stack"):
        return _mount_outside(app, mark, guard)
    if getattr(target, mark, False):
        return False
    target.middleware_stack = guard(target.middleware_stack)
    setattr(target, mark, True)
    return True


def _mount_outside(app: Any, mark: str, guard: Callable[[App], App]) -> bool:
    if getattr(app, mark, False):
        return False
    if getattr(app, "middleware_stack", None) is not None:
        app.middleware_stack = guard(app.middleware_stack)
    else:
        build = app.build_middleware_stack
        app.build_middleware_stack = lambda: guard(build())
    setattr(app, mark, True)
    return True


def proxy_app() -> Any | None:
    """The running LiteLLM proxy's app (None outside the proxy)."""
    try:
        from litellm.proxy.proxy_server import app  # noqa: PLC0415  (only inside the proxy)
    except ImportError:
        return None
    return app


async def answer(send: Send, status: int, payload: bytes) -> None:
    """A complete JSON response."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def error(status: int, message: str) -> bytes:
    """An error body in OpenAI's format."""
    return json.dumps(
        {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": str(status)}}
    ).encode()
