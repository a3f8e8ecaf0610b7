from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from gateway_hooks import transforms
from gateway_hooks.transforms import Pipeline, TransformFailed

from .conftest import transform


def spec(*steps: dict[str, Any], slow_ms: float = 1000) -> dict[str, Any]:
    return {"slow_threshold_ms": slow_ms, "pipeline": [transform(step) for step in steps]}


def test_system_prompt_modes() -> None:
    base = {"messages": [{"role": "system", "content": "old"}, {"role": "user", "content": "hi"}]}
    data = {"messages": [dict(m) for m in base["messages"]]}
    transforms.system_prompt(data, {"text": "new", "mode": "replace"})
    assert [m["content"] for m in data["messages"]] == ["new", "hi"]
    data = {"messages": [dict(m) for m in base["messages"]]}
    transforms.system_prompt(data, {"text": "new", "mode": "inject_if_missing"})
    assert [m["content"] for m in data["messages"]] == ["old", "hi"]
    data = {"messages": [{"role": "user", "content": "hi"}]}
    transforms.system_prompt(data, {"text": "new", "mode": "inject_if_missing"})
    assert data["messages"][0] == {"role": "system", "content": "new"}
    data = {"messages": [dict(m) for m in base["messages"]]}
    transforms.system_prompt(data, {"text": "new", "mode": "prepend"})
    assert [m["content"] for m in data["messages"]] == ["new", "old", "hi"]
    embedding = {"input": "x"}
    transforms.system_prompt(embedding, {"text": "new"})
    assert embedding == {"input": "x"}


def test_clamp_max_tokens() -> None:
    data = {"max_tokens": 10000, "max_completion_tokens": 50}
    transforms.clamp_max_tokens(data, {"max": 4096})
    assert data == {"max_tokens": 4096, "max_completion_tokens": 50}


def test_drop_params_only_for_listed_models() -> None:
    data = {"model": "claude-sonnet", "logit_bias": {"1": 2}, "seed": 1}
    transforms.drop_params(data, {"params": ["logit_bias"], "models": ["claude-*"]})
    assert data == {"model": "claude-sonnet", "seed": 1}
    other = {"model": "gpt-4o", "logit_bias": {"1": 2}}
    transforms.drop_params(other, {"params": ["logit_bias"], "models": ["claude-*"]})
    assert "logit_bias" in other


def test_default_temperature_keeps_client_value() -> None:
    data = {"messages": [], "temperature": 0.9}
    transforms.default_temperature(data, {"value": 0.2})
    assert data["temperature"] == 0.9
    data = {"messages": []}
    transforms.default_temperature(data, {"value": 0.2})
    assert data["temperature"] == 0.2


def _install(name: str, fn: Any) -> str:
    module = types.ModuleType(name)
    module.run = fn  # type: ignore[attr-defined]
    sys.modules[name] = module
    return f"{name}.run"


def test_custom_transform_by_dotted_path() -> None:
    path = _install("custom_tag", lambda data, params: {**data, "user": params["user"]})
    data, failed = Pipeline(spec({"name": "tag", "type": "custom", "path": path, "params": {"user": "team-a"}})).apply(
        {"model": "m"}
    )
    assert data["user"] == "team-a" and failed == []


def test_fail_open_rolls_back_and_continues() -> None:
    def half_then_fail(data: dict[str, Any], params: dict[str, Any]) -> None:
        data["messages"][0]["content"] = "mangled"
        raise ValueError("boom")

    path = _install("custom_fail_open", half_then_fail)
    pipeline = Pipeline(
        spec(
            {"name": "broken", "type": "custom", "path": path, "on_error": "fail_open"},
            {"name": "clamp", "type": "clamp_max_tokens", "params": {"max": 5}},
        )
    )
    data, failed = pipeline.apply({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 50})
    assert failed == ["broken"]
    assert data["messages"][0]["content"] == "hi"
    assert data["max_tokens"] == 5


def test_fail_closed_raises_with_transform_name() -> None:
    path = _install("custom_fail_closed", lambda data, params: 1 / 0)
    pipeline = Pipeline(spec({"name": "strict", "type": "custom", "path": path, "on_error": "fail_closed"}))
    with pytest.raises(TransformFailed, match="request transform 'strict' failed"):
        pipeline.apply({"messages": []})


def test_unloadable_custom_transform_follows_its_policy() -> None:
    pipeline = Pipeline(
        spec({"name": "missing", "type": "custom", "path": "no_such_module.fn", "on_error": "fail_open"})
    )
    data, failed = pipeline.apply({"model": "m"})
    assert failed == ["missing"] and data == {"model": "m"}


def test_slow_transform_is_counted() -> None:
    import time

    from prometheus_client import REGISTRY

    path = _install("custom_slow", lambda data, params: time.sleep(0.01))
    before = REGISTRY.get_sample_value("gateway_transform_slow_total", {"transform": "sleepy"}) or 0
    Pipeline(spec({"name": "sleepy", "type": "custom", "path": path}, slow_ms=1)).apply({})
    assert REGISTRY.get_sample_value("gateway_transform_slow_total", {"transform": "sleepy"}) == before + 1


# the coding agents' APIs: Anthropic Messages (`system`) and OpenAI Responses (`instructions`)


