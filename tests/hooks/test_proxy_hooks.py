from __future__ import annotations

import asyncio
import sys
import types
from typing import Any

import pytest
from fastapi import HTTPException

from gateway_hooks.proxy import ROUTE_KEY, GatewayHooks

from .conftest import transform


def run(hooks: GatewayHooks, data: dict[str, Any], call_type: str = "acompletion") -> dict[str, Any]:
    return asyncio.run(hooks.async_pre_call_hook(None, None, data, call_type))


def test_reroute_sets_model_and_headers(dev_config: dict[str, Any]) -> None:
    hooks = GatewayHooks(dev_config)
    data = run(
        hooks,
        {
            "model": "gpt-4o-mini",
            "messages": [{"role": "user", "content": "x"}],
            "tools": [{"type": "function", "function": {"name": "f"}}],
        },
    )
    assert data["model"] == "gpt-4o"
    assert data["metadata"][ROUTE_KEY] == {
        "label": "tools",
        "rule": "tool-calls",
        "requested": "gpt-4o-mini",
        "target": "gpt-4o",
    }
    headers = asyncio.run(hooks.async_post_call_response_headers_hook(data, None, None))
    assert headers == {"x-route-label": "tools", "x-route-rule": "tool-calls", "x-route-requested-model": "gpt-4o-mini"}


def test_embeddings_are_never_rerouted(dev_config: dict[str, Any]) -> None:
    data = run(
        GatewayHooks(dev_config), {"model": "text-embedding", "input": "lorem ipsum " * 5000}, call_type="aembedding"
    )
    assert data["model"] == "text-embedding" and ROUTE_KEY not in (data.get("metadata") or {})


def test_reroute_across_modes_is_refused(dev_config: dict[str, Any]) -> None:
    dev_config["routing"]["labels"]["tools"] = "text-embedding"
    data = run(
        GatewayHooks(dev_config),
        {"model": "gpt-4o", "messages": [], "tools": [{"type": "function", "function": {"name": "f"}}]},
    )
    assert data["model"] == "gpt-4o"


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
    monkeypatch.setattr(hooks.router, "decide", lambda data: 1 / 0)
    data = run(hooks, {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]})
    assert data["model"] == "gpt-4o"


def test_headers_hook_without_decision(dev_config: dict[str, Any]) -> None:
    hooks = GatewayHooks(dev_config)
    assert asyncio.run(hooks.async_post_call_response_headers_hook({}, None, None)) is None
    assert asyncio.run(hooks.async_post_call_response_headers_hook({"metadata": None}, None, None)) is None
