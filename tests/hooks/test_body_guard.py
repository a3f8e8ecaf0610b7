"""The ASGI body guard on its own: what it rejects, and that everything else reaches the app unchanged."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from gateway_hooks.body_guard import JsonObjectGuard, install, not_an_object


class Recorder:
    """An ASGI app that reads the whole body and answers 200 with it."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})


def call(
    app: Any, body: bytes, chunks: int = 1, method: str = "POST", content_type: bytes = b"application/json"
) -> tuple[int, bytes]:
    size = max(1, len(body) // chunks + 1)
    parts = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    messages = [{"type": "http.request", "body": p, "more_body": i < len(parts) - 1} for i, p in enumerate(parts)]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": "/v1/chat/completions",
        "headers": [(b"content-type", content_type)],
    }
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


@pytest.mark.parametrize(
    ("body", "kind"),
    [(b"null", "null"), (b" [1]", "a list"), (b"3.5", "a number"), (b'"x"', "a string"), (b"false", "a boolean")],
)
def test_non_object_bodies_are_a_400_that_never_reaches_the_app(body: bytes, kind: str) -> None:
    app = Recorder()
    status, payload = call(JsonObjectGuard(app), body)
    assert status == 400 and app.bodies == []
    assert json.loads(payload)["error"]["message"] == f"The request body must be a JSON object (got {kind})."


@pytest.mark.parametrize("body", [b'{"model": "m", "messages": []}', b"{", b"", b"not json", b"\xff\xfe"])
def test_everything_else_passes_byte_for_byte(body: bytes) -> None:
    app = Recorder()
    assert call(JsonObjectGuard(app), body) == (200, body)
    assert app.bodies == [body]


def test_a_large_body_in_many_chunks_is_replayed_whole() -> None:
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "x" * 200_000}]}).encode()
    app = Recorder()
    assert call(JsonObjectGuard(app), body, chunks=37) == (200, body)


def test_other_methods_and_content_types_are_not_buffered() -> None:
    app = Recorder()
    assert call(JsonObjectGuard(app), b"null", method="GET")[0] == 200
    assert call(JsonObjectGuard(app), b"null", content_type=b"multipart/form-data; boundary=x")[0] == 200
    assert not_an_object(b"  {}") is None and not_an_object(b"[]") == "a list"


def test_install_is_idempotent_before_and_after_the_stack_is_built() -> None:
    class App:
        middleware_stack = None

        def build_middleware_stack(self) -> Any:
            return Recorder()

    built = App()
    built.middleware_stack = Recorder()
    assert install(built) and not install(built)
    assert isinstance(built.middleware_stack, JsonObjectGuard) and not isinstance(
        built.middleware_stack.app, JsonObjectGuard
    )
    lazy = App()
    assert install(lazy) and not install(lazy)
    assert isinstance(lazy.build_middleware_stack(), JsonObjectGuard)
