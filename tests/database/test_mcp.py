"""MCP through the gateway, for real: two MCP servers written with the official `mcp` SDK
(tests/mcp_server.py) behind the pinned proxy, declared as `mcp_servers` in the bundle's
config/litellm.yaml and rendered by the bundle (the group's shared proxy, db_stack in
tests/database/conftest.py, runs that rendering); virtual keys on real PostgreSQL get access per key
and per team (LiteLLM's `object_permission.mcp_servers`); the SDK's own client lists and calls the
tools through the proxy's MCP endpoint (streamable HTTP at /mcp)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio
import httpx
import httpx2
import pytest
from mcp import ClientSession, MCPError
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, TextContent

from litellm_bundle.core.yamlio import parse_yaml
from tests.integration.conftest import Stack

pytestmark = pytest.mark.proxy

T = TypeVar("T")


def _admin(stack: Stack, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = httpx.post(f"{stack.url}{path}", headers={"Authorization": f"Bearer {stack.key}"}, json=body, timeout=60)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _key(stack: Stack, alias: str, **body: Any) -> str:
    return str(_admin(stack, "/key/generate", {"key_alias": alias, **body})["key"])


def _team(stack: Stack, alias: str, **body: Any) -> str:
    return str(_admin(stack, "/team/new", {"team_alias": alias, **body})["team_id"])


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


def test_a_key_with_access_lists_and_calls_the_tools(db_stack: Stack) -> None:
    key = _key(db_stack, "mcp-calc", object_permission={"mcp_servers": ["calc"]})
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


def test_a_key_without_access_to_a_server_is_refused_its_tools(db_stack: Stack) -> None:
    key = _key(db_stack, "mcp-notes", object_permission={"mcp_servers": ["notes"]})
    headers = {"x-litellm-api-key": key}
    names, _ = _mcp(f"{db_stack.url}/mcp", headers, _names)
    assert names == ["notes-add", "notes-echo"]  # calc's tools are not listed
    echoed, _ = _mcp(f"{db_stack.url}/mcp", headers, _call("notes-echo", {"text": "hi"}))
    assert _text(echoed) == "notes: hi"
    refused, _ = _mcp(f"{db_stack.url}/mcp", headers, _call("calc-add", {"a": 19, "b": 23}))
    assert refused.is_error and "not allowed" in _text(refused) and "42" not in _text(refused), refused
    seen = _refused(f"{db_stack.url}/mcp/calc", headers)  # calc's own path
    assert seen.statuses == [403], seen


def test_a_key_without_any_grant_is_refused(db_stack: Stack) -> None:
    """LiteLLM's default for a key without MCP grants (nor a team's): no MCP access at all."""
    key = _key(db_stack, "mcp-none")
    seen = _refused(f"{db_stack.url}/mcp", {"x-litellm-api-key": key})
    assert seen.statuses == [403], seen


def test_a_key_inherits_its_teams_access(db_stack: Stack) -> None:
    team = _team(db_stack, "mcp-calc-team", object_permission={"mcp_servers": ["calc"]})
    key = _key(db_stack, "mcp-team-member", team_id=team)
    total, _ = _mcp(f"{db_stack.url}/mcp", {"x-litellm-api-key": key}, _call("calc-add", {"a": 2, "b": 3}))
    assert _text(total) == "5"
    names, _ = _mcp(f"{db_stack.url}/mcp", {"x-litellm-api-key": key}, _names)
    assert names == ["calc-add", "calc-echo"]


def test_an_unknown_key_is_refused(db_stack: Stack) -> None:
    seen = _refused(f"{db_stack.url}/mcp", {"x-litellm-api-key": "sk-not-a-key"})
    assert seen.statuses == [401], seen
