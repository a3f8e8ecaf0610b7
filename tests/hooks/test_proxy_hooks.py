from __future__ import annotations

import asyncio
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import HTTPException
from prometheus_client import REGISTRY

from gateway_hooks import rights
from gateway_hooks.proxy import ROUTE_KEY, GatewayHooks

from .conftest import transform

TOOLS = [{"type": "function", "function": {"name": "f"}}]


class Request:
    """Stands for the proxy's per-request object (data["litellm_logging_obj"])."""


def run(hooks: GatewayHooks, data: dict[str, Any], call_type: str = "acompletion", key: Any = None) -> dict[str, Any]:
    data.setdefault("litellm_logging_obj", Request())
    return asyncio.run(hooks.async_pre_call_hook(key, None, data, call_type))


def headers(hooks: GatewayHooks, data: Any) -> dict[str, str] | None:
    return asyncio.run(hooks.async_post_call_response_headers_hook(data, None, None))


async def deny(model: str, key: Any) -> bool:
    return False


def test_reroute_sets_model_and_headers(dev_config: dict[str, Any]) -> None:
    hooks = GatewayHooks(dev_config)
    data = run(hooks, {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}], "tools": TOOLS})
    assert data["model"] == "gpt-4o"
    assert headers(hooks, data) == {
        "x-route-label": "tools",
        "x-route-rule": "tool-calls",
        "x-route-requested-model": "gpt-4o-mini",
    }
    assert ROUTE_KEY not in (data.get("metadata") or {})  # nothing of the decision goes upstream


@pytest.mark.parametrize(
    ("call_type", "data"),
    [
        (
            "anthropic_messages",
            {
                "model": "claude-sonnet",
                "max_tokens": 99999,
                "messages": [{"role": "user", "content": "hi"}],
                "tools": [{"name": "f", "input_schema": {"type": "object"}}],
            },
        ),
        (
            "aresponses",
            {
                "model": "claude-sonnet",
                "max_output_tokens": 99999,
                "input": "hi",
                "tools": [{"type": "function", "name": "f", "parameters": {}}],
            },
        ),
    ],
)
def test_agent_apis_are_transformed_and_routed(
    dev_config: dict[str, Any], call_type: str, data: dict[str, Any]
) -> None:
    hooks = GatewayHooks(dev_config)
    data = run(hooks, data, call_type)
    assert data["model"] == "gpt-4o"
    assert data.get("max_tokens", data.get("max_output_tokens")) == 4096
    assert "You are a helpful assistant" in str(data.get("system", data.get("instructions")))
    assert headers(hooks, data) == {
        "x-route-label": "tools",
        "x-route-rule": "tool-calls",
        "x-route-requested-model": "claude-sonnet",
    }


def test_other_calls_are_transformed_never_routed(dev_config: dict[str, Any]) -> None:
    hooks = GatewayHooks(dev_config)
    data = run(hooks, {"model": "text-embedding", "input": "lorem ipsum " * 5000}, call_type="aembedding")
    assert data["model"] == "text-embedding" and headers(hooks, data) is None
    gemini = run(hooks, {"model": "gpt-4o", "generationConfig": {"maxOutputTokens": 99999}}, "agenerate_content")
    assert gemini["generationConfig"]["maxOutputTokens"] == 4096 and headers(hooks, gemini) is None


@pytest.mark.parametrize("call_type", ["aembedding", "aresponses", "anthropic_messages", "acompletion"])
@pytest.mark.parametrize("bucket", ["metadata", "litellm_metadata"])
def test_client_route_metadata_is_never_echoed(dev_config: dict[str, Any], call_type: str, bucket: str) -> None:
    hooks = GatewayHooks(dev_config)
    forged = {"label": "x\r\ninjected: 1", "rule": "forged", "requested": "gpt-4o"}
    data = run(
        hooks, {"model": "gpt-4o", "messages": [], "input": "hi", bucket: {ROUTE_KEY: forged, "team": "a"}}, call_type
    )
    assert data[bucket] == {"team": "a"}
    assert "forged" not in str(headers(hooks, data))
    # the headers hook reads nothing of the request body, whatever reaches it
    assert headers(hooks, {bucket: {ROUTE_KEY: forged}, "litellm_logging_obj": Request()}) is None
    assert headers(hooks, {bucket: {ROUTE_KEY: {}}}) is None


@pytest.mark.parametrize(
    "data", [{}, {"metadata": None}, None, [], {"litellm_logging_obj": {}}, {"litellm_logging_obj": object()}]
)
def test_headers_hook_never_raises(dev_config: dict[str, Any], data: Any) -> None:
    assert headers(GatewayHooks(dev_config), data) is None


def test_reroute_across_modes_is_refused(dev_config: dict[str, Any]) -> None:
    dev_config["routing"]["labels"]["tools"] = "text-embedding"
    hooks = GatewayHooks(dev_config)
    data = run(hooks, {"model": "gpt-4o", "messages": [], "tools": TOOLS})
    assert data["model"] == "gpt-4o"
    assert (headers(hooks, data) or {}).get("x-route-skipped") == "mode"


