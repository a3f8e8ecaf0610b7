"""Safe access to the text inside a request, whatever shape it has (None, strings, content parts, tools)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


def iter_texts(data: dict[str, Any]) -> Iterator[str]:
    """Every prompt text of a chat, completion or embedding request."""
    messages = data.get("messages")
    if isinstance(messages, list):
        for message in messages:
            if not isinstance(message, dict):
                continue
            content = message.get("content")
            if isinstance(content, str):
                yield content
            elif isinstance(content, list):
                for part in content:
                    if isinstance(part, dict) and isinstance(part.get("text"), str):
                        yield part["text"]
            for call in message.get("tool_calls") or []:
                arguments = (call.get("function") or {}).get("arguments") if isinstance(call, dict) else None
                if isinstance(arguments, str):
                    yield arguments
    for key in ("input", "prompt"):
        value = data.get(key)
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            yield from (v for v in value if isinstance(v, str))


def rewrite_texts(data: dict[str, Any], fn: Callable[[str], str]) -> None:
    """Apply fn to every prompt text in place (same places iter_texts reads)."""
    messages = data.get("messages")
    if isinstance(messages, list):
        for message in messages:
            if not isinstance(message, dict):
                continue
            content = message.get("content")
            if isinstance(content, str):
                message["content"] = fn(content)
            elif isinstance(content, list):
                for part in content:
                    if isinstance(part, dict) and isinstance(part.get("text"), str):
                        part["text"] = fn(part["text"])
            for call in message.get("tool_calls") or []:
                function = call.get("function") if isinstance(call, dict) else None
                if isinstance(function, dict) and isinstance(function.get("arguments"), str):
                    function["arguments"] = fn(function["arguments"])
    for key in ("input", "prompt"):
        value = data.get(key)
        if isinstance(value, str):
            data[key] = fn(value)
        elif isinstance(value, list):
            data[key] = [fn(v) if isinstance(v, str) else v for v in value]


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
