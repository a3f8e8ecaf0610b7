"""Anthropic's Messages API: what LiteLLM's `anthropic/` provider calls (`{api_base}/v1/messages`)."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import prompt_cache
from .common import (
    STREAM_ERROR,
    Answer,
    Call,
    Json,
    State,
    Tool,
    answer,
    begin,
    listed,
    mapping,
    new_id,
    respond,
    sse,
    stream,
    tokens,
    words,
)
from .prompt_cache import CacheUsage

# HTTP status -> Anthropic's error type (https://docs.anthropic.com/en/api/errors)
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
REQUIRED = {"model": str, "messages": list, "max_tokens": int}


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    body = {"type": "error", "error": {"type": ERROR_TYPES.get(status, "api_error"), "message": message}}
    return JSONResponse(body, status_code=status, headers={"request-id": new_id("req_"), **(headers or {})})


def invalid(body: Json) -> str | None:
    for key, kind in REQUIRED.items():
        if not isinstance(body.get(key), kind):
            return f"{key}: Field required ({kind.__name__})"
    return None


def plan(call: Call) -> Answer:
    body = call.body
    offered = listed(body.get("tools"))
    choice = mapping(body.get("tool_choice"))
    tools = [
        Tool(str(t["name"]), t.get("input_schema") or {})
        for t in offered
        if isinstance(t, dict) and "name" in t and choice.get("type") != "none"
    ]
    messages = body["messages"]
    last = mapping(messages[-1]) if messages else {}
    content = last.get("content")
    tool_result_last = isinstance(content, list) and any(
        isinstance(b, dict) and b.get("type") == "tool_result" for b in content
    )
    thinking = isinstance(body.get("thinking"), dict) and body["thinking"].get("type") in ("enabled", "adaptive")
    return answer(call.model, "", tools, tool_result_last, thinking)  # input tokens: prompt_cache.usage


def blocks(said: Answer) -> list[Json]:
    found: list[Json] = []
    if said.thinking:
        found.append({"type": "thinking", "thinking": said.thinking, "signature": said.signature})
    if said.tool:
        found.append(
            {"type": "tool_use", "id": f"toolu_{said.call_id}", "name": said.tool.name, "input": said.arguments}
        )
    else:
        found.append({"type": "text", "text": said.text})
    return found


def message(
    said: Answer, cache: CacheUsage, ident: str, content: list[Json], stop_reason: str | None, output_tokens: int
) -> Json:
    return {
        "id": ident,
        "type": "message",
        "role": "assistant",
        "model": said.model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {**vars(cache), "output_tokens": output_tokens},
    }


def block_events(index: int, block: Json) -> list[str]:
    """content_block_start, its deltas and content_block_stop for one block, as Anthropic streams it."""
    kind = block["type"]
    if kind == "thinking":
        empty: Json = {"type": "thinking", "thinking": ""}
        deltas: list[Json] = [{"type": "thinking_delta", "thinking": w} for w in words(block["thinking"])]
        deltas.append({"type": "signature_delta", "signature": block["signature"]})
    elif kind == "tool_use":
        empty = {**block, "input": {}}
        arguments = json.dumps(block["input"])
        half = len(arguments) // 2
        deltas = [
            {"type": "input_json_delta", "partial_json": part} for part in ("", arguments[:half], arguments[half:])
        ]
    else:
        empty = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": w} for w in words(block["text"])]
    return [
        sse("content_block_start", {"type": "content_block_start", "index": index, "content_block": empty}),
        *(sse("content_block_delta", {"type": "content_block_delta", "index": index, "delta": d}) for d in deltas),
        sse("content_block_stop", {"type": "content_block_stop", "index": index}),
    ]


def routes(state: State) -> list[tuple[str, Any, list[str]]]:
    async def messages(request: Request) -> Response:
        call = await begin(state, request, "messages", error)
        if isinstance(call, Response):
            return call
        problem = invalid(call.body)
        if problem:
            return error(400, problem)
        said = plan(call)
        cache = prompt_cache.usage(state.cached, call.body)
        content = blocks(said)
        stop_reason = "tool_use" if said.tool else "end_turn"
        ident = new_id("msg_")
        if not call.body.get("stream"):
            return await respond(call, message(said, cache, ident, content, stop_reason, said.output_tokens))
        events = [
            sse("message_start", {"type": "message_start", "message": message(said, cache, ident, [], None, 1)}),
            sse("ping", {"type": "ping"}),
        ]
        for index, block in enumerate(content):
            events += block_events(index, block)
        delta = {"stop_reason": stop_reason, "stop_sequence": None}
        events.append(
            sse(
                "message_delta",
                {"type": "message_delta", "delta": delta, "usage": {"output_tokens": said.output_tokens}},
            )
        )
        events.append(sse("message_stop", {"type": "message_stop"}))
        failed = {"type": "error", "error": {"type": "overloaded_error", "message": STREAM_ERROR}}
        return stream(call, events, sse("error", failed))

    async def count_tokens(request: Request) -> Response:
        call = await begin(state, request, "count_tokens", error)
        if isinstance(call, Response):
            return call
        every = prompt_cache.segments(call.body)
        return JSONResponse({"input_tokens": tokens(" ".join(s.text for s in every))})

    # LiteLLM appends /v1/messages to api_base: the bundle's fake api_base ends with /v1 (what openai/ needs)
    return [
        (f"{prefix}/messages{suffix}", handler, ["POST"])
        for prefix in ("/v1", "/v1/v1")
        for suffix, handler in (("", messages), ("/count_tokens", count_tokens))
    ]
