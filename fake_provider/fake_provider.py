"""A small OpenAI-compatible fake LLM provider that records requests and injects faults.

Endpoints: POST /v1/chat/completions (JSON or SSE streaming with usage), POST /v1/embeddings,
GET /v1/models, GET /health. Test controls: GET/DELETE /_fake/requests (what it received),
PUT/DELETE /_fake/faults (faults per model).

Faults (per model via PUT /_fake/faults {"<model or *>": {...}}, at start via --faults JSON,
or per request via the header `x-fake-fault: <json>`):
  {"status": 500}                      answer with that HTTP status (OpenAI-style error body)
  {"status": 429, "retry_after": 2}    rate limited, with Retry-After
  {"delay_s": 30}                      sleep before answering (client timeouts)
  {"first_token_delay_s": 2}           slow first token (streaming and non-streaming)
  {"cut_after_chunks": 2}              a stream that stops mid-way without [DONE]
  "times": N                           apply to the next N requests only (default: every request)

Depends only on starlette + uvicorn (both in the LiteLLM image), so it runs from the same image.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import os
import time
import uuid
from collections import deque
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

RECORD_LIMIT = 1000


class State:
    def __init__(self, faults: dict[str, Any] | None = None, latency_ms: float = 0.0, record: bool = True):
        self.faults: dict[str, dict[str, Any]] = dict(faults or {})
        self.latency_s = latency_ms / 1000.0
        self.record = record
        self.requests: deque[dict[str, Any]] = deque(maxlen=RECORD_LIMIT)
        self.counts: dict[str, int] = {}

    def fault_for(self, model: str, header: str | None) -> dict[str, Any] | None:
        if header:
            try:
                value = json.loads(header)
                return value if isinstance(value, dict) else None
            except json.JSONDecodeError:
                return None
        key = model if model in self.faults else ("*" if "*" in self.faults else None)
        if key is None:
            return None
        fault = self.faults[key]
        times = fault.get("times")
        if times is not None:
            if times <= 0:
                return None
            fault["times"] = times - 1
        return fault


def _tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4))


def _prompt_text(body: dict[str, Any]) -> str:
    parts = []
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(p.get("text", "") for p in content if isinstance(p, dict))
    return " ".join(parts)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    kind = {429: "rate_limit_error", 400: "invalid_request_error"}.get(status, "server_error")
    return JSONResponse(
        {"error": {"message": message, "type": kind, "code": str(status)}}, status_code=status, headers=headers
    )


def create_app(state: State) -> Starlette:
    async def read_json(request: Request) -> dict[str, Any] | None:
        try:
            body = json.loads(await request.body() or b"{}")
        except json.JSONDecodeError:
            return None
        return body if isinstance(body, dict) else None

    async def begin(request: Request, kind: str) -> tuple[dict[str, Any], dict[str, Any] | None, Response | None]:
        """Parse, record, apply latency and faults: (body, fault, early response or None)."""
        body = await read_json(request)
        if body is None:
            return {}, None, _error(400, "body must be a JSON object")
        model = str(body.get("model", ""))
        state.counts[model] = state.counts.get(model, 0) + 1
        if state.record:
            state.requests.append(
                {
                    "kind": kind,
                    "model": model,
                    "body": body,
                    "headers": {k: v for k, v in request.headers.items() if k.lower() != "authorization"},
                    "ts": time.time(),
                }
            )
        fault = state.fault_for(model, request.headers.get("x-fake-fault"))
        if state.latency_s:
            await asyncio.sleep(state.latency_s)
        if fault:
            if fault.get("delay_s"):
                await asyncio.sleep(float(fault["delay_s"]))
            if fault.get("status"):
                status = int(fault["status"])
                headers = {"retry-after": str(fault["retry_after"])} if "retry_after" in fault else None
                return body, fault, _error(status, f"fake provider: injected {status} for model {model}", headers)
        return body, fault, None

    async def chat(request: Request) -> Response:
        body, fault, early = await begin(request, "chat")
        if early is not None:
            return early
        model = str(body.get("model", "fake"))
        prompt_tokens = _tokens(_prompt_text(body))
        text = f"Fake answer from {model}."
        completion_tokens = _tokens(text)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        created = int(time.time())
        ident = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        first_delay = float((fault or {}).get("first_token_delay_s", 0))
        if not body.get("stream"):
            if first_delay:
                await asyncio.sleep(first_delay)
            return JSONResponse(
                {
                    "id": ident,
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                    ],
                    "usage": usage,
                }
            )
        cut_after = (fault or {}).get("cut_after_chunks")

        async def events() -> Any:
            if first_delay:
                await asyncio.sleep(first_delay)
            words = text.split(" ")
            base = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model}
            chunks = [
                {
                    **base,
                    "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}],
                }
            ]
            chunks += [
                {
                    **base,
                    "choices": [{"index": 0, "delta": {"content": (w if i == 0 else " " + w)}, "finish_reason": None}],
                }
                for i, w in enumerate(words)
            ]
            chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
            chunks.append({**base, "choices": [], "usage": usage})
            for sent, chunk in enumerate(chunks):
                if cut_after is not None and sent >= int(cut_after):
                    raise ConnectionAbortedError("fake provider: stream cut mid-way")
                yield f"data: {json.dumps(chunk)}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    async def embeddings(request: Request) -> Response:
        body, _, early = await begin(request, "embeddings")
        if early is not None:
            return early
        inputs = body.get("input")
        items = inputs if isinstance(inputs, list) else [inputs]
        data = []
        for index, item in enumerate(items):
            digest = hashlib.sha256(str(item).encode()).digest()
            data.append(
                {"object": "embedding", "index": index, "embedding": [round(b / 255.0, 6) for b in digest[:16]]}
            )
        tokens = sum(_tokens(str(i)) for i in items)
        return JSONResponse(
            {
                "object": "list",
                "data": data,
                "model": body.get("model"),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )

    async def models(request: Request) -> Response:
        names = sorted({"fake-gpt-4o", "fake-gpt-4o-mini", "fake-claude-sonnet", "fake-long-context", "fake-embedding"})
        return JSONResponse(
            {"object": "list", "data": [{"id": n, "object": "model", "created": 0, "owned_by": "fake"} for n in names]}
        )

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def recorded(request: Request) -> Response:
        if request.method == "DELETE":
            state.requests.clear()
            state.counts.clear()
            return JSONResponse({"cleared": True})
        return JSONResponse({"requests": list(state.requests), "counts": state.counts})

    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            state.faults.clear()
        else:
            body = await read_json(request)
            if body is None or not all(isinstance(v, dict) for v in body.values()):
                return _error(400, "faults must be a JSON object of model -> fault object")
            state.faults.update(body)
        return JSONResponse({"faults": state.faults})

    routes = [
        Route("/v1/chat/completions", chat, methods=["POST"]),
        Route("/chat/completions", chat, methods=["POST"]),
        Route("/v1/embeddings", embeddings, methods=["POST"]),
        Route("/embeddings", embeddings, methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/_fake/requests", recorded, methods=["GET", "DELETE"]),
        Route("/_fake/faults", faults, methods=["PUT", "DELETE"]),
    ]
    return Starlette(routes=routes)


def main() -> None:
    import uvicorn  # noqa: PLC0415  (only to serve; the app imports without it)

    parser = argparse.ArgumentParser(description="OpenAI-compatible fake provider")
    parser.add_argument("--host", default=os.environ.get("FAKE_PROVIDER_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("FAKE_PROVIDER_PORT", "8090")))
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=float(os.environ.get("FAKE_PROVIDER_LATENCY_MS", "0")),
        help="added to every answer",
    )
    parser.add_argument("--faults", default=os.environ.get("FAKE_PROVIDER_FAULTS", ""), help="JSON: model -> fault")
    parser.add_argument("--no-record", action="store_true", help="do not keep received requests (benchmarks)")
    args = parser.parse_args()
    state = State(json.loads(args.faults) if args.faults else None, args.latency_ms, not args.no_record)
    uvicorn.run(create_app(state), host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
