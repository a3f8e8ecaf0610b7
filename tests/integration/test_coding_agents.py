"""Coding agents through the gateway: Anthropic's SDK on the Messages API (Claude Code's) and OpenAI's SDK on the
Responses API (Codex's) against the real proxy of the dev stack, and a replay of the request shapes of a Claude Code
session (claude_code_session.json). Each test asserts what the client got, the route the gateway took and what the
fake provider received. test_agent_routes.py covers the same routes on raw HTTP (transforms, fallbacks)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import pytest

from litellm_bundle.core.facts import RENDERED_AREA
from tests.helpers import ROOT

from .conftest import Stack

pytestmark = pytest.mark.proxy

CLAUDE = "claude-sonnet"  # dev's group on an anthropic/ deployment: what ANTHROPIC_MODEL names
CODEX = "gpt-4o-mini"  # dev's openai/ group that no rule moves a plain request away from
SESSION = json.loads(Path(__file__).with_name("claude_code_session.json").read_text())
READ_TOOL = SESSION["request"]["tools"][0]
ROUTING = json.loads((ROOT / RENDERED_AREA / "dev" / "hooks.json").read_text())["routing"]
LOOKUP = {
    "type": "function",
    "name": "lookup_order",
    "description": "Find an order by its id.",
    "parameters": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
}


def claude(stack: Stack) -> anthropic.Anthropic:
    """Anthropic's client as Claude Code configures it with ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY (x-api-key)."""
    return anthropic.Anthropic(base_url=stack.url, api_key=stack.key, max_retries=0, timeout=60)


def codex(stack: Stack) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{stack.url}/v1", api_key=stack.key, max_retries=0, timeout=60)


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def route(headers: Mapping[str, str]) -> tuple[str, str, str]:
    return headers["x-route-rule"], headers["x-route-label"], headers["x-litellm-model-group"]


def only(stack: Stack, kind: str) -> dict[str, Any]:
    """The one request the fake provider received, on API `kind` (messages, responses)."""
    received = stack.fake_requests()
    assert [r["kind"] for r in received] == [kind], [(r["kind"], r["model"]) for r in received]
    return received[0]


def item(items: list[dict[str, Any]], kind: str, call_id: str) -> dict[str, Any]:
    [found] = [i for i in items if i.get("type") == kind and i.get("call_id") == call_id]
    return found


# --- Anthropic Messages (Claude Code) ---------------------------------------------------------------------------


def test_messages_create_answers_in_anthropics_shape(dev_stack: Stack) -> None:
    dev_stack.clear()
    raw = claude(dev_stack).messages.with_raw_response.create(model=CLAUDE, max_tokens=256, messages=[user("Hello.")])
    message = raw.parse()
    sent = only(dev_stack, "messages")
    assert (message.type, message.role, message.stop_reason) == ("message", "assistant", "end_turn")
    assert [(b.type, getattr(b, "text", None)) for b in message.content] == [
        ("text", f"Fake answer from {sent['model']}.")
    ]
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0
    assert route(raw.headers) == ("none", "none", CLAUDE)
    assert sent["body"]["messages"] == [user("Hello.")]
    assert sent["headers"]["anthropic-version"] == raw.http_request.headers["anthropic-version"]  # the SDK's


def test_messages_stream_gives_the_sdk_its_events_final_message_and_usage(dev_stack: Stack) -> None:
    dev_stack.clear()
    with claude(dev_stack).messages.stream(model=CLAUDE, max_tokens=256, messages=[user("Stream it.")]) as stream:
        events = list(stream)
        final = stream.get_final_message()
        headers = stream.response.headers
    wire = [e.type for e in events if e.type not in ("text", "thinking", "input_json", "signature", "citation")]
    assert wire[0] == "message_start" and wire[-1] == "message_stop", wire
    assert {"content_block_start", "content_block_delta", "content_block_stop", "message_delta"} <= set(wire), wire
    sent = only(dev_stack, "messages")
    streamed = "".join(e.text for e in events if e.type == "text")
    assert streamed == final.content[0].text == f"Fake answer from {sent['model']}."
    assert final.stop_reason == "end_turn"
    assert final.usage.input_tokens > 0 and final.usage.output_tokens > 0
    assert sent["body"]["stream"] is True
    assert route(headers) == ("none", "none", CLAUDE)


