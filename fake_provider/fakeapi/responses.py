"""OpenAI's Responses API: what LiteLLM's `openai/` provider calls for /v1/responses (`{api_base}/responses`),
and what it bridges a client's /v1/messages to for openai/ deployments."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

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
    texts,
    words,
)
from .openai_chat import error

# the request's settings a response echoes, with their defaults
ECHOED: Json = {
    "instructions": None,
    "max_output_tokens": None,
    "metadata": {},
    "parallel_tool_calls": True,
    "previous_response_id": None,
    "reasoning": None,
    "store": True,
    "temperature": 1.0,
    "text": {"format": {"type": "text"}},
    "tool_choice": "auto",
    "tools": [],
    "top_p": 1.0,
    "truncation": "disabled",
    "user": None,
}


def plan(call: Call) -> Answer:
    body = call.body
    offered = listed(body.get("tools"))
    tools = [
        Tool(str(t["name"]), t.get("parameters") or {})
        for t in offered
        if isinstance(t, dict) and t.get("type") == "function" and "name" in t and body.get("tool_choice") != "none"
    ]
    items = body.get("input")
    history = listed(items)
    last = mapping(history[-1]) if history else {}
    reasoning = mapping(body.get("reasoning"))
    thinking = bool(reasoning.get("effort") not in (None, "none") or reasoning.get("summary"))
    prompt = " ".join([*texts(body.get("instructions") or ""), *texts(items or "")])
    return answer(call.model, prompt, tools, last.get("type") == "function_call_output", thinking)


def items(said: Answer, ids: list[str]) -> list[Json]:
    """The output items, completed: reasoning when asked, then a function call or a message."""
    found: list[Json] = []
    if said.thinking:
        summary = [{"type": "summary_text", "text": said.thinking}]
        found.append({"type": "reasoning", "id": ids[0], "summary": summary, "status": "completed"})
    if said.tool:
        call = {"type": "function_call", "id": ids[1], "call_id": f"call_{said.call_id}", "name": said.tool.name}
        found.append({**call, "arguments": said.arguments_json, "status": "completed"})
    else:
        part = {"type": "output_text", "text": said.text, "annotations": [], "logprobs": []}
        found.append({"type": "message", "id": ids[1], "status": "completed", "role": "assistant", "content": [part]})
    return found


def response(call: Call, said: Answer, ident: str, status: str, output: list[Json]) -> Json:
    done = status == "completed"
    usage = {
        "input_tokens": said.input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": said.output_tokens,
        "output_tokens_details": {"reasoning_tokens": said.thinking_tokens},
        "total_tokens": said.input_tokens + said.output_tokens,
    }
    return {
        "id": ident,
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "model": said.model,
        "output": output,
        "error": None,
        "incomplete_details": None,
        **{key: call.body.get(key, default) for key, default in ECHOED.items()},
        "usage": usage if done else None,
    }


def item_events(index: int, item: Json) -> list[Json]:
    """output_item.added, the item's parts and deltas, output_item.done (without sequence numbers)."""
    kind = item["type"]
    at = {"item_id": item["id"], "output_index": index}
    if kind == "reasoning":
        opened: Json = {**item, "summary": [], "status": "in_progress"}
        text = item["summary"][0]["text"]
        part = {"type": "summary_text", "text": ""}
        inner: list[Json] = [
            {"type": "response.reasoning_summary_part.added", **at, "summary_index": 0, "part": part},
            *(
                {"type": "response.reasoning_summary_text.delta", **at, "summary_index": 0, "delta": w}
                for w in words(text)
            ),
            {"type": "response.reasoning_summary_text.done", **at, "summary_index": 0, "text": text},
            {"type": "response.reasoning_summary_part.done", **at, "summary_index": 0, "part": item["summary"][0]},
        ]
    elif kind == "function_call":
        opened = {**item, "arguments": "", "status": "in_progress"}
        arguments = item["arguments"]
        half = len(arguments) // 2
        inner = [
            *(
                {"type": "response.function_call_arguments.delta", **at, "delta": d}
                for d in (arguments[:half], arguments[half:])
            ),
            {"type": "response.function_call_arguments.done", **at, "arguments": arguments},
        ]
    else:
        opened = {**item, "content": [], "status": "in_progress"}
        done_part = item["content"][0]
        part = {**done_part, "text": ""}
        at = {**at, "content_index": 0}
        inner = [
            {"type": "response.content_part.added", **at, "part": part},
            *(
                {"type": "response.output_text.delta", **at, "delta": w, "logprobs": []}
                for w in words(done_part["text"])
            ),
            {"type": "response.output_text.done", **at, "text": done_part["text"], "logprobs": []},
            {"type": "response.content_part.done", **at, "part": done_part},
        ]
    return [
        {"type": "response.output_item.added", "output_index": index, "item": opened},
        *inner,
        {"type": "response.output_item.done", "output_index": index, "item": item},
    ]


def routes(state: State) -> list[tuple[str, Any, list[str]]]:
    async def create(request: Request) -> Response:
        call = await begin(state, request, "responses", error)
        if isinstance(call, Response):
            return call
        if not call.model or not isinstance(call.body.get("input"), (str, list)):
            return error(400, "model and input are required")
        said = plan(call)
        ident = new_id("resp_")
        output = items(said, [new_id("rs_"), new_id("fc_" if said.tool else "msg_")])
        if not call.body.get("stream"):
            return await respond(call, response(call, said, ident, "completed", output))
        started = response(call, said, ident, "in_progress", [])
        events: list[Json] = [
            {"type": "response.created", "response": started},
            {"type": "response.in_progress", "response": started},
        ]
        for index, item in enumerate(output):
            events += item_events(index, item)
        events.append({"type": "response.completed", "response": response(call, said, ident, "completed", output)})
        numbered = [sse(e["type"], {**e, "sequence_number": n}) for n, e in enumerate(events)]
        failed = {"type": "error", "code": "server_error", "message": STREAM_ERROR, "param": None}
        return stream(call, numbered, sse("error", {**failed, "sequence_number": len(events)}))

    return [("/v1/responses", create, ["POST"]), ("/responses", create, ["POST"])]
