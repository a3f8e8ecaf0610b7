"""The coding agents' APIs through the real proxy and the gateway hooks: Anthropic Messages (/v1/messages)
and OpenAI Responses (/v1/responses), streaming and not. The routing rules (tools, the long-session
threshold) move them like chat, the transforms reach the provider (the fake records what it received),
a provider's 500 falls back, and the x-route-* headers come from the hooks' decision, never the body.
A request moved to a group of another provider is translated by LiteLLM both ways."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from .conftest import Stack, streamed_text

pytestmark = pytest.mark.proxy

LONG = "lorem ipsum dolor sit amet " * 2000  # about 12,000 tokens: over the dev rule's 6000
ANTHROPIC_TOOLS = [
    {"name": "lookup_order", "description": "find an order", "input_schema": {"type": "object", "properties": {}}}
]
RESPONSES_TOOLS = [{"type": "function", "name": "lookup_order", "parameters": {"type": "object", "properties": {}}}]
HOUSE_PROMPT = "You are a helpful assistant behind the company LLM gateway."


def messages_body(content: str = "hi", **extra: Any) -> dict[str, Any]:
    return {"model": "claude-sonnet", "max_tokens": 99999, "messages": [{"role": "user", "content": content}], **extra}


def responses_body(text: str = "hi", **extra: Any) -> dict[str, Any]:
    return {"model": "gpt-4o-mini", "max_output_tokens": 99999, "input": text, **extra}


def post(stack: Stack, path: str, body: dict[str, Any]) -> httpx.Response:
    answer = httpx.post(f"{stack.url}{path}", headers={"Authorization": f"Bearer {stack.key}"}, json=body, timeout=120)
    assert answer.status_code == 200, answer.text[:800]
    return answer


@contextmanager
def stream(stack: Stack, path: str, body: dict[str, Any]) -> Iterator[tuple[httpx.Response, list[dict[str, Any]]]]:
    """The streamed answer and its SSE events (the JSON of every data line)."""
    with httpx.stream(
        "POST",
        f"{stack.url}{path}",
        headers={"Authorization": f"Bearer {stack.key}"},
        json={**body, "stream": True},
        timeout=120,
    ) as answer:
        assert answer.status_code == 200, answer.read()[:800]
        lines = [line[len("data:") :].strip() for line in answer.iter_lines() if line.startswith("data:")]
        yield answer, [json.loads(line) for line in lines if line and line != "[DONE]"]


def route(answer: httpx.Response) -> tuple[str, str, str, str]:
    h = answer.headers
    return h["x-route-rule"], h["x-route-label"], h["x-route-requested-model"], h["x-litellm-model-group"]


def only_upstream(stack: Stack) -> dict[str, Any]:
    received = stack.fake_requests()
    assert len(received) == 1, [(r["kind"], r["model"]) for r in received]
    return received[0]


def test_messages_with_tools_reroute_and_are_translated(dev_stack: Stack) -> None:
    dev_stack.clear()
    answer = post(dev_stack, "/v1/messages", messages_body(tools=ANTHROPIC_TOOLS))
    assert route(answer) == ("tool-calls", "tools", "claude-sonnet", "gpt-4o")
    upstream = only_upstream(dev_stack)
    # gpt-4o is an openai/ group: LiteLLM bridges the Anthropic request to the Responses API and back
    assert (upstream["model"], upstream["path"]) == ("fake-gpt-4o", "/v1/responses")
    assert upstream["body"]["max_output_tokens"] == 4096  # clamped on the way in
    assert HOUSE_PROMPT in json.dumps(upstream["body"])
    body = answer.json()
    assert body["type"] == "message" and body["content"][-1]["type"] == "tool_use"
    assert body["content"][-1]["name"] == "lookup_order"


def test_messages_stream_on_the_anthropic_group_with_the_clamp(dev_stack: Stack) -> None:
    dev_stack.clear()
    with stream(dev_stack, "/v1/messages", messages_body(system=[{"type": "text", "text": "Be brief."}])) as (
        answer,
        events,
    ):
        assert route(answer) == ("none", "none", "claude-sonnet", "claude-sonnet")
    assert events[0]["type"] == "message_start" and events[-1]["type"] == "message_stop"
    assert streamed_text(events) == "Fake answer from fake-claude-sonnet."
    upstream = only_upstream(dev_stack)
    assert (upstream["model"], upstream["path"]) == ("fake-claude-sonnet", "/v1/v1/messages")
    assert upstream["body"]["max_tokens"] == 4096
    assert [b["text"] for b in upstream["body"]["system"]] == ["Be brief."]  # inject_if_missing: one was there


def test_long_messages_session_streams_from_long_context(dev_stack: Stack) -> None:
    dev_stack.clear()
    with stream(dev_stack, "/v1/messages", messages_body(LONG)) as (answer, events):
        assert route(answer) == ("long-prompts", "long_context", "claude-sonnet", "long-context")
    assert events[-1]["type"] == "message_stop"
    assert streamed_text(events) == "Fake answer from fake-long-context."
    assert only_upstream(dev_stack)["model"] == "fake-long-context"


def test_responses_with_tools_reroute_with_the_clamp_and_instructions(dev_stack: Stack) -> None:
    dev_stack.clear()
    answer = post(dev_stack, "/v1/responses", responses_body(tools=RESPONSES_TOOLS))
    assert route(answer) == ("tool-calls", "tools", "gpt-4o-mini", "gpt-4o")
    upstream = only_upstream(dev_stack)
    assert (upstream["model"], upstream["path"]) == ("fake-gpt-4o", "/v1/responses")
    assert upstream["body"]["max_output_tokens"] == 4096
    assert upstream["body"]["instructions"] == HOUSE_PROMPT
    assert answer.json()["output"][-1]["type"] == "function_call"


def test_long_responses_session_streams_from_long_context(dev_stack: Stack) -> None:
    dev_stack.clear()
    with stream(dev_stack, "/v1/responses", responses_body(LONG)) as (answer, events):
        assert route(answer) == ("long-prompts", "long_context", "gpt-4o-mini", "long-context")
    assert events[-1]["type"] == "response.completed"
    text = "".join(e.get("delta", "") for e in events if e["type"] == "response.output_text.delta")
    assert text == "Fake answer from fake-long-context."
    assert only_upstream(dev_stack)["model"] == "fake-long-context"


def test_responses_asking_for_reasoning_are_bridged_to_the_anthropic_group(dev_stack: Stack) -> None:
    dev_stack.clear()
    answer = post(dev_stack, "/v1/responses", responses_body(reasoning={"effort": "high"}))
    assert route(answer) == ("thinking-requests", "reasoning", "gpt-4o-mini", "claude-sonnet")
    upstream = only_upstream(dev_stack)
    # claude-sonnet is an anthropic/ group: LiteLLM bridges the Responses request to Messages and back
    assert (upstream["model"], upstream["path"]) == ("fake-claude-sonnet", "/v1/v1/messages")
    assert upstream["body"]["max_tokens"] == 4096 and "temperature" not in upstream["body"]
    message = [item for item in answer.json()["output"] if item["type"] == "message"]
    assert message[0]["content"][0]["text"] == "Fake answer from fake-claude-sonnet."


@pytest.mark.parametrize(
    ("path", "body", "failing", "serving"),
    [
        ("/v1/responses", responses_body(), "fake-gpt-4o-mini", "fake-gpt-4o"),  # fallbacks: gpt-4o-mini -> gpt-4o
        ("/v1/messages", messages_body(model="gpt-4o"), "fake-gpt-4o", "fake-claude-sonnet"),  # gpt-4o -> claude
    ],
)
def test_a_provider_500_falls_back(
    dev_stack: Stack, path: str, body: dict[str, Any], failing: str, serving: str
) -> None:
    dev_stack.clear()
    dev_stack.faults({failing: {"status": 500}})
    try:
        answer = post(dev_stack, path, body)
        received = [r["model"] for r in dev_stack.fake_requests()]
    finally:
        dev_stack.clear()
    assert received[0] == failing and received[-1] == serving, received
    assert f"Fake answer from {serving}." in answer.text
    assert answer.headers["x-route-requested-model"] == body["model"]


def test_client_route_metadata_is_never_echoed(dev_stack: Stack) -> None:
    dev_stack.clear()
    forged = {"label": "forged", "rule": "forged", "requested": "forged"}
    answer = post(dev_stack, "/v1/responses", responses_body(metadata={"gateway_route": "forged", "team": "a"}))
    assert route(answer)[:2] == ("none", "none")
    assert "gateway_route" not in json.dumps(only_upstream(dev_stack)["body"])
    embedded = post(
        dev_stack, "/v1/embeddings", {"model": "text-embedding", "input": "x", "metadata": {"gateway_route": forged}}
    )
    assert not any(name.startswith("x-route-") for name in embedded.headers)
    messages = post(dev_stack, "/v1/messages", messages_body(metadata={"gateway_route": forged}))
    assert "forged" not in str(messages.headers)
