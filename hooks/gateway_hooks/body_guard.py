"""An ASGI guard in front of the proxy's routes: a JSON request body that parses but is not an object
(`null`, a list, a number, a string, `true`) gets a 400 in OpenAI's error format. The pinned LiteLLM
answers those with 500 "Internal server error" (it expects a mapping and fails on it).

Mounted by entry.py when LiteLLM loads the hooks: it wraps the FastAPI app's middleware stack, so it
sees every request before LiteLLM parses it. Bodies that start with `{` (every well-formed request)
pass untouched and unparsed; invalid JSON is left to LiteLLM, which already answers it with 400."""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from typing import Any

from gateway_hooks import observability as obs
from gateway_hooks.asgi import App, Message, Receive, Send, answer, mount, proxy_app

_KINDS = {type(None): "null", list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
_MARK = "_gateway_body_guard"


def _json_content(scope: MutableMapping[str, Any]) -> bool:
    for name, value in scope.get("headers") or ():
        if name == b"content-type":
            return value.split(b";", 1)[0].strip().lower() in (b"application/json", b"")
    return True  # no content type: LiteLLM parses the body as JSON anyway


def not_an_object(body: bytes) -> str | None:
    """What the body is when it is valid JSON but not an object, else None."""
    text = body.lstrip()
    if not text or text[:1] == b"{":
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None  # not JSON at all: LiteLLM's own 400
    return _KINDS.get(type(value), type(value).__name__)


def _error(kind: str) -> bytes:
    message = f"The request body must be a JSON object (got {kind})."
    return json.dumps(
        {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": "400"}}
    ).encode()


class JsonObjectGuard:
    def __init__(self, app: App):
        self.app = app

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if (
            scope.get("type") != "http"
            or scope.get("method") not in ("POST", "PUT", "PATCH")
            or not _json_content(scope)
        ):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message.get("type") != "http.request":  # the client went away before sending the body
                await self.app(scope, _replay(b"".join(chunks), receive, first=message), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        kind = not_an_object(body)
        if kind is None:
            await self.app(scope, _replay(body, receive), send)
            return
        obs.event("request_rejected", reason="body_not_an_object", got=kind, path=scope.get("path"))
        await answer(send, 400, _error(kind))


def _replay(body: bytes, receive: Receive, first: Message | None = None) -> Receive:
    """A receive() that hands out the buffered body once, then defers to the real one (disconnects)."""
    pending: list[Message] = (
        [first] if first is not None else [{"type": "http.request", "body": body, "more_body": False}]
    )

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


def install(app: Any) -> bool:
    """Put the guard in front of a Starlette/FastAPI app, once."""
    return mount(app, _MARK, JsonObjectGuard)


def install_in_proxy() -> None:
    """Guard the running LiteLLM proxy's app (a no-op outside the proxy)."""
    app = proxy_app()
    if app is not None:
        install(app)
