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