def test_messages_tool_use_then_tool_result(dev_stack: Stack) -> None:
    """A request with tools matches dev's tool-calls rule: served by the tools group (openai/), LiteLLM translates
    the conversation to the Responses API and the answer back into tool_use blocks."""
    dev_stack.clear()
    client = claude(dev_stack)
    question = user("What does tests/test_parser.py test?")
    first = client.messages.with_raw_response.create(
        model=CLAUDE, max_tokens=512, tools=[READ_TOOL], messages=[question]
    )
    asked = first.parse()
    assert asked.stop_reason == "tool_use"
    [call] = [b for b in asked.content if b.type == "tool_use"]
    assert (call.name, call.input) == ("Read", {"file_path": "fake"})
    result = {"type": "tool_result", "tool_use_id": call.id, "content": "def test_empty_line(): ..."}
    turn = [question, {"role": "assistant", "content": [b.to_dict() for b in asked.content]}]
    turn.append({"role": "user", "content": [result]})
    second = client.messages.with_raw_response.create(model=CLAUDE, max_tokens=512, tools=[READ_TOOL], messages=turn)
    answered = second.parse()
    assert answered.stop_reason == "end_turn" and answered.content[-1].type == "text"
    tools_group = ROUTING["labels"]["tools"]
    assert route(first.headers) == route(second.headers) == ("tool-calls", "tools", tools_group)
    sent = dev_stack.fake_requests()
    assert [r["kind"] for r in sent] == ["responses", "responses"]
    assert item(sent[1]["body"]["input"], "function_call", call.id)["name"] == "Read"
    assert "def test_empty_line" in json.dumps(item(sent[1]["body"]["input"], "function_call_output", call.id))


