"""The ASGI body guard on its own: what it rejects, that everything else reaches the app unchanged, and that
it checks exactly the bodies the installed LiteLLM parses as JSON."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from litellm.constants import AZURE_SPEECH_PASS_THROUGH_ROUTE_PREFIX
from litellm.proxy.common_utils import http_parsing_utils as litellm_parsing
from starlette.requests import Request

from gateway_hooks.body_guard import JsonObjectGuard, install, not_an_object, parsed_as_json


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
    app: Any,
    body: bytes,
    chunks: int = 1,
    method: str = "POST",
    content_type: bytes | None = b"application/json",
    path: str = "/v1/chat/completions",
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
        "path": path,
        "headers": [] if content_type is None else [(b"content-type", content_type)],
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


@pytest.mark.parametrize(
    ("content_type", "method"),
    [
        (b"text/plain", "POST"),
        (b"text/plain; charset=utf-8", "POST"),
        (None, "POST"),
        (b"application/octet-stream", "PUT"),
        (b"Application/JSON", "PATCH"),
        (b"application/json", "GET"),
        (b"application/json", "DELETE"),
    ],
)
def test_every_body_litellm_parses_as_json_is_checked(content_type: bytes | None, method: str) -> None:
    """LiteLLM parses the body as JSON whatever the content type (bar forms and binary types) and method."""
    app = Recorder()
    status, payload = call(JsonObjectGuard(app), b"[1]", method=method, content_type=content_type)
    assert status == 400 and app.bodies == [], payload


@pytest.mark.parametrize(
    ("content_type", "path"),
    [
        (b"multipart/form-data; boundary=x", "/v1/audio/transcriptions"),
        (b"application/x-www-form-urlencoded", "/login"),
        (b"application/x-protobuf", "/v1/traces"),
        (b"application/json", "/v1/traces"),
        (b"audio/wav", AZURE_SPEECH_PASS_THROUGH_ROUTE_PREFIX + "/tts"),
    ],
)
def test_bodies_litellm_does_not_parse_as_json_pass(content_type: bytes, path: str) -> None:
    app = Recorder()
    assert call(JsonObjectGuard(app), b"[1]", content_type=content_type, path=path) == (200, b"[1]")


def test_a_hostile_body_is_a_400() -> None:
    for body, kind in [(b"[" * 100_000, "a list nested too deep"), (b"NaN", "a number"), (b"-Infinity", "a number")]:
        app = Recorder()
        status, payload = call(JsonObjectGuard(app), body, chunks=7)
        assert status == 400 and app.bodies == []
        assert json.loads(payload)["error"]["message"] == f"The request body must be a JSON object (got {kind})."


class Counting(Recorder):
    """A Recorder that also counts the messages it receives."""

    def __init__(self) -> None:
        super().__init__()
        self.messages = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def counted() -> Any:
            self.messages += 1
            return await receive()

        await super().__call__(scope, counted, send)


def test_an_object_and_an_upload_are_passed_on_as_they_arrive() -> None:
    """Only a body that may be a JSON value other than an object is read whole before the app gets it."""
    for body in (b'  {"model": "m", "messages": []}' * 50, b"\x89PNG\r\n" + bytes(range(256)) * 40):
        app = Counting()
        assert call(JsonObjectGuard(app), body, chunks=5) == (200, body)
        assert app.messages == 5  # the guard read the first message only, the app got every one


def test_other_checks() -> None:
    assert not_an_object(b"  {}") is None and not_an_object(b"[]") == "a list"
    assert not_an_object(b"\xef\xbb\xbf[1]") == "a list" and not_an_object(b"\xef\xbb\xbf{}") is None
    assert not_an_object(b"1" * 5000) is None  # too large an integer for Python: LiteLLM's own answer


SCOPES = [
    (method, path, content_type)
    for method in ("POST", "GET", "PUT")
    for path in ("/v1/chat/completions", "/v1/traces", "/v1/logs", "/azure_speech/cognitiveservices/v1", "/x")
    for content_type in (
        "",
        "application/json",
        "text/plain",
        "multipart/form-data; boundary=b",
        "application/x-www-form-urlencoded",
        "application/x-protobuf",
        "application/protobuf; proto=x",
        "audio/wav",
        "audio/mpeg; rate=1",
        "application/octet-stream",
    )
]


@pytest.mark.parametrize(("method", "path", "content_type"), SCOPES)
def test_the_guard_checks_what_litellm_parses_as_json(method: str, path: str, content_type: str) -> None:
    """guards.json (json_body) against the installed LiteLLM's read_request_body and its auth's skip."""
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", content_type.encode())] if content_type else [],
    }
    media = litellm_parsing._normalize_media_type(content_type)
    litellm_parses = not (
        litellm_parsing.is_otlp_trace_request(Request(scope))
        or litellm_parsing._is_form_content_type(content_type)
        or media in litellm_parsing._BINARY_CONTENT_TYPES
        or litellm_parsing.is_opaque_audio_pass_through_request(route=path, content_type=content_type)
    )
    assert parsed_as_json(scope) == litellm_parses


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
