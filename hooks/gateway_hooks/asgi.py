"""Mounting an ASGI guard in front of the running proxy's app: the guards of this package (body_guard,
admin_guard) wrap the FastAPI app's middleware stack, so they see every request before LiteLLM does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]


def mount(app: Any, mark: str, guard: Callable[[App], App]) -> bool:
    """Put `guard` in front of a Starlette/FastAPI app, once per `mark` (whether or not its stack is built yet)."""
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
