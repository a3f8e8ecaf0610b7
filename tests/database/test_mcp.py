"""MCP through the gateway, for real: two MCP servers written with the official `mcp` SDK
(tests/mcp_server.py) behind the pinned proxy, declared as `mcp_servers` in the bundle's
config/litellm.yaml and rendered by the bundle (the group's shared proxy, db_stack in
tests/database/conftest.py, runs that rendering); virtual keys on real PostgreSQL get access per key
and per team from access-as-code declarations (`mcp_servers` on teams and keys, applied by the reconciler
as LiteLLM's `object_permission.mcp_servers`); the SDK's own client lists and calls the tools through the
proxy's MCP endpoint (streamable HTTP at /mcp); a server granted by hand is found as drift and taken back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import anyio
import httpx
import httpx2
import pytest
from mcp import ClientSession, MCPError
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, TextContent

from gateway_access.sinks import variable
from litellm_bundle.core.yamlio import parse_yaml
from tests.integration.conftest import Stack

from .test_access_members import delete_teams, master_client, run

pytestmark = pytest.mark.proxy

T = TypeVar("T")


ENV = "mcp-test"  # its own environment name, so no other module's plan sees its objects
LIMITS = {"max_budget": None, "budget_duration": None, "rpm_limit": None, "tpm_limit": None}
TEAMS = {"mcp-tools": ["calc", "notes"], "mcp-calc-team": ["calc"], "mcp-no-tools": []}  # alias -> mcp_servers
KEYS = {  # alias -> (team, mcp_servers; None: not declared, the team's)
    "mcp-calc": ("mcp-tools", ["calc"]),
    "mcp-notes": ("mcp-tools", ["notes"]),
    "mcp-none": ("mcp-no-tools", None),
    "mcp-team-member": ("mcp-calc-team", None),
}


def desired() -> dict[str, Any]:
    """The access.json config/access.yaml renders for these teams and keys (what `make render` writes)."""
    key = {**LIMITS, "models": ["gpt-4o-mini"], "metadata": {}, "value_env": None, "allowed_routes": None}
    return {
        "environment": ENV,
        "teams": {a: {**LIMITS, "models": ["gpt-4o-mini"], "metadata": {}, "mcp_servers": s} for a, s in TEAMS.items()},
        "keys": {a: {**key, "team": team, "mcp_servers": servers} for a, (team, servers) in KEYS.items()},
    }


@pytest.fixture(scope="module")
def keys(db_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """alias -> value of the keys above, applied by the reconciler (its env-file sink); deleted at the end."""
    work = tmp_path_factory.mktemp("mcp-access")
    with master_client(db_stack, lambda client: delete_teams(client, *TEAMS)):
        applied = run(db_stack, work, desired(), "apply", "--keys-to", f"env-file:{work / 'keys.env'}")
        assert applied.returncode == 0, applied.stderr
        values = dict(line.split("=", 1) for line in (work / "keys.env").read_text().split())
        yield {alias: values[variable(alias)] for alias in KEYS}


@dataclass
class Client:
    """What one MCP session through the gateway saw: the HTTP status of every exchange."""

    statuses: list[int] = field(default_factory=list)


def _mcp(url: str, headers: dict[str, str], work: Callable[[ClientSession], Awaitable[T]]) -> tuple[T, Client]:
    """Run `work` in an initialised MCP session (the official SDK's streamable HTTP client) at `url`."""
    seen = Client()

    async def record(response: httpx2.Response) -> None:
        seen.statuses.append(response.status_code)

    async def session() -> T:
        async with (
            httpx2.AsyncClient(headers=headers, timeout=60, event_hooks={"response": [record]}) as http,
            streamable_http_client(url, http_client=http) as (read, write),
            ClientSession(read, write) as client,
        ):
            await client.initialize()
            return await work(client)

    return anyio.run(session), seen


def _refused(url: str, headers: dict[str, str]) -> Client:
    """An MCP session that the gateway refuses: the SDK's client fails with the gateway's error."""
    seen = Client()

    async def record(response: httpx2.Response) -> None:
        seen.statuses.append(response.status_code)

    async def session() -> None:
        async with (
            httpx2.AsyncClient(headers=headers, timeout=60, event_hooks={"response": [record]}) as http,
            streamable_http_client(url, http_client=http) as (read, write),
            ClientSession(read, write) as client,
        ):
            await client.initialize()
            await client.list_tools()

    with pytest.raises(BaseExceptionGroup) as raised:
        anyio.run(session)
    assert raised.group_contains(MCPError), raised.value
    return seen


async def _names(client: ClientSession) -> list[str]:
    return sorted(tool.name for tool in (await client.list_tools()).tools)


def _call(name: str, arguments: dict[str, Any]) -> Callable[[ClientSession], Awaitable[CallToolResult]]:
    async def work(client: ClientSession) -> CallToolResult:
        return await client.call_tool(name, arguments)

    return work


def _text(result: CallToolResult) -> str:
    return "".join(part.text for part in result.content if isinstance(part, TextContent))


def test_the_bundle_renders_the_mcp_servers(dev_with_mcp: dict[str, str], mcp_upstreams: dict[str, str]) -> None:
    doc, problems = parse_yaml(dev_with_mcp["config.yaml"], "config.yaml")
    assert doc is not None and not problems
    assert doc.data["mcp_servers"] == {
        name: {"url": url, "transport": "http", "description": f"the {name} tools"}
        for name, url in mcp_upstreams.items()
    }


def test_a_key_with_access_lists_and_calls_the_tools(db_stack: Stack, keys: dict[str, str]) -> None:
    key = keys["mcp-calc"]  # its team grants calc and notes, the key calc only: LiteLLM gives it what both grant
    headers = {"x-litellm-api-key": key}
    names, seen = _mcp(f"{db_stack.url}/mcp", headers, _names)
    assert names == ["calc-add", "calc-echo"]  # LiteLLM prefixes each tool with its server's name
    assert set(seen.statuses) <= {200, 202}
    total, _ = _mcp(f"{db_stack.url}/mcp", headers, _call("calc-add", {"a": 19, "b": 23}))
    assert not total.is_error and _text(total) == "42" and total.structured_content == {"result": 42}
    echoed, _ = _mcp(f"{db_stack.url}/mcp", headers, _call("calc-echo", {"text": "through the gateway"}))
    assert _text(echoed) == "calc: through the gateway"  # the calc server answered
    # the same key as a bearer token, and the server's own path
    names, _ = _mcp(f"{db_stack.url}/mcp/calc", {"Authorization": f"Bearer {key}"}, _names)
    assert names == ["calc-add", "calc-echo"]


def test_a_key_without_access_to_a_server_is_refused_its_tools(db_stack: Stack, keys: dict[str, str]) -> None:
    key = keys["mcp-notes"]
    headers = {"x-litellm-api-key": key}
    names, _ = _mcp(f"{db_stack.url}/mcp", headers, _names)
    assert names == ["notes-add", "notes-echo"]  # calc's tools are not listed
    echoed, _ = _mcp(f"{db_stack.url}/mcp", headers, _call("notes-echo", {"text": "hi"}))
    assert _text(echoed) == "notes: hi"
    refused, _ = _mcp(f"{db_stack.url}/mcp", headers, _call("calc-add", {"a": 19, "b": 23}))
    assert refused.is_error and "not allowed" in _text(refused) and "42" not in _text(refused), refused
    seen = _refused(f"{db_stack.url}/mcp/calc", headers)  # calc's own path
    assert seen.statuses == [403], seen


def test_a_key_without_any_grant_is_refused(db_stack: Stack, keys: dict[str, str]) -> None:
    """LiteLLM's default for a key without MCP grants (nor a team's): no MCP access at all."""
    key = keys["mcp-none"]
    seen = _refused(f"{db_stack.url}/mcp", {"x-litellm-api-key": key})
    assert seen.statuses == [403], seen


def test_a_key_inherits_its_teams_access(db_stack: Stack, keys: dict[str, str]) -> None:
    key = keys["mcp-team-member"]
    total, _ = _mcp(f"{db_stack.url}/mcp", {"x-litellm-api-key": key}, _call("calc-add", {"a": 2, "b": 3}))
    assert _text(total) == "5"
    names, _ = _mcp(f"{db_stack.url}/mcp", {"x-litellm-api-key": key}, _names)
    assert names == ["calc-add", "calc-echo"]


def test_an_unknown_key_is_refused(db_stack: Stack) -> None:
    seen = _refused(f"{db_stack.url}/mcp", {"x-litellm-api-key": "sk-not-a-key"})
    assert seen.statuses == [401], seen


def test_a_server_granted_by_hand_is_drift_and_apply_takes_it_back(
    db_stack: Stack, keys: dict[str, str], tmp_path: Path
) -> None:
    headers = {"x-litellm-api-key": keys["mcp-calc"]}
    assert run(db_stack, tmp_path, desired(), "plan").returncode == 0  # applied: nothing to change
    answer = httpx.post(
        f"{db_stack.url}/key/update",
        headers={"Authorization": f"Bearer {db_stack.key}"},
        json={"key": keys["mcp-calc"], "object_permission": {"mcp_servers": ["calc", "notes"]}},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    names, _ = _mcp(f"{db_stack.url}/mcp", headers, _names)
    assert names == ["calc-add", "calc-echo", "notes-add", "notes-echo"]  # the grant made by hand works
    drift = run(db_stack, tmp_path, desired(), "plan")
    assert drift.returncode == 3, drift.stderr
    assert "~ key mcp-calc: mcp_servers ['calc', 'notes'] -> ['calc']" in drift.stderr, drift.stderr
    applied = run(db_stack, tmp_path, desired(), "apply", "--keys-to", "-")
    assert applied.returncode == 0 and applied.stdout == "", applied.stderr  # no new key value
    assert run(db_stack, tmp_path, desired(), "plan").returncode == 0
    names, _ = _mcp(f"{db_stack.url}/mcp", headers, _names)
    assert names == ["calc-add", "calc-echo"]
