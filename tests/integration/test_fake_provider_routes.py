"""The agent APIs through the real proxy to the fake provider: /v1/messages and /v1/responses, priced."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from .conftest import Stack, streamed_text

pytestmark = pytest.mark.proxy

WEATHER = {
    "name": "get_weather",
    "description": "the weather of a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def post(stack: Stack, path: str, body: dict[str, Any]) -> httpx.Response:
    headers = {"x-api-key": stack.key, "anthropic-version": "2023-06-01"}
    return httpx.post(f"{stack.url}{path}", json=body, headers=headers, timeout=60)


def events(response: httpx.Response) -> list[dict[str, Any]]:
    return [json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: {")]


def messages(model: str, **extra: Any) -> dict[str, Any]:
    return {"model": model, "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}], **extra}


def test_messages_and_responses_reach_the_fake_and_are_priced(dev_stack: Stack) -> None:
    dev_stack.clear()
    # /v1/messages to the anthropic/ deployment: forwarded as Anthropic's Messages API, priced as claude
    answer = post(dev_stack, "/v1/messages", messages("claude-sonnet"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["content"] == [{"type": "text", "text": "Fake answer from fake-claude-sonnet."}]
    assert float(answer.headers["x-litellm-response-cost"]) > 0
    streamed = post(dev_stack, "/v1/messages", messages("claude-sonnet", stream=True))
    assert streamed.status_code == 200, streamed.text
    kinds = [e["type"] for e in events(streamed)]
    assert (kinds[0], kinds[-1]) == ("message_start", "message_stop") and "message_delta" in kinds
    assert streamed_text(events(streamed)) == "Fake answer from fake-claude-sonnet."
    # /v1/responses to an openai/ deployment
    response = post(dev_stack, "/v1/responses", {"model": "gpt-4o", "input": "hi"})
    assert response.status_code == 200, response.text
    said = [c["text"] for item in response.json()["output"] for c in item.get("content") or []]
    assert said == ["Fake answer from fake-gpt-4o."]
    assert float(response.headers["x-litellm-response-cost"]) > 0
    # /v1/messages to an openai/ deployment: LiteLLM bridges it to the Responses API; with tools (which
    # the routing rules also send to gpt-4o) the function call comes back as a tool_use block
    tooled = post(dev_stack, "/v1/messages", messages("gpt-4o", tools=[WEATHER]))
    assert tooled.status_code == 200, tooled.text
    assert tooled.json()["stop_reason"] == "tool_use"
    assert [(b["type"], b.get("name"), b.get("input")) for b in tooled.json()["content"]] == [
        ("tool_use", "get_weather", {"city": "fake"})
    ]
    received = [(r["kind"], r["path"], r["model"]) for r in dev_stack.fake_requests()]
    assert received == [
        ("messages", "/v1/v1/messages", "fake-claude-sonnet"),
        ("messages", "/v1/v1/messages", "fake-claude-sonnet"),
        ("responses", "/v1/responses", "fake-gpt-4o"),
        ("responses", "/v1/responses", "fake-gpt-4o"),
    ]
