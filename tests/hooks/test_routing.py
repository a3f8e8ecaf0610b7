from __future__ import annotations

import copy
from typing import Any

import pytest

from gateway_hooks import routing
from gateway_hooks.routing import Router


def chat(content: Any = "hi", **extra: Any) -> dict[str, Any]:
    return {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}], **extra}


TOOLS = [{"type": "function", "function": {"name": "lookup_order", "parameters": {"type": "object"}}}]


def test_no_rule_matches_keeps_requested_group(dev_config: dict[str, Any]) -> None:
    decision = Router(dev_config["routing"]).decide(chat())
    assert (decision.rule, decision.label, decision.target, decision.rerouted) == ("none", None, "gpt-4o-mini", False)


def test_long_prompt_goes_to_long_context(dev_config: dict[str, Any]) -> None:
    decision = Router(dev_config["routing"]).decide(chat("lorem ipsum dolor sit amet " * 2000))
    assert (decision.rule, decision.label, decision.target) == ("long-prompts", "long_context", "long-context")


def test_many_characters_but_few_tokens_stays(dev_config: dict[str, Any]) -> None:
    # 7000 characters of one repeated letter are far fewer than 6000 tokens: the tokenizer decides
    decision = Router(dev_config["routing"]).decide(chat("a" * 7000))
    assert decision.rule == "none"


def test_short_prompt_never_calls_the_tokenizer(dev_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: Any, **kwargs: Any) -> int:
        raise AssertionError("tokenizer called for a short prompt")

    monkeypatch.setattr(routing, "count_prompt_tokens", boom)
    assert Router(dev_config["routing"]).decide(chat("short")).rule == "none"


def test_tools_request_goes_to_tools_group(dev_config: dict[str, Any]) -> None:
    decision = Router(dev_config["routing"]).decide(chat(tools=TOOLS))
    assert (decision.rule, decision.label, decision.target) == ("tool-calls", "tools", "gpt-4o")


@pytest.mark.parametrize(
    "extra", [{"reasoning_effort": "high"}, {"thinking": {"type": "enabled", "budget_tokens": 1024}}]
)
def test_reasoning_parameters_go_to_reasoning_group(dev_config: dict[str, Any], extra: dict[str, Any]) -> None:
    assert Router(dev_config["routing"]).decide(chat(**extra)).target == "claude-sonnet"


def test_reasoning_effort_none_is_not_reasoning(dev_config: dict[str, Any]) -> None:
    assert Router(dev_config["routing"]).decide(chat(reasoning_effort="none")).rule == "none"


def test_header_rule(dev_config: dict[str, Any]) -> None:
    data = chat(proxy_server_request={"headers": {"X-Gateway-Tier": "batch"}})
    data["model"] = "gpt-4o"
    decision = Router(dev_config["routing"]).decide(data)
    assert (decision.rule, decision.target) == ("batch-header", "gpt-4o-mini")


def test_first_match_wins(dev_config: dict[str, Any]) -> None:
    # long AND tools: long-prompts is listed first
    decision = Router(dev_config["routing"]).decide(chat("lorem ipsum dolor sit amet " * 2000, tools=TOOLS))
    assert decision.rule == "long-prompts"


def _config(rules: list[dict[str, Any]], labels: dict[str, str], default: str | None = None) -> dict[str, Any]:
    groups = {"a": {"mode": "chat"}, "b": {"mode": "chat"}, "c": {"mode": "chat"}}
    return {"labels": labels, "rules": rules, "default_label": default, "model_groups": groups}


def test_model_tool_name_and_metadata_conditions() -> None:
    router = Router(
        _config(
            [
                {"name": "by-model", "when": {"models": ["a*"], "tool_name": "search"}, "label": "x"},
                {"name": "by-meta", "when": {"metadata": {"team": "ml"}}, "label": "y"},
            ],
            {"x": "b", "y": "c"},
        )
    )
    search = [{"type": "function", "function": {"name": "search"}}]
    assert router.decide({"model": "a", "messages": [], "tools": search}).rule == "by-model"
    assert router.decide({"model": "b", "messages": [], "tools": search}).rule == "none"
    assert router.decide({"model": "a", "messages": [], "metadata": {"team": "ml"}}).target == "c"


def test_unknown_or_unmapped_label_falls_back_to_default() -> None:
    router = Router(
        _config([{"name": "r", "when": {"has_tools": True}, "label": "ghost"}], {"dflt": "c"}, default="dflt")
    )
    decision = router.decide({"model": "a", "messages": [], "tools": TOOLS})
    assert (decision.rule, decision.label, decision.target) == ("r", "dflt", "c")
    router = Router(_config([{"name": "r", "when": {"has_tools": True}, "label": "ghost"}], {}))
    assert router.decide({"model": "a", "messages": [], "tools": TOOLS}).target == "a"


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"model": None},
        {"model": "gpt-4o", "messages": None},
        {"model": "gpt-4o", "messages": []},
        {"model": "gpt-4o", "messages": [None, 3, "x"]},
        {"model": "gpt-4o", "messages": [{"role": "user", "content": None}]},
        {
            "model": "gpt-4o",
            "messages": [
                {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}
            ],
        },
        {"model": "gpt-4o", "tools": "not-a-list", "thinking": "yes"},
        {"model": "text-embedding", "input": ["a", 1, None]},
    ],
)
def test_odd_requests_do_not_crash(dev_config: dict[str, Any], data: dict[str, Any]) -> None:
    before = copy.deepcopy(data)
    Router(dev_config["routing"]).decide(data)
    assert data == before


# the coding agents' APIs: Anthropic Messages (/v1/messages) and OpenAI Responses (/v1/responses)

