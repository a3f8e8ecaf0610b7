"""What every API of the fake shares: its state, faults, request recording, the answer it gives, SSE."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import math
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

RECORD_LIMIT = 1000
STREAM_ERROR = "fake provider: injected error mid-stream"
# request headers never recorded: the credentials each API carries
SECRET_HEADERS = frozenset({"authorization", "x-api-key", "x-goog-api-key", "api-key"})
# a JSON Schema type -> the value a fake tool call gives such a property
SCHEMA_VALUES: dict[str, Any] = {
    "string": "fake",
    "integer": 1,
    "number": 1,
    "boolean": True,
    "array": [],
    "object": {},
    "null": None,
}

Json = dict[str, Any]
ErrorFactory = Callable[[int, str, "dict[str, str] | None"], Response]


class State:
    def __init__(self, faults: dict[str, Any] | None = None, latency_ms: float = 0.0, record: bool = True):
        self.faults: dict[str, dict[str, Any]] = dict(faults or {})
        self.latency_s = latency_ms / 1000.0
        self.record = record
        self.requests: deque[dict[str, Any]] = deque(maxlen=RECORD_LIMIT)
        self.counts: dict[str, int] = {}
        self.cached: set[str] = set()  # prompt-cache prefixes seen (Anthropic's prompt caching)

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


@dataclass
class Call:
    """One request accepted: its body, the model it names and the fault that applies to it."""

    body: Json
    model: str
    fault: dict[str, Any] = field(default_factory=dict)

    @property
    def first_delay(self) -> float:
        return float(self.fault.get("first_token_delay_s", 0))

    @property
    def cut_after(self) -> int | None:
        value = self.fault.get("cut_after_chunks")
        return None if value is None else int(value)


@dataclass
class Tool:
    name: str
    schema: Json


@dataclass
class Answer:
    """What the fake says, whatever the API: text, or a call of the first tool; reasoning when asked."""

    model: str
    text: str
    input_tokens: int
    tool: Tool | None = None
    thinking: str | None = None
    call_id: str = field(default_factory=lambda: uuid.uuid4().hex[:24])

    @property
    def arguments(self) -> Json:
        return tool_arguments(self.tool.schema) if self.tool else {}

    @property
    def arguments_json(self) -> str:
        return json.dumps(self.arguments)

    @property
    def output_tokens(self) -> int:
        said = self.arguments_json if self.tool else self.text
        return tokens(said) + self.thinking_tokens

    @property
    def thinking_tokens(self) -> int:
        return tokens(self.thinking) if self.thinking else 0

    @property
    def signature(self) -> str:
        """An opaque signature of the thinking, stable for the same thinking (like Anthropic's)."""
        return base64.b64encode(hashlib.sha256((self.thinking or "").encode()).digest()).decode()


def answer(model: str, prompt: str, tools: list[Tool], tool_result_last: bool, thinking: bool) -> Answer:
    """Call the first tool when tools are offered and the last message is not a tool's result."""
    tool = tools[0] if tools and not tool_result_last else None
    return Answer(
        model=model,
        text=f"Fake answer from {model}.",
        input_tokens=tokens(prompt),
        tool=tool,
        thinking=f"Fake reasoning of {model} about the request." if thinking else None,
    )


def tool_arguments(schema: Json) -> Json:
    """A value for each required property (every property when none is required) by its JSON type."""
    properties = mapping(schema.get("properties"))
    names = schema.get("required") or list(properties)
    arguments: Json = {}
    for name in names:
        spec = mapping(properties.get(name))
        kind = spec.get("type", "string")
        kind = kind[0] if isinstance(kind, list) and kind else kind
        if listed(spec.get("enum")):
            arguments[str(name)] = spec["enum"][0]
        else:
            arguments[str(name)] = SCHEMA_VALUES.get(str(kind), "fake")
    return arguments


def listed(value: Any) -> list[Any]:
    """`value` when it is a list, else an empty one (requests are read leniently, like the real APIs)."""
    return value if isinstance(value, list) else []


def mapping(value: Any) -> Json:
    """`value` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4))


def texts(value: Any) -> Iterable[str]:
    """Every string under a `text` or `content` key (or a bare string) of a request's messages."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from texts(item)
    elif isinstance(value, dict):
        for key in ("text", "content", "input", "output"):
            if key in value:
                yield from texts(value[key])


def words(text: str) -> list[str]:
    """The text in deltas: each word after the first keeps its leading space."""
    return [w if i == 0 else " " + w for i, w in enumerate(text.split(" "))]


def new_id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:24]}"


async def read_json(request: Request) -> Json | None:
    try:
        body = json.loads(await request.body() or b"{}")
    except json.JSONDecodeError:
        return None
    return body if isinstance(body, dict) else None


async def begin(
    state: State, request: Request, kind: str, error: ErrorFactory, model: str | None = None
) -> Call | Response:
    """Parse, record, apply latency and faults: the call, or the early (error) response."""
    body = await read_json(request)
    if body is None:
        return error(400, "body must be a JSON object", None)
    name = model if model is not None else str(body.get("model", ""))
    state.counts[name] = state.counts.get(name, 0) + 1
    if state.record:
        state.requests.append(
            {
                "kind": kind,
                "path": request.url.path,
                "model": name,
                "body": body,
                "headers": {k: v for k, v in request.headers.items() if k.lower() not in SECRET_HEADERS},
                "ts": time.time(),
            }
        )
    fault = state.fault_for(name, request.headers.get("x-fake-fault")) or {}
    if state.latency_s:
        await asyncio.sleep(state.latency_s)
    if fault.get("delay_s"):
        await asyncio.sleep(float(fault["delay_s"]))
    if fault.get("status"):
        status = int(fault["status"])
        headers = {"retry-after": str(fault["retry_after"])} if "retry_after" in fault else None
        return error(status, f"fake provider: injected {status} for model {name}", headers)
    return Call(body, name, fault)


async def respond(call: Call, payload: Json) -> Response:
    """A non-streaming answer, after the first-token delay."""
    if call.first_delay:
        await asyncio.sleep(call.first_delay)
    return JSONResponse(payload)


def sse(event: str | None, data: Any) -> str:
    """One server-sent event: `event:` when named, `data:` JSON (or a literal string such as [DONE])."""
    line = data if isinstance(data, str) else json.dumps(data)
    return (f"event: {event}\n" if event else "") + f"data: {line}\n\n"


def stream(
    call: Call, events: Iterable[str], error_event: str, media_type: str = "text/event-stream"
) -> StreamingResponse:
    """Send `events` after the first-token delay. A cut stream stops mid-way (connection aborted); a
    failing one sends the API's own error event instead of the rest and ends."""
    failing = call.fault.get("stream_error_after_chunks")

    async def body() -> AsyncIterator[str]:
        if call.first_delay:
            await asyncio.sleep(call.first_delay)
        for sent, event in enumerate(events):
            if call.cut_after is not None and sent >= call.cut_after:
                raise ConnectionAbortedError("fake provider: stream cut mid-way")
            if failing is not None and sent >= int(failing):
                yield error_event
                return
            yield event

    return StreamingResponse(body(), media_type=media_type)
