"""OpenAI's chat completions, embeddings and model list."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .common import STREAM_ERROR, Json, State, begin, new_id, respond, sse, stream, texts, tokens, words

MODELS = ("fake-gpt-4o", "fake-gpt-4o-mini", "fake-claude-sonnet", "fake-long-context", "fake-embedding")
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    429: "rate_limit_error",
}


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """OpenAI's error body (the Responses API uses the same)."""
    kind = ERROR_TYPES.get(status, "server_error")
    return JSONResponse(
        {"error": {"message": message, "type": kind, "param": None, "code": str(status)}},
        status_code=status,
        headers=headers,
    )


def routes(state: State) -> list[tuple[str, Any, list[str]]]:
    async def chat(request: Request) -> Response:
        call = await begin(state, request, "chat", error)
        if isinstance(call, Response):
            return call
        model = call.model or "fake"
        text = f"Fake answer from {model}."
        prompt_tokens = tokens(" ".join(texts(call.body.get("messages") or [])))
        completion_tokens = tokens(text)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        base: Json = {"id": new_id("chatcmpl-"), "created": int(time.time()), "model": model}
        if not call.body.get("stream"):
            message = {"role": "assistant", "content": text}
            choice = {"index": 0, "message": message, "finish_reason": "stop"}
            return await respond(call, {**base, "object": "chat.completion", "choices": [choice], "usage": usage})
        chunk = {**base, "object": "chat.completion.chunk"}
        deltas: list[Json] = [{"role": "assistant", "content": ""}, *({"content": w} for w in words(text))]
        chunks = [{**chunk, "choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas]
        chunks.append({**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        chunks.append({**chunk, "choices": [], "usage": usage})
        failed = sse(None, {"error": {"message": STREAM_ERROR, "type": "server_error", "param": None, "code": None}})
        return stream(call, [*(sse(None, c) for c in chunks), sse(None, "[DONE]")], failed)

    async def embeddings(request: Request) -> Response:
        call = await begin(state, request, "embeddings", error)
        if isinstance(call, Response):
            return call
        inputs = call.body.get("input")
        items = inputs if isinstance(inputs, list) else [inputs]
        data = []
        for index, item in enumerate(items):
            digest = hashlib.sha256(str(item).encode()).digest()
            vector = [round(b / 255.0, 6) for b in digest[:16]]
            data.append({"object": "embedding", "index": index, "embedding": vector})
        used = sum(tokens(str(i)) for i in items)
        usage = {"prompt_tokens": used, "total_tokens": used}
        return JSONResponse({"object": "list", "data": data, "model": call.body.get("model"), "usage": usage})

    async def models(request: Request) -> Response:
        listed = [{"id": n, "object": "model", "created": 0, "owned_by": "fake"} for n in sorted(MODELS)]
        return JSONResponse({"object": "list", "data": listed})

    return [
        ("/v1/chat/completions", chat, ["POST"]),
        ("/chat/completions", chat, ["POST"]),
        ("/v1/embeddings", embeddings, ["POST"]),
        ("/embeddings", embeddings, ["POST"]),
        ("/v1/models", models, ["GET"]),
    ]