LONG = "lorem ipsum dolor sit amet " * 2000


def anthropic(content: Any = "hi", **extra: Any) -> dict[str, Any]:
    return {"model": "claude-sonnet", "max_tokens": 1024, "messages": [{"role": "user", "content": content}], **extra}


def responses(input: Any = "hi", **extra: Any) -> dict[str, Any]:
    return {"model": "gpt-4o-mini", "input": input, **extra}


ANTHROPIC_TOOLS = [{"name": "lookup_order", "description": "find an order", "input_schema": {"type": "object"}}]
RESPONSES_TOOLS = [{"type": "function", "name": "lookup_order", "parameters": {"type": "object"}}]


@pytest.mark.parametrize(
    ("api", "data"),
    [
        ("messages", anthropic(tools=ANTHROPIC_TOOLS)),
        ("responses", responses(tools=RESPONSES_TOOLS)),
    ],
)
def test_agent_tools_go_to_tools_group(dev_config: dict[str, Any], api: str, data: dict[str, Any]) -> None:
    decision = Router(dev_config["routing"]).decide(data, api)
    assert (decision.rule, decision.target) == ("tool-calls", "gpt-4o")


@pytest.mark.parametrize(
    ("api", "data"),
    [
        ("messages", anthropic(tools=ANTHROPIC_TOOLS)),
        ("responses", responses(tools=RESPONSES_TOOLS)),
        ("responses", responses(tools=[{"type": "custom", "name": "lookup_order"}])),
    ],
)
def test_agent_tool_names(api: str, data: dict[str, Any]) -> None:
    router = Router(_config([{"name": "orders", "when": {"tool_name": "lookup_order"}, "label": "x"}], {"x": "b"}))
    assert router.decide(data, api).rule == "orders"
    data["tools"] = [{"type": "web_search"}]
    assert router.decide(data, api).rule == "none"


@pytest.mark.parametrize(
    ("api", "data", "reasons"),
    [
        ("messages", anthropic(thinking={"type": "enabled", "budget_tokens": 2048}), True),
        ("messages", anthropic(thinking={"type": "disabled"}), False),
        ("responses", responses(reasoning={"effort": "high"}), True),
        ("responses", responses(reasoning={"summary": "auto"}), True),
        ("responses", responses(reasoning={"effort": "minimal"}), False),
        ("responses", responses(reasoning={"effort": "none"}), False),
        ("responses", responses(reasoning=None), False),
    ],
)
def test_agent_thinking_and_reasoning(
    dev_config: dict[str, Any], api: str, data: dict[str, Any], reasons: bool
) -> None:
    decision = Router(dev_config["routing"]).decide(data, api)
    assert (decision.rule == "thinking-requests") is reasons
    if reasons:
        assert decision.target == "claude-sonnet"


@pytest.mark.parametrize(
    ("api", "data"),
    [
        ("messages", anthropic(LONG)),
        ("messages", anthropic([{"type": "text", "text": LONG}])),
        ("messages", anthropic("short", system=[{"type": "text", "text": LONG}])),
        (
            "messages",
            anthropic(
                [{"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": LONG}]}],
                tools=ANTHROPIC_TOOLS,
            ),
        ),
        ("responses", responses(LONG)),
        ("responses", responses([{"role": "user", "content": [{"type": "input_text", "text": LONG}]}])),
        ("responses", responses("short", instructions=LONG)),
        ("responses", responses([{"type": "function_call_output", "call_id": "c1", "output": LONG}])),
    ],
)
def test_long_agent_sessions_go_to_long_context(dev_config: dict[str, Any], api: str, data: dict[str, Any]) -> None:
    decision = Router(dev_config["routing"]).decide(data, api)
    assert (decision.rule, decision.target) == ("long-prompts", "long-context")


def test_agent_prompts_are_counted_as_text(monkeypatch: pytest.MonkeyPatch) -> None:
    # Anthropic blocks are not chat messages: the tokenizer gets their texts
    import litellm

    seen: list[dict[str, Any]] = []

    def counter(**kwargs: Any) -> int:
        seen.append(kwargs)
        return 10

    monkeypatch.setattr(litellm, "token_counter", counter)
    data = anthropic([{"type": "text", "text": "abc"}], system="sys")
    assert routing.count_prompt_tokens(data, "claude-sonnet", "messages") == 10
    assert "messages" not in seen[0] and "abc" in seen[0]["text"] and "sys" in seen[0]["text"]
    routing.count_prompt_tokens(chat("abc"), "gpt-4o", "chat")
    assert seen[1]["messages"] == [{"role": "user", "content": "abc"}]


def test_header_and_metadata_rules_on_agent_apis(dev_config: dict[str, Any]) -> None:
    router = Router(dev_config["routing"])
    headers = {"proxy_server_request": {"headers": {"x-gateway-tier": "batch"}}}
    data = anthropic(**headers)
    data["model"] = "gpt-4o"
    assert router.decide(data, "messages").rule == "batch-header"
    meta = Router(_config([{"name": "m", "when": {"metadata": {"team": "ml"}}, "label": "x"}], {"x": "b"}))
    assert meta.decide(responses(metadata={"team": "ml"}), "responses").target == "b"


def test_apis_condition() -> None:
    router = Router(
        _config([{"name": "agents", "when": {"apis": ["messages", "responses"]}, "label": "x"}], {"x": "b"})
    )
    assert router.decide(anthropic(), "messages").rule == "agents"
    assert router.decide(responses(), "responses").rule == "agents"
    assert router.decide(chat(), "chat").rule == "none"
    assert router.decide(chat()).rule == "none"  # chat is the default
