"""An ASGI guard in front of the proxy's router: a request body that is valid JSON but not an object
(`null`, a list, a number, a string, `true`) gets a 400 in OpenAI's error format. The pinned LiteLLM
answers those with 500 "Internal server error" (it expects a mapping and fails on it).

Which bodies: every body LiteLLM's read_request_body parses as JSON, which is every body whatever its
method and content type (text/plain, none, anything) except the ones guards.json (json_body) lists:
forms, binary types, the OTLP export routes and the Azure Speech pass-through's audio; the route is
the one the router routes (asgi.route_path). Mounted by entry.py when LiteLLM loads the hooks
(asgi.mount), so it sees every request before LiteLLM reads it.

A body whose first character is `{` (every well-formed request) or one that cannot start a JSON value
(a binary upload LiteLLM forwards unparsed) passes untouched, unbuffered and unparsed: the guard reads
only until that first character. Only a body that may be a JSON value other than an object is
buffered and parsed; invalid JSON is left to LiteLLM (its own 400, or the upload it forwards), a
list nested too deep to parse is refused like any list."""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from gateway_hooks import observability as obs
from gateway_hooks.asgi import App, Message, Receive, Send, answer, error, header, mount, proxy_app, route_path

_RULES: dict[str, Any] = json.loads((Path(__file__).resolve().parent / "guards.json").read_text(encoding="utf-8"))[
    "json_body"
]
FORM_TYPES = frozenset(_RULES["form_types"])
BINARY_TYPES = frozenset(_RULES["binary_types"])
UNPARSED_POST_ROUTES = frozenset(_RULES["unparsed_post_routes"])
_AUDIO: dict[str, Any] = _RULES["opaque_audio"]

_KINDS = {type(None): "null", list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
_WHITESPACE = b" \t\r\n"  # JSON's
_VALUE_STARTS = frozenset(b'[-"0123456789tfnNI')  # a JSON value other than an object (Python reads NaN, Infinity)
_BOM = b"\xef\xbb\xbf"
_MARK = "_gateway_body_guard"


def media_type(scope: MutableMapping[str, Any]) -> str:
    """The request's content type without parameters, lower case, as LiteLLM normalises it."""
    value = header(scope, b"content-type") or b""
    return value.split(b";", 1)[0].strip().lower().decode("latin-1")


def parsed_as_json(scope: MutableMapping[str, Any]) -> bool:
    """Whether LiteLLM's read_request_body parses this request's body as JSON (guards.json: json_body)."""
    if scope.get("type") != "http":
        return False
    media, path = media_type(scope), route_path(scope)
    if media in FORM_TYPES or media in BINARY_TYPES:
        return False
    if scope.get("method") == "POST" and path in UNPARSED_POST_ROUTES:
        return False
    audio = media in _AUDIO["types"] or any(media.startswith(p) for p in _AUDIO["type_prefixes"])
    return not (audio and path.startswith(_AUDIO["route_prefix"] + "/"))


def _first(body: bytes) -> bytes:
    """The first significant byte of a body ('' while there is none yet)."""
    text = body[len(_BOM) :] if body.startswith(_BOM) else body
    return text.lstrip(_WHITESPACE)[:1]


def may_not_be_an_object(first: bytes) -> bool:
    """Whether a body starting with `first` (its first significant byte) may be a JSON value other than
    an object; the body must then be read whole and parsed."""
    return bool(first) and first[0] in _VALUE_STARTS


def not_an_object(body: bytes) -> str | None:
    """What the body is when it is JSON but not an object (or a list nested too deep to parse), else None."""
    if not may_not_be_an_object(_first(body)):
        return None
    try:
        value = json.loads(body)
    except RecursionError:
        return "a list nested too deep" if _first(body) == b"[" else None
    except ValueError:
        return None  # not JSON at all: LiteLLM's own 400, or a body it forwards unparsed
    return None if isinstance(value, dict) else _KINDS.get(type(value), type(value).__name__)


class JsonObjectGuard:
    def __init__(self, app: App):
        self.app = app

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if not parsed_as_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more and not _first(b"".join(chunks)):  # up to the first significant byte
            message = await receive()
            if message.get("type") != "http.request":  # the client went away before sending the body
                await self.app(scope, _replay(chunks, receive, last=message), send)
                return
            chunks.append(message.get("body", b""))
            more = bool(message.get("more_body", False))
        if more and may_not_be_an_object(_first(b"".join(chunks))):
            while more:  # a JSON value other than an object, perhaps: the whole body
                message = await receive()
                if message.get("type") != "http.request":
                    await self.app(scope, _replay(chunks, receive, last=message), send)
                    return
                chunks.append(message.get("body", b""))
                more = bool(message.get("more_body", False))
        if not more:
            kind = not_an_object(b"".join(chunks))
            if kind is not None:
                obs.event("request_rejected", reason="body_not_an_object", got=kind, path=route_path(scope))
                await answer(send, 400, error(400, f"The request body must be a JSON object (got {kind})."))
                return
        await self.app(scope, _replay(chunks, receive, more=more), send)


def _replay(chunks: list[bytes], receive: Receive, more: bool = False, last: Message | None = None) -> Receive:
    """A receive() that hands out what was read (one message), then the real one's: the rest of the body
    (`more`), or `last`, the message that ended the reading (a disconnect), then the real one's."""
    pending: list[Message] = []
    if chunks or last is None:
        pending.append({"type": "http.request", "body": b"".join(chunks), "more_body": more or last is not None})
    if last is not None:
        pending.append(last)
    pending.reverse()

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


def install(app: Any) -> bool:
    """Put the guard in front of a Starlette/FastAPI app's router, once."""
    return mount(app, _MARK, JsonObjectGuard)


def install_in_proxy() -> None:
    """Guard the running LiteLLM proxy's app (a no-op outside the proxy)."""
    app = proxy_app()
    if app is not None:
        install(app)
