"""The fake provider in-process: each API (OpenAI chat, Anthropic Messages, Responses, Gemini), plain and
streamed, tools, reasoning, faults in each API's error shape, and what it records."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any, Protocol

import pytest
from starlette.testclient import TestClient

from fake_provider.fakeapi.app import create_app
from fake_provider.fakeapi.common import State

WEATHER_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer"}, "unit": {"enum": ["c", "f"]}},
    "required": ["city", "days", "unit"],
}
WEATHER_ARGS = {"city": "fake", "days": 1, "unit": "c"}
HI = [{"role": "user", "content": "hi"}]


class Answered(Protocol):
    """A response of the test client (starlette's, whichever httpx it is built on)."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    def json(self) -> Any: ...


@pytest.fixture
def state() -> State:
    return State()


@pytest.fixture
def client(state: State) -> Iterator[TestClient]:
    with TestClient(create_app(state)) as test_client:
        yield test_client


def sse_events(response: Answered) -> list[tuple[str | None, Any]]:
    """(event name or None, data) of each server-sent event."""
    found: list[tuple[str | None, Any]] = []
    for block in response.text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "data" in lines:
            data = lines["data"]
            found.append((lines.get("event"), data if data == "[DONE]" else json.loads(data)))
    return found


def anthropic(client: TestClient, path: str = "/v1/messages", **body: Any) -> Answered:
    headers = {"x-api-key": "sk-fake", "anthropic-version": "2023-06-01"}
    return client.post(path, json={"model": "fake-claude", "max_tokens": 64, "messages": HI, **body}, headers=headers)


# OpenAI chat and embeddings: unchanged


def test_chat_answers_plain_and_streamed(client: TestClient) -> None:
    plain = client.post("/v1/chat/completions", json={"model": "m", "messages": HI}).json()
    assert plain["choices"][0]["message"] == {"role": "assistant", "content": "Fake answer from m."}
    assert plain["usage"] == {"prompt_tokens": 1, "completion_tokens": 5, "total_tokens": 6}
    events = sse_events(client.post("/chat/completions", json={"model": "m", "messages": HI, "stream": True}))
    assert events[-1] == (None, "[DONE]") and events[-2][1]["usage"]["total_tokens"] == 6
    text = "".join(c["choices"][0]["delta"].get("content", "") for _, c in events[:-1] if c["choices"])
    assert text == "Fake answer from m."


def test_embeddings_are_stable_per_input(client: TestClient) -> None:
    first = client.post("/v1/embeddings", json={"model": "e", "input": ["a", "b"]}).json()
    again = client.post("/embeddings", json={"model": "e", "input": "a"}).json()
    assert [len(d["embedding"]) for d in first["data"]] == [16, 16]
    assert first["data"][0]["embedding"] == again["data"][0]["embedding"] != first["data"][1]["embedding"]


# Anthropic Messages


def test_messages_answer_with_a_text_block_and_usage(client: TestClient) -> None:
    answer = anthropic(client, system="be brief").json()
    assert answer["id"].startswith("msg_") and (answer["type"], answer["role"]) == ("message", "assistant")
    assert answer["content"] == [{"type": "text", "text": "Fake answer from fake-claude."}]
    assert (answer["model"], answer["stop_reason"], answer["stop_sequence"]) == ("fake-claude", "end_turn", None)
    assert answer["usage"] == {
        "input_tokens": 3,  # "be brief hi": 11 characters
        "output_tokens": 8,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }


def test_messages_stream_in_anthropics_event_sequence(client: TestClient) -> None:
    events = sse_events(anthropic(client, stream=True))
    assert all(name == data["type"] for name, data in events)
    kinds = [name for name, _ in events]
    assert kinds == [
        "message_start",
        "ping",
        "content_block_start",
        *["content_block_delta"] * 4,
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    start = events[0][1]["message"]
    assert (start["content"], start["stop_reason"], start["usage"]["input_tokens"]) == ([], None, 1)
    assert events[2][1] == {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
    text = "".join(d["delta"]["text"] for k, d in events if k == "content_block_delta")
    assert text == "Fake answer from fake-claude."
    assert events[-2][1]["delta"] == {"stop_reason": "end_turn", "stop_sequence": None}
    assert events[-2][1]["usage"] == {"output_tokens": 8}


def test_messages_call_the_first_tool_until_its_result_comes_back(client: TestClient) -> None:
    tools = [{"name": "get_weather", "input_schema": WEATHER_SCHEMA}, {"name": "other", "input_schema": {}}]
    answer = anthropic(client, tools=tools).json()
    assert answer["stop_reason"] == "tool_use"
    [block] = answer["content"]
    assert block["id"].startswith("toolu_") and (block["name"], block["input"]) == ("get_weather", WEATHER_ARGS)
    events = sse_events(anthropic(client, tools=tools, stream=True))
    starts = [d["content_block"] for k, d in events if k == "content_block_start"]
    assert [(b["type"], b["name"], b["input"]) for b in starts] == [("tool_use", "get_weather", {})]
    partial = "".join(d["delta"]["partial_json"] for k, d in events if k == "content_block_delta")
    assert {d["delta"]["type"] for k, d in events if k == "content_block_delta"} == {"input_json_delta"}
    assert json.loads(partial) == WEATHER_ARGS
    assert events[-2][1]["delta"]["stop_reason"] == "tool_use"
    result = [{"type": "tool_result", "tool_use_id": block["id"], "content": "sunny"}]
    after = [*HI, {"role": "assistant", "content": [block]}, {"role": "user", "content": result}]
    final = anthropic(client, tools=tools, messages=after).json()
    assert (final["stop_reason"], final["content"][0]["type"]) == ("end_turn", "text")
    assert anthropic(client, tools=tools, tool_choice={"type": "none"}).json()["stop_reason"] == "end_turn"


def test_messages_think_with_a_signature_when_asked(client: TestClient) -> None:
    thinking = {"type": "enabled", "budget_tokens": 1024}
    answer = anthropic(client, thinking=thinking).json()
    assert [b["type"] for b in answer["content"]] == ["thinking", "text"]
    thought = answer["content"][0]
    assert thought["thinking"].startswith("Fake reasoning") and thought["signature"]
    events = sse_events(anthropic(client, thinking=thinking, stream=True))
    deltas = [d["delta"] for k, d in events if k == "content_block_delta" and d["index"] == 0]
    assert "".join(d.get("thinking", "") for d in deltas) == thought["thinking"]
    assert deltas[-1] == {"type": "signature_delta", "signature": thought["signature"]}
    assert [d["content_block"]["type"] for k, d in events if k == "content_block_start"] == ["thinking", "text"]


def test_messages_read_the_prefix_marked_for_caching_once_it_was_written(client: TestClient) -> None:
    marked = {"type": "ephemeral"}
    system = [{"type": "text", "text": "x" * 400, "cache_control": marked}]  # 100 tokens
    first = anthropic(client, system=system).json()["usage"]
    assert (first["cache_creation_input_tokens"], first["cache_read_input_tokens"], first["input_tokens"]) == (
        100,
        0,
        1,
    )
    # the next turn: the old prefix is read, the new one (up to the moved mark) written
    turn = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "yo"},
        {"role": "user", "content": [{"type": "text", "text": "more", "cache_control": marked}]},
    ]
    second = anthropic(client, system=system, messages=turn).json()["usage"]
    assert (second["cache_read_input_tokens"], second["cache_creation_input_tokens"]) == (100, 3)  # "hi yo more"
    assert second["input_tokens"] == 1  # nothing after the last mark: still one token (never 0)
    events = sse_events(anthropic(client, system=system, stream=True))
    assert events[0][1]["message"]["usage"]["cache_read_input_tokens"] == 100
    client.delete("/_fake/requests")  # forgets the cache too
    assert anthropic(client, system=system).json()["usage"]["cache_creation_input_tokens"] == 100
    assert anthropic(client, system="x" * 400).json()["usage"]["cache_read_input_tokens"] == 0  # nothing marked


def test_messages_also_answer_where_litellm_appends_the_path_to_a_v1_api_base(client: TestClient) -> None:
    assert anthropic(client, "/v1/v1/messages").json()["type"] == "message"
    counted = client.post("/v1/messages/count_tokens", json={"model": "m", "messages": HI, "system": "abcd"})
    assert counted.json() == {"input_tokens": 2}


def test_messages_refuse_what_anthropic_refuses(client: TestClient) -> None:
    answer = client.post("/v1/messages", json={"model": "m", "messages": HI})
    assert answer.status_code == 400
    assert answer.json()["error"] == {"type": "invalid_request_error", "message": "max_tokens: Field required (int)"}


# OpenAI Responses


def test_responses_answer_with_a_message_item_and_usage(client: TestClient) -> None:
    answer = client.post("/v1/responses", json={"model": "g", "input": "hi", "instructions": "be brief"}).json()
    assert (answer["object"], answer["status"], answer["model"], answer["instructions"]) == (
        "response",
        "completed",
        "g",
        "be brief",
    )
    [item] = answer["output"]
    assert (item["type"], item["role"], item["status"]) == ("message", "assistant", "completed")
    assert item["content"][0]["type"] == "output_text" and item["content"][0]["text"] == "Fake answer from g."
    usage = answer["usage"]
    assert (usage["input_tokens"], usage["output_tokens"], usage["total_tokens"]) == (3, 5, 8)


def test_responses_stream_in_the_responses_event_sequence(client: TestClient) -> None:
    events = sse_events(client.post("/responses", json={"model": "g", "input": HI, "stream": True}))
    assert all(name == data["type"] for name, data in events)
    assert [data["sequence_number"] for _, data in events] == list(range(len(events)))
    assert [name for name, _ in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        *["response.output_text.delta"] * 4,
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert events[0][1]["response"]["status"] == "in_progress"
    text = "".join(d["delta"] for k, d in events if k == "response.output_text.delta")
    assert text == "Fake answer from g."
    done = events[-1][1]["response"]
    assert done["status"] == "completed" and done["usage"]["total_tokens"] == 6
    assert done["output"][0]["content"][0]["text"] == text


def test_responses_call_a_function_then_answer_its_output(client: TestClient) -> None:
    tools = [{"type": "web_search"}, {"type": "function", "name": "get_weather", "parameters": WEATHER_SCHEMA}]
    [call] = client.post("/v1/responses", json={"model": "g", "input": "hi", "tools": tools}).json()["output"]
    assert (call["type"], call["name"], json.loads(call["arguments"])) == ("function_call", "get_weather", WEATHER_ARGS)
    assert call["call_id"].startswith("call_")
    events = sse_events(
        client.post("/v1/responses", json={"model": "g", "input": "hi", "tools": tools, "stream": True})
    )
    arguments = "".join(d["delta"] for k, d in events if k == "response.function_call_arguments.delta")
    assert json.loads(arguments) == WEATHER_ARGS
    assert events[-1][1]["response"]["output"][0]["type"] == "function_call"
    history = ["hi", call, {"type": "function_call_output", "call_id": call["call_id"], "output": "sunny"}]
    items = [{"role": "user", "content": history[0]}, *history[1:]]
    final = client.post("/v1/responses", json={"model": "g", "input": items, "tools": tools}).json()
    assert [i["type"] for i in final["output"]] == ["message"]


def test_responses_reason_when_asked(client: TestClient) -> None:
    body = {"model": "g", "input": "hi", "reasoning": {"effort": "low", "summary": "auto"}}
    answer = client.post("/v1/responses", json=body).json()
    assert [i["type"] for i in answer["output"]] == ["reasoning", "message"]
    assert answer["usage"]["output_tokens_details"]["reasoning_tokens"] > 0
    events = sse_events(client.post("/v1/responses", json={**body, "stream": True}))
    assert "response.reasoning_summary_text.delta" in [k for k, _ in events]


# Gemini


def test_gemini_generates_content_plain_and_streamed(client: TestClient) -> None:
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    answer = client.post("/v1beta/models/gem:generateContent", json=body).json()
    assert answer["candidates"][0]["content"] == {"role": "model", "parts": [{"text": "Fake answer from gem."}]}
    assert answer["candidates"][0]["finishReason"] == "STOP"
    assert answer["usageMetadata"] == {"promptTokenCount": 1, "candidatesTokenCount": 6, "totalTokenCount": 7}
    events = sse_events(client.post("/v1/models/gem:streamGenerateContent?alt=sse", json=body))
    text = "".join(p["text"] for _, c in events for p in c["candidates"][0]["content"]["parts"])
    assert text == "Fake answer from gem." and "usageMetadata" in events[-1][1]
    array = client.post("/v1beta/models/gem:streamGenerateContent", json=body).json()
    assert [c["candidates"][0]["content"] for c in array] == [c["candidates"][0]["content"] for _, c in events]


def test_gemini_calls_a_declared_function_and_thinks_when_asked(client: TestClient) -> None:
    declared = [{"name": "get_weather", "parameters": WEATHER_SCHEMA}]
    body = {
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
        "tools": [{"functionDeclarations": declared}],
        "generationConfig": {"thinkingConfig": {"includeThoughts": True}},
    }
    answer = client.post("/v1beta/models/gem:generateContent", json=body).json()
    parts = answer["candidates"][0]["content"]["parts"]
    assert parts[0]["thought"] is True
    assert parts[1] == {"functionCall": {"name": "get_weather", "args": WEATHER_ARGS}}
    assert answer["usageMetadata"]["thoughtsTokenCount"] > 0
    assert client.post("/v1beta/models/gem:countTokens", json=body).status_code == 404


# faults and recording, the same on every API


@pytest.mark.parametrize(
    ("path", "body", "status", "error"),
    [
        ("/v1/chat/completions", {"model": "m", "messages": HI}, 429, {"type": "rate_limit_error", "code": "429"}),
        ("/v1/messages", {"model": "m", "messages": HI, "max_tokens": 1}, 529, {"type": "overloaded_error"}),
        ("/v1/messages", {"model": "m", "messages": HI, "max_tokens": 1}, 429, {"type": "rate_limit_error"}),
        ("/v1/responses", {"model": "m", "input": "hi"}, 500, {"type": "server_error", "code": "500"}),
        ("/v1beta/models/m:generateContent", {"contents": []}, 429, {"status": "RESOURCE_EXHAUSTED", "code": 429}),
    ],
)
def test_faults_answer_each_apis_error_shape(
    client: TestClient, path: str, body: dict[str, Any], status: int, error: dict[str, Any]
) -> None:
    client.put("/_fake/faults", json={"m": {"status": status, "retry_after": 3, "times": 1}})
    refused = client.post(path, json=body)
    assert refused.status_code == status and refused.headers["retry-after"] == "3"
    assert error.items() <= refused.json()["error"].items()
    assert f"injected {status} for model m" in refused.json()["error"]["message"]
    if path.startswith("/v1/messages"):
        assert refused.json()["type"] == "error" and refused.headers["request-id"].startswith("req_")
    assert client.post(path, json=body).status_code in (200, 400)  # `times` spent


def test_a_fault_in_the_request_header_applies_to_that_request_only(client: TestClient) -> None:
    body = {"model": "m", "input": "hi"}
    assert client.post("/v1/responses", json=body, headers={"x-fake-fault": '{"status": 503}'}).status_code == 503
    assert client.post("/v1/responses", json=body).status_code == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/messages", {"model": "m", "messages": HI, "max_tokens": 1, "stream": True}),
        ("/v1/responses", {"model": "m", "input": "hi", "stream": True}),
        ("/v1beta/models/m:streamGenerateContent?alt=sse", {"contents": HI}),
        ("/v1/chat/completions", {"model": "m", "messages": HI, "stream": True}),
    ],
)
def test_a_cut_stream_stops_after_the_chunks_it_was_given(state: State, path: str, body: dict[str, Any]) -> None:
    state.faults["*"] = {"cut_after_chunks": 2}
    sent: list[bytes] = []

    requests = [{"type": "http.request", "body": json.dumps(body).encode(), "more_body": False}]

    async def receive() -> MutableMapping[str, Any]:
        if requests:
            return requests.pop()
        await asyncio.Event().wait()  # the client never leaves: only the server ends the stream
        raise AssertionError("unreachable")

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.body" and message.get("body"):
            sent.append(message["body"])

    route, _, query = path.partition("?")
    scope = {"type": "http", "method": "POST", "path": route, "query_string": query.encode(), "headers": []}
    with pytest.raises(ConnectionAbortedError):  # the server drops the connection: no closing event
        asyncio.run(create_app(state)(scope, receive, send))
    assert [chunk.count(b"data: ") for chunk in sent] == [1, 1]


