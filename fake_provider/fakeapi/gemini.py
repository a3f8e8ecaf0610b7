"""Gemini's generateContent and streamGenerateContent: what LiteLLM's `gemini/` provider calls
(`{api_base}/models/{model}:generateContent`, streaming `:streamGenerateContent?alt=sse`)."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

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

# HTTP status -> Google's canonical status
STATUSES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
METHODS = ("generateContent", "streamGenerateContent")


def error_body(status: int, message: str) -> Json:
    return {"error": {"code": status, "message": message, "status": STATUSES.get(status, "UNKNOWN")}}


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(error_body(status, message), status_code=status, headers=headers)


def plan(call: Call) -> Answer:
    body = call.body
    declared = [
        d
        for tool in listed(body.get("tools"))
        if isinstance(tool, dict)
        for d in tool.get("functionDeclarations") or tool.get("function_declarations") or []
        if isinstance(d, dict) and "name" in d
    ]
    tools = [Tool(str(d["name"]), d.get("parameters") or d.get("parametersJsonSchema") or {}) for d in declared]
    contents = body["contents"]
    parts = contents[-1].get("parts") if contents and isinstance(contents[-1], dict) else None
    tool_result_last = isinstance(parts, list) and any(
        isinstance(p, dict) and ("functionResponse" in p or "function_response" in p) for p in parts
    )
    config = mapping(body.get("generationConfig"))
    thinking = mapping(config.get("thinkingConfig"))
    system = body.get("systemInstruction") or body.get("system_instruction") or {}
    prompt = " ".join([*texts(system.get("parts") or []), *(t for c in contents for t in texts(c.get("parts") or []))])
    return answer(call.model, prompt, tools, tool_result_last, bool(thinking.get("includeThoughts")))


def usage(said: Answer) -> Json:
    found = {
        "promptTokenCount": said.input_tokens,
        "candidatesTokenCount": said.output_tokens - said.thinking_tokens,
        "totalTokenCount": said.input_tokens + said.output_tokens,
    }
    return {**found, "thoughtsTokenCount": said.thinking_tokens} if said.thinking else found


def chunk(said: Answer, ident: str, parts: list[Json], finished: bool) -> Json:
    candidate: Json = {"content": {"role": "model", "parts": parts}, "index": 0}
    found: Json = {"candidates": [{**candidate, "finishReason": "STOP"} if finished else candidate]}
    if finished:
        found["usageMetadata"] = usage(said)
    return {**found, "modelVersion": said.model, "responseId": ident}


def parts(said: Answer) -> list[list[Json]]:
    """The parts of each streamed chunk: thought, then the function call or the text word by word."""
    found: list[list[Json]] = [[{"text": said.thinking, "thought": True}]] if said.thinking else []
    if said.tool:
        found.append([{"functionCall": {"name": said.tool.name, "args": said.arguments}}])
    else:
        found += [[{"text": w}] for w in words(said.text)]
    return found


def routes(state: State) -> list[tuple[str, Any, list[str]]]:
    async def generate(request: Request) -> Response:
        model, _, method = str(request.path_params["target"]).partition(":")
        if method not in METHODS:
            return error(404, f"unknown method {method!r}: {' or '.join(METHODS)}")
        call = await begin(state, request, "generate_content", error, model=model)
        if isinstance(call, Response):
            return call
        if not isinstance(call.body.get("contents"), list):
            return error(400, "contents is required")
        said = plan(call)
        ident = new_id("")
        pieces = parts(said)
        if method == "generateContent":
            thought = pieces[0] if said.thinking else []
            said_parts = pieces[-1] if said.tool else [{"text": said.text}]
            return await respond(call, chunk(said, ident, [*thought, *said_parts], True))
        failed = error_body(500, STREAM_ERROR)
        chunks = [chunk(said, ident, piece, i == len(pieces) - 1) for i, piece in enumerate(pieces)]
        if request.query_params.get("alt") == "sse":
            return stream(call, [sse(None, c) for c in chunks], sse(None, failed))
        # without alt=sse Google streams one JSON array
        body = ["[", *(("," if i else "") + json.dumps(c) for i, c in enumerate(chunks)), "]"]
        return stream(call, body, "," + json.dumps(failed) + "]", media_type="application/json")

    return [(f"/{version}/models/{{target:path}}", generate, ["POST"]) for version in ("v1beta", "v1")]
