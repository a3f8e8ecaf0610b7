"""Safe access to the text inside a request, whatever shape it has (None, strings, content parts, tools)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


def _message_slots(message: dict[str, Any]) -> Iterator[tuple[Any, Any]]:
    content = message.get("content")
    if isinstance(content, str):
        yield message, "content"
    elif isinstance(content, list):
        yield from ((part, "text") for part in content if isinstance(part, dict) and isinstance(part.get("text"), str))
    calls = message.get("tool_calls")
    for call in calls if isinstance(calls, list) else []:
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict) and isinstance(function.get("arguments"), str):
            yield function, "arguments"


def _text_slots(data: dict[str, Any]) -> Iterator[tuple[Any, Any]]:
    """(container, key) of every prompt text: container[key] is a str. One walk serves reading and
    rewriting. Chat messages, completion prompts, embedding and Responses API input (strings or
    messages), and the system/instructions texts of the Anthropic and Responses formats."""
    messages = data.get("messages")
    if isinstance(messages, list):
        for message in messages:
            if isinstance(message, dict):
                yield from _message_slots(message)
    for key in ("input", "prompt"):
        value = data.get(key)
        if isinstance(value, str):
            yield data, key
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, str):
                    yield value, index
                elif isinstance(item, dict):
                    yield from _message_slots(item)
    for key in ("system", "instructions"):
        value = data.get(key)
        if isinstance(value, str):
            yield data, key
        elif isinstance(value, list):
            yield from (
                (part, "text") for part in value if isinstance(part, dict) and isinstance(part.get("text"), str)
            )


def iter_texts(data: dict[str, Any]) -> Iterator[str]:
    """Every prompt text of a chat, completion or embedding request."""
    for container, key in _text_slots(data):
        yield container[key]


def rewrite_texts(data: dict[str, Any], fn: Callable[[str], str]) -> None:
    """Apply fn to every prompt text in place (same places iter_texts reads)."""
    for container, key in list(_text_slots(data)):
        container[key] = fn(container[key])


def total_chars(data: dict[str, Any]) -> int:
    return sum(len(t) for t in iter_texts(data))


def request_headers(data: dict[str, Any]) -> dict[str, str]:
    """Lower-cased request headers as the proxy recorded them."""
    headers = (data.get("proxy_server_request") or {}).get("headers") or {}
    if not isinstance(headers, dict):
        return {}
    return {str(k).lower(): str(v) for k, v in headers.items()}


def request_metadata(data: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for key in ("litellm_metadata", "metadata"):
        value = data.get(key)
        if isinstance(value, dict):
            merged.update(value)
    return merged