@pytest.mark.parametrize(
    ("path", "body", "failed"),
    [
        ("/v1/messages", {"model": "m", "messages": HI, "max_tokens": 1, "stream": True}, ("error", "type")),
        ("/v1/responses", {"model": "m", "input": "hi", "stream": True}, ("error", "code")),
        ("/v1beta/models/m:streamGenerateContent?alt=sse", {"contents": HI}, (None, "error")),
        ("/v1/chat/completions", {"model": "m", "messages": HI, "stream": True}, (None, "error")),
    ],
)
def test_a_failing_stream_ends_with_the_apis_error_event(
    client: TestClient, path: str, body: dict[str, Any], failed: tuple[str | None, str]
) -> None:
    fault = json.dumps({"stream_error_after_chunks": 3})
    events = sse_events(client.post(path, json=body, headers={"x-fake-fault": fault}))
    assert len(events) == 4
    name, data = events[-1]
    assert name == failed[0] and failed[1] in data
    assert "injected error mid-stream" in json.dumps(data)
    array = client.post(
        "/v1beta/models/m:streamGenerateContent", json={"contents": HI}, headers={"x-fake-fault": fault}
    )
    assert array.json()[-1]["error"]["status"] == "INTERNAL"


def test_requests_are_recorded_with_their_path_and_without_credentials(client: TestClient) -> None:
    anthropic(client)
    client.post("/v1/responses", json={"model": "g", "input": "hi"}, headers={"authorization": "Bearer sk-x"})
    client.post("/v1beta/models/gem:generateContent", json={"contents": []}, headers={"x-goog-api-key": "k"})
    recorded = client.get("/_fake/requests").json()
    rows = [(r["kind"], r["path"], r["model"]) for r in recorded["requests"]]
    assert rows == [
        ("messages", "/v1/messages", "fake-claude"),
        ("responses", "/v1/responses", "g"),
        ("generate_content", "/v1beta/models/gem:generateContent", "gem"),
    ]
    headers = [set(r["headers"]) for r in recorded["requests"]]
    assert not any({"x-api-key", "authorization", "x-goog-api-key"} & h for h in headers)
    assert recorded["requests"][0]["headers"]["anthropic-version"] == "2023-06-01"
    assert recorded["counts"] == {"fake-claude": 1, "g": 1, "gem": 1}
    client.delete("/_fake/requests")
    assert client.get("/_fake/requests").json() == {"requests": [], "counts": {}}


def test_bad_bodies_and_bad_fault_tables_are_refused(client: TestClient) -> None:
    assert client.post("/v1/messages", content=b"[1]").json()["type"] == "error"
    assert client.post("/v1/responses", json={"model": "g"}).status_code == 400
    assert client.post("/v1beta/models/g:generateContent", json={}).json()["error"]["status"] == "INVALID_ARGUMENT"
    assert client.put("/_fake/faults", json={"m": 1}).status_code == 400
    assert client.get("/health").json() == {"status": "ok"}