@pytest.mark.parametrize(
    ("system", "mode", "expected"),
    [
        (None, "prepend", "new"),
        (None, "inject_if_missing", "new"),
        ("", "inject_if_missing", "new"),
        ("old", "inject_if_missing", "old"),
        ("old", "replace", "new"),
        ("old", "prepend", "new\n\nold"),
        ([{"type": "text", "text": "old"}], "inject_if_missing", [{"type": "text", "text": "old"}]),
        ([{"type": "text", "text": "old"}], "replace", "new"),
        (
            [{"type": "text", "text": "old", "cache_control": {"type": "ephemeral"}}],
            "prepend",
            [{"type": "text", "text": "new"}, {"type": "text", "text": "old", "cache_control": {"type": "ephemeral"}}],
        ),
    ],
)
def test_system_prompt_on_anthropic_messages(system: Any, mode: str, expected: Any) -> None:
    data: dict[str, Any] = {"messages": [{"role": "user", "content": "hi"}]}
    if system is not None:
        data["system"] = system
    transforms.system_prompt(data, {"text": "new", "mode": mode}, "messages")
    assert data["system"] == expected
    assert data["messages"] == [{"role": "user", "content": "hi"}]  # no system role inside Anthropic messages


@pytest.mark.parametrize(
    ("instructions", "items", "mode", "expected", "left"),
    [
        (None, [], "prepend", "new", 0),
        (None, [], "inject_if_missing", "new", 0),
        ("old", [], "inject_if_missing", "old", 0),
        (None, [{"role": "developer", "content": "dev"}], "inject_if_missing", None, 1),
        ("old", [{"role": "developer", "content": "dev"}], "replace", "new", 0),
        ("old", [], "prepend", "new\n\nold", 0),
        (
            [{"role": "developer", "content": "old"}],
            [],
            "prepend",
            [{"role": "developer", "content": "new"}, {"role": "developer", "content": "old"}],
            0,
        ),
    ],
)
def test_system_prompt_on_responses(instructions: Any, items: list[Any], mode: str, expected: Any, left: int) -> None:
    data: dict[str, Any] = {"input": [*items, {"role": "user", "content": "hi"}]}
    if instructions is not None:
        data["instructions"] = instructions
    transforms.system_prompt(data, {"text": "new", "mode": mode}, "responses")
    assert data.get("instructions") == expected
    assert len(data["input"]) == left + 1 and data["input"][-1] == {"role": "user", "content": "hi"}


def test_system_prompt_leaves_other_calls_alone() -> None:
    data = {"messages": [{"role": "user", "content": "hi"}], "input": "x"}
    transforms.system_prompt(data, {"text": "new", "mode": "prepend"}, None)
    assert data == {"messages": [{"role": "user", "content": "hi"}], "input": "x"}


def test_clamp_every_output_limit() -> None:
    data = {
        "max_tokens": 10000,
        "max_completion_tokens": 9000,
        "max_output_tokens": 8000,
        "generationConfig": {"maxOutputTokens": 7000, "temperature": 0.1},
        "generation_config": {"max_output_tokens": 6000},
    }
    transforms.clamp_max_tokens(data, {"max": 4096})
    assert data == {
        "max_tokens": 4096,
        "max_completion_tokens": 4096,
        "max_output_tokens": 4096,
        "generationConfig": {"maxOutputTokens": 4096, "temperature": 0.1},
        "generation_config": {"max_output_tokens": 4096},
    }
    odd = {"max_tokens": True, "max_output_tokens": "lots", "generationConfig": "x"}
    transforms.clamp_max_tokens(odd, {"max": 1})
    assert odd == {"max_tokens": True, "max_output_tokens": "lots", "generationConfig": "x"}


def test_clamp_keeps_a_thinking_budget_below_max_tokens() -> None:
    # Anthropic refuses budget_tokens >= max_tokens: a clamped max_tokens takes the budget along
    data = {"max_tokens": 32000, "thinking": {"type": "enabled", "budget_tokens": 31999}}
    transforms.clamp_max_tokens(data, {"max": 4096}, "messages")
    assert data == {"max_tokens": 4096, "thinking": {"type": "enabled", "budget_tokens": 4095}}
    fits = {"max_tokens": 32000, "thinking": {"type": "enabled", "budget_tokens": 2048}}
    transforms.clamp_max_tokens(fits, {"max": 4096}, "messages")
    assert fits["thinking"]["budget_tokens"] == 2048
    unclamped = {"max_tokens": 2000, "thinking": {"type": "enabled", "budget_tokens": 3000}}
    transforms.clamp_max_tokens(unclamped, {"max": 4096}, "messages")
    assert unclamped["thinking"]["budget_tokens"] == 3000  # the client's own mistake is the provider's to answer


@pytest.mark.parametrize(
    ("api", "data", "expected"),
    [
        ("messages", {"messages": []}, 0.2),
        ("responses", {"input": "x", "messages": []}, None),
        (None, {"messages": []}, None),
        ("chat", {"messages": [], "reasoning_effort": "high"}, None),
        ("messages", {"messages": [], "thinking": {"type": "enabled", "budget_tokens": 1024}}, None),
    ],
)
def test_default_temperature_only_where_it_is_safe(api: str | None, data: dict[str, Any], expected: Any) -> None:
    transforms.default_temperature(data, {"value": 0.2}, api)
    assert data.get("temperature") == expected


def test_pipeline_tells_builtins_the_api_and_customs_keep_two_arguments() -> None:
    path = _install("custom_two_args", lambda data, params: {**data, "seen": sorted(data)})
    pipeline = Pipeline(
        spec(
            {"name": "house", "type": "system_prompt", "params": {"text": "house", "mode": "inject_if_missing"}},
            {"name": "tag", "type": "custom", "path": path},
        )
    )
    data, failed = pipeline.apply({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}, "messages")
    assert failed == [] and data["system"] == "house" and data["seen"] == ["max_tokens", "messages", "system"]