def test_rule_outside_the_keys_rights_is_skipped_and_counted(dev_config: dict[str, Any]) -> None:
    hooks = GatewayHooks(dev_config, may_use=deny)
    sample = {"rule": "tool-calls", "reason": "rights"}
    before = REGISTRY.get_sample_value("gateway_route_skipped_total", sample) or 0
    data = run(hooks, {"model": "gpt-4o-mini", "messages": [], "tools": TOOLS}, key=object())
    assert data["model"] == "gpt-4o-mini"
    assert headers(hooks, data) == {
        "x-route-label": "tools",
        "x-route-rule": "tool-calls",
        "x-route-requested-model": "gpt-4o-mini",
        "x-route-skipped": "rights",
    }
    assert REGISTRY.get_sample_value("gateway_route_skipped_total", sample) == before + 1


def test_rights_are_asked_only_for_a_reroute(dev_config: dict[str, Any]) -> None:
    asked: list[str] = []

    async def record(model: str, key: Any) -> bool:
        asked.append(model)
        return True

    hooks = GatewayHooks(dev_config, may_use=record)
    run(hooks, {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]})
    run(hooks, {"model": "gpt-4o", "messages": [], "tools": TOOLS})  # tools -> gpt-4o: already there
    assert asked == []
    run(hooks, {"model": "gpt-4o-mini", "messages": [], "tools": TOOLS})
    assert asked == ["gpt-4o"]


def test_transforms_then_routing(dev_config: dict[str, Any]) -> None:
    data = run(
        GatewayHooks(dev_config),
        {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 99999},
    )
    assert data["max_tokens"] == 4096 and data["temperature"] == 0.2
    assert data["messages"][0]["role"] == "system"


def test_fail_closed_transform_is_a_500_naming_it(dev_config: dict[str, Any]) -> None:
    module = types.ModuleType("strict_tx")
    module.run = lambda data, params: 1 / 0  # type: ignore[attr-defined]
    sys.modules["strict_tx"] = module
    dev_config["transforms"]["pipeline"].append(
        transform({"name": "strict", "type": "custom", "path": "strict_tx.run", "on_error": "fail_closed"})
    )
    with pytest.raises(HTTPException) as info:
        run(GatewayHooks(dev_config), {"model": "gpt-4o", "messages": []})
    assert info.value.status_code == 500 and info.value.detail["transform"] == "strict"


def test_routing_error_never_loses_the_request(dev_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    hooks = GatewayHooks(dev_config)
    monkeypatch.setattr(hooks.router, "decide", lambda data, api: 1 / 0)
    data = run(hooks, {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]})
    assert data["model"] == "gpt-4o" and headers(hooks, data) is None


# the key's rights, decided by LiteLLM's own checks on real UserAPIKeyAuth objects (no database: the
# team is read from the key, as LiteLLM does when the team cannot be looked up)


@pytest.fixture
def proxy_without_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """LiteLLM's proxy module as a proxy without a database and a router sees it."""
    if "litellm.proxy.proxy_server" not in sys.modules:
        stub = types.ModuleType("litellm.proxy.proxy_server")
        for name in ("llm_router", "prisma_client", "proxy_logging_obj", "user_api_key_cache"):
            setattr(stub, name, None)
        monkeypatch.setitem(sys.modules, "litellm.proxy.proxy_server", stub)
    yield


def key(**fields: Any) -> Any:
    from litellm.proxy._types import UserAPIKeyAuth

    return UserAPIKeyAuth(api_key="hashed-key", **fields)


@pytest.mark.parametrize(
    ("fields", "served"),
    [
        ({}, "gpt-4o"),
        ({"models": ["gpt-4o-mini"]}, "gpt-4o-mini"),
        ({"models": ["gpt-4o-mini", "gpt-4o"]}, "gpt-4o"),
        ({"models": ["gpt-4o*"]}, "gpt-4o"),
        ({"models": ["all-proxy-models"]}, "gpt-4o"),
        ({"team_id": "t", "team_models": ["gpt-4o-mini"]}, "gpt-4o-mini"),
        ({"team_id": "t", "team_models": ["gpt-4o-mini", "gpt-4o"]}, "gpt-4o"),
        ({"team_id": "t", "models": ["all-team-models"], "team_models": ["gpt-4o-mini"]}, "gpt-4o-mini"),
        ({"team_id": "t", "models": ["all-team-models"], "team_models": ["gpt-4o-mini", "gpt-4o"]}, "gpt-4o"),
        ({"team_id": "t", "models": ["gpt-4o-mini"], "team_models": []}, "gpt-4o-mini"),
        ({"aliases": {"gpt-4o": "gpt-4o-mini"}}, "gpt-4o-mini"),
    ],
)
def test_rules_stay_inside_the_keys_rights(
    dev_config: dict[str, Any], proxy_without_database: None, fields: dict[str, Any], served: str
) -> None:
    hooks = GatewayHooks(dev_config)
    data = run(hooks, {"model": "gpt-4o-mini", "messages": [], "tools": TOOLS}, key=key(**fields))
    assert data["model"] == served
    assert (headers(hooks, data) or {}).get("x-route-skipped") == (None if served == "gpt-4o" else "rights")


def test_a_failing_rights_lookup_keeps_the_requested_group(monkeypatch: pytest.MonkeyPatch) -> None:
    from litellm.proxy.auth import fallback_model_access

    async def broken(**kwargs: Any) -> bool:
        raise RuntimeError("database down")

    monkeypatch.setattr(fallback_model_access, "is_model_authorized_for_token", broken)
    assert asyncio.run(rights.may_use("gpt-4o", key())) is False
    assert asyncio.run(rights.may_use("gpt-4o", None)) is True  # outside the proxy nothing restricts