def test_thinking_cache_control_and_beta_headers_reach_the_anthropic_provider(dev_stack: Stack) -> None:
    """Two turns with the same cached system prompt: the fake provider caches like Anthropic (the prefix up to the
    last cache_control is written, then read), which it can only do when cache_control reaches it; the second
    turn sends the first answer's thinking back with its signature."""
    dev_stack.clear()
    client = claude(dev_stack)
    system = [{"type": "text", "text": "Stable project instructions.", "cache_control": {"type": "ephemeral"}}]

    def ask(messages: list[Any]) -> Any:
        return client.messages.with_raw_response.create(
            model=CLAUDE,
            max_tokens=4096,
            thinking={"type": "enabled", "budget_tokens": 1024},
            system=system,
            messages=messages,
            extra_headers={"anthropic-beta": "interleaved-thinking-2025-05-14"},
        )

    question = user("Think first, then answer.")
    first_raw = ask([question])
    first = first_raw.parse()
    assert [b.type for b in first.content] == ["thinking", "text"]
    thought = first.content[0].to_dict()
    assert thought["thinking"] and thought["signature"]
    written = first.usage.cache_creation_input_tokens
    assert written and first.usage.cache_read_input_tokens == 0
    answer = {"role": "assistant", "content": [b.to_dict() for b in first.content]}
    second_raw = ask([question, answer, user("And then?")])
    second = second_raw.parse()
    assert (second.usage.cache_creation_input_tokens, second.usage.cache_read_input_tokens) == (0, written)
    assert route(first_raw.headers) == route(second_raw.headers) == ("thinking-requests", "reasoning", CLAUDE)
    sent = dev_stack.fake_requests()
    assert [r["kind"] for r in sent] == ["messages", "messages"]
    assert sent[0]["body"]["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    assert sent[0]["body"]["system"] == system
    assert sent[1]["body"]["messages"][1]["content"][0] == thought
    assert {r["headers"]["anthropic-beta"] for r in sent} == {"interleaved-thinking-2025-05-14"}


def test_provider_errors_reach_the_anthropic_sdk_as_its_exceptions(dev_stack: Stack) -> None:
    """claude-sonnet has one deployment and no fallback: after the router's retries the client gets the error,
    in Anthropic's shape, as the SDK's exception for its status."""
    client = claude(dev_stack)
    cases = [
        ({"status": 429, "retry_after": 1}, anthropic.RateLimitError, "rate_limit_error"),
        ({"status": 500}, anthropic.InternalServerError, "api_error"),
    ]
    for fault, error, kind in cases:
        dev_stack.clear()
        dev_stack.faults({"*": fault})
        try:
            with pytest.raises(error) as raised:
                client.messages.create(model=CLAUDE, max_tokens=64, messages=[user(f"fault {fault}")])
        finally:
            dev_stack.clear()
        assert raised.value.body["type"] == "error", raised.value.body
        assert raised.value.body["error"]["type"] == kind, raised.value.body
    # the faults gone, the group serves at once: nothing was cooled down
    assert client.messages.create(model=CLAUDE, max_tokens=64, messages=[user("back?")]).content


# --- OpenAI Responses (Codex) -------------------------------------------------------------------------------------


def test_responses_create_answers_in_the_responses_shape(dev_stack: Stack) -> None:
    dev_stack.clear()
    raw = codex(dev_stack).responses.with_raw_response.create(model=CODEX, input="Hello.", instructions="Be brief.")
    response = raw.parse()
    sent = only(dev_stack, "responses")
    assert response.status == "completed"
    assert response.output_text == f"Fake answer from {sent['model']}."
    assert response.usage is not None and response.usage.input_tokens > 0 and response.usage.output_tokens > 0
    assert route(raw.headers) == ("none", "none", CODEX)
    assert (sent["body"]["input"], sent["body"]["instructions"]) == ("Hello.", "Be brief.")


def test_responses_stream_gives_the_sdk_its_events(dev_stack: Stack) -> None:
    dev_stack.clear()
    with codex(dev_stack).responses.create(model=CODEX, input="Stream it.", stream=True) as stream:
        events = list(stream)
    types = [e.type for e in events]
    assert types[0] == "response.created" and types[-1] == "response.completed", types
    assert {"response.output_item.added", "response.output_text.delta", "response.output_item.done"} <= set(types)
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    completed = events[-1].response
    sent = only(dev_stack, "responses")
    assert deltas == completed.output_text == f"Fake answer from {sent['model']}."
    assert completed.usage is not None and completed.usage.output_tokens > 0
    assert sent["body"]["stream"] is True


def test_responses_function_call_then_function_call_output(dev_stack: Stack) -> None:
    dev_stack.clear()
    client = codex(dev_stack)
    first = client.responses.with_raw_response.create(model=CODEX, input="Where is order 7?", tools=[LOOKUP])
    [call] = [o for o in first.parse().output if o.type == "function_call"]
    assert call.name == "lookup_order" and json.loads(call.arguments) == {"id": "fake"}
    output = {"type": "function_call_output", "call_id": call.call_id, "output": '{"status": "shipped"}'}
    conversation = [{"role": "user", "content": "Where is order 7?"}, call.to_dict(), output]
    second = client.responses.with_raw_response.create(model=CODEX, input=conversation, tools=[LOOKUP])
    assert second.parse().output_text.startswith("Fake answer from ")
    assert route(first.headers) == route(second.headers) == ("tool-calls", "tools", ROUTING["labels"]["tools"])
    sent = dev_stack.fake_requests()
    assert [r["kind"] for r in sent] == ["responses", "responses"]
    assert item(sent[1]["body"]["input"], "function_call_output", call.call_id) == output


# --- a Claude Code session replayed -------------------------------------------------------------------------------


def long_context_threshold() -> int:
    """min_prompt_tokens of the rule that labels a request long_context (config/routing.yaml)."""
    [threshold] = [r["when"]["min_prompt_tokens"] for r in ROUTING["rules"] if r["label"] == "long_context"]
    return int(threshold)


def session_requests() -> Iterator[dict[str, Any]]:
    """The session's request once per turn, its messages accumulated. The last turn's tool output is a test log of
    8 characters per threshold token: over the threshold whatever the tokenizer (about 4 characters a token)."""
    line = SESSION["long_tool_output_line"]
    log = "\n".join(line.format(n=n) for n in range(8 * long_context_threshold() // len(line) + 1))
    messages: list[dict[str, Any]] = []
    for turn in SESSION["turns"]:
        messages += json.loads(json.dumps(turn).replace("LONG_TOOL_OUTPUT", json.dumps(log)[1:-1]))
        yield {**copy.deepcopy(SESSION["request"]), "messages": copy.deepcopy(messages)}


def sse_events(answer: httpx.Response) -> list[dict[str, Any]]:
    return [json.loads(line.removeprefix("data:")) for line in answer.text.splitlines() if line.startswith("data:")]


def test_a_claude_code_session_replayed(dev_stack: Stack) -> None:
    """Claude Code always offers its tools, so dev's tool-calls rule moves each turn to the tools group, until the
    session crosses the context threshold and long-prompts moves it to long-context; both are openai/ groups, so
    LiteLLM carries the conversation (tool calls, tool results, thinking) over to the Responses API."""
    dev_stack.clear()
    headers = {**SESSION["headers"], "authorization": f"Bearer {dev_stack.key}"}  # ANTHROPIC_AUTH_TOKEN
    answers: list[tuple[Mapping[str, str], list[dict[str, Any]]]] = []
    with httpx.Client(base_url=dev_stack.url, headers=headers, timeout=120) as http:
        for body in session_requests():
            answer = http.post("/v1/messages", json=body)
            assert answer.status_code == 200, answer.text[:800]
            assert answer.headers["content-type"].startswith("text/event-stream")
            answers.append((answer.headers, sse_events(answer)))
    sent = dev_stack.fake_requests()
    assert [r["kind"] for r in sent] == ["responses"] * len(SESSION["turns"])
    expected = [("tool-calls", "tools"), ("tool-calls", "tools"), ("long-prompts", "long_context")]
    assert [route(h) for h, _ in answers] == [(rule, label, ROUTING["labels"][label]) for rule, label in expected]
    assert {h["x-route-requested-model"] for h, _ in answers} == {CLAUDE}
    for (_, events), request in zip(answers, sent, strict=True):
        assert events[0]["type"] == "message_start" and events[-1]["type"] == "message_stop"
        body = request["body"]
        assert [t["name"] for t in body["tools"]] == ["Read", "Bash", "Edit"]
        assert body["user"] == SESSION["request"]["metadata"]["user_id"][:64]
    # turn 1 has no tool result yet: the model calls a tool, streamed to the client as a tool_use block
    started = [e["content_block"] for e in answers[0][1] if e["type"] == "content_block_start"]
    assert started[-1]["type"] == "tool_use" and started[-1]["name"] == "Read"
    # turns 2 and 3 carry Claude Code's tool calls and their results under their tool_use ids
    assert item(sent[1]["body"]["input"], "function_call", "toolu_01ReadParserTest")["name"] == "Read"
    assert "test_empty_line" in json.dumps(
        item(sent[1]["body"]["input"], "function_call_output", "toolu_01ReadParserTest")
    )
    assert "parser.py:42 split_lines" in json.dumps(
        item(sent[2]["body"]["input"], "function_call_output", "toolu_02RunPytest")
    )
    # and the earlier thinking, as reasoning items (its text; Anthropic's signature has no meaning elsewhere)
    thought = SESSION["turns"][1][0]["content"][0]["thinking"]
    reasoning = [i for i in sent[1]["body"]["input"] if i.get("type") == "reasoning"]
    assert [s["text"] for i in reasoning for s in i["summary"]] == [thought]
