"""Routing rules stay inside the rights of the key behind a request: real virtual keys, teams and users
on real PostgreSQL, the dev routing rules (tools -> gpt-4o) in the real proxy. A rule whose group the
key, its team or its user may not use is skipped: the requested group serves, `x-route-skipped: rights`
says why and gateway_route_skipped_total counts it."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest

from litellm_bundle.core.facts import METRICS_PATH
from litellm_bundle.runtime import metrics
from tests.integration.conftest import Stack

pytestmark = pytest.mark.proxy

TOOLS = [{"type": "function", "function": {"name": "lookup_order", "parameters": {"type": "object"}}}]


def admin(stack: Stack, path: str, body: dict[str, Any]) -> dict[str, Any]:
    made = httpx.post(f"{stack.url}{path}", headers={"Authorization": f"Bearer {stack.key}"}, json=body, timeout=30)
    assert made.status_code == 200, made.text[:500]
    return dict(made.json())


@pytest.fixture(scope="module")
def keys(db_stack: Stack) -> dict[str, str]:
    """Virtual keys generated through the management API, each bounded to gpt-4o-mini another way."""
    suffix = secrets.token_hex(4)
    team = admin(db_stack, "/team/new", {"team_alias": f"mini-only-{suffix}", "models": ["gpt-4o-mini"]})
    user = admin(db_stack, "/user/new", {"user_id": f"mini-user-{suffix}", "models": ["gpt-4o-mini"]})
    return {
        "key": admin(db_stack, "/key/generate", {"models": ["gpt-4o-mini"]})["key"],
        "team": admin(db_stack, "/key/generate", {"team_id": team["team_id"]})["key"],
        "user": admin(db_stack, "/key/generate", {"user_id": user["user_id"]})["key"],
        "unrestricted": admin(db_stack, "/key/generate", {})["key"],
    }


def chat_with_tools(stack: Stack, key: str) -> httpx.Response:
    return httpx.post(
        f"{stack.url}/v1/chat/completions",
        headers={"Authorization": f"Bearer {key}"},
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "where is order 7?"}], "tools": TOOLS},
        timeout=60,
    )


@pytest.mark.parametrize("bounded_by", ["key", "team", "user"])
def test_a_rule_never_leaves_the_rights_of_the_key(db_stack: Stack, keys: dict[str, str], bounded_by: str) -> None:
    db_stack.clear()
    answer = chat_with_tools(db_stack, keys[bounded_by])
    assert answer.status_code == 200, answer.text[:500]
    assert answer.headers["x-route-rule"] == "tool-calls"
    assert answer.headers["x-route-skipped"] == "rights"
    assert answer.headers["x-litellm-model-group"] == "gpt-4o-mini"
    assert [r["model"] for r in db_stack.fake_requests()] == ["fake-gpt-4o-mini"]


def test_the_same_holds_on_the_responses_api(db_stack: Stack, keys: dict[str, str]) -> None:
    db_stack.clear()
    answer = httpx.post(
        f"{db_stack.url}/v1/responses",
        headers={"Authorization": f"Bearer {keys['key']}"},
        json={
            "model": "gpt-4o-mini",
            "input": "where is order 7?",
            "tools": [{"type": "function", **TOOLS[0]["function"]}],
        },
        timeout=60,
    )
    assert answer.status_code == 200, answer.text[:500]
    assert (answer.headers["x-route-skipped"], answer.headers["x-litellm-model-group"]) == ("rights", "gpt-4o-mini")
    assert {r["model"] for r in db_stack.fake_requests()} == {"fake-gpt-4o-mini"}


def test_an_unrestricted_key_is_rerouted(db_stack: Stack, keys: dict[str, str]) -> None:
    db_stack.clear()
    answer = chat_with_tools(db_stack, keys["unrestricted"])
    assert answer.status_code == 200, answer.text[:500]
    assert "x-route-skipped" not in answer.headers
    assert (answer.headers["x-route-label"], answer.headers["x-litellm-model-group"]) == ("tools", "gpt-4o")
    assert [r["model"] for r in db_stack.fake_requests()] == ["fake-gpt-4o"]


def test_skipped_rules_are_counted(db_stack: Stack, keys: dict[str, str]) -> None:
    chat_with_tools(db_stack, keys["key"])
    scraped = httpx.get(
        f"{db_stack.url}{METRICS_PATH}", headers={"Authorization": f"Bearer {db_stack.key}"}, timeout=30
    )
    assert scraped.status_code == 200
    skipped = metrics.total(scraped.text, "gateway_route_skipped_total", rule="tool-calls", reason="rights")
    assert skipped >= 1
