"""MCP through the gateway, for real: two MCP servers written with the official `mcp` SDK
(tests/mcp_server.py) behind the pinned proxy, declared as `mcp_servers` in the bundle's
config/litellm.yaml and rendered by the bundle; virtual keys on real PostgreSQL get access per key
and per team (LiteLLM's `object_permission.mcp_servers`); the SDK's own client lists and calls the
tools through the proxy's MCP endpoint (streamable HTTP at /mcp)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio
import httpx
import httpx2
import pytest
from mcp import ClientSession, MCPError
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, TextContent

from litellm_bundle.build.generate import render_one
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.core.yamlio import parse_yaml
from litellm_bundle.policy.policies import Policies
from litellm_bundle.runtime import launch, localenv, postgres, processes
from tests.helpers import ROOT, validate_root
from tests.integration.conftest import Stack, running_proxy
from tests.mcp_server import MCP_PATH

from .conftest import TOOLS, database_config

pytestmark = pytest.mark.proxy

SERVERS = ("calc", "notes")  # two processes of tests/mcp_server.py, each answering with its own name
T = TypeVar("T")


def mcp_section(upstreams: dict[str, str]) -> str:
    """The `mcp_servers` section a team writes in config/litellm.yaml (LiteLLM's own key names)."""
    lines = ["", "# the team's MCP servers, behind the gateway's /mcp endpoint", "mcp_servers:"]
    for name, url in upstreams.items():
        lines += [f"  {name}:", f"    url: {url}", "    transport: http", f"    description: the {name} tools"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def upstreams(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """name -> URL of each MCP server, started on a free loopback port."""
    logs = tmp_path_factory.mktemp("mcp")
    procs, urls = [], {}
    try:
        for name in SERVERS:
            port = processes.free_port()
            log = logs / f"{name}.log"
            proc = processes.spawn(
                [sys.executable, str(ROOT / "tests" / "mcp_server.py"), "--port", str(port), "--name", name], log
            )
            procs.append(proc)
            processes.wait_port(port, 30, proc, log)
            urls[name] = f"http://127.0.0.1:{port}{MCP_PATH}"
        yield urls
    finally:
        for proc in procs:
            processes.stop(proc)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, upstreams: dict[str, str]) -> dict[str, str]:
    """The shipped sources with the MCP servers added to config/litellm.yaml, validated and rendered
    for dev by the bundle."""
    config_dir = tmp_path_factory.mktemp("mcp-bundle") / "config"
    shutil.copytree(ROOT / "config", config_dir)
    with (config_dir / "litellm.yaml").open("a", encoding="utf-8") as out:
        out.write(mcp_section(upstreams))
    _, problems = validate_root(config_dir=config_dir)
    assert not problems, "\n".join(map(str, problems))
    return render_one(BundleTree.at(ROOT, config_dir=config_dir), "dev")


@pytest.fixture(scope="module")
def mcp_stack(
    tmp_path_factory: pytest.TempPathFactory,
    fake_provider: str,
    database: postgres.Postgres,
    rendered: dict[str, str],
) -> Iterator[Stack]:
    secrets = {
        **localenv.local_secrets(fake_provider, None),
        "DATABASE_URL": database.url(),
        **postgres.prisma_env(TOOLS),
    }
    tree = BundleTree.at(ROOT)
    staged = launch.stage_files(
        tree, rendered, tmp_path_factory.mktemp("mcp-proxy"), secrets, Policies(tree).env_ref, with_redis=False
    )
    database_config(staged.config)
    with running_proxy(staged.config, secrets, fake_provider) as stack:
        yield stack


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


def test_the_bundle_renders_the_mcp_servers(rendered: dict[str, str], upstreams: dict[str, str]) -> None:
    doc, problems = parse_yaml(rendered["config.yaml"], "config.yaml")
    assert doc is not None and not problems
    assert doc.data["mcp_servers"] == {
        name: {"url": url, "transport": "http", "description": f"the {name} tools"} for name, url in upstreams.items()
    }


def test_a_key_with_access_lists_and_calls_the_tools(mcp_stack: Stack) -> None:
    key = _key(mcp_stack, "mcp-calc", object_permission={"mcp_servers": ["calc"]})
    headers = {"x-litellm-api-key": key}
    names, seen = _mcp(f"{mcp_stack.url}/mcp", headers, _names)
    assert names == ["calc-add", "calc-echo"]  # LiteLLM prefixes each tool with its server's name
    assert set(seen.statuses) <= {200, 202}
    total, _ = _mcp(f"{mcp_stack.url}/mcp", headers, _call("calc-add", {"a": 19, "b": 23}))
    assert not total.is_error and _text(total) == "42" and total.structured_content == {"result": 42}
    echoed, _ = _mcp(f"{mcp_stack.url}/mcp", headers, _call("calc-echo", {"text": "through the gateway"}))
    assert _text(echoed) == "calc: through the gateway"  # the calc server answered
    # the same key as a bearer token, and the server's own path
    names, _ = _mcp(f"{mcp_stack.url}/mcp/calc", {"Authorization": f"Bearer {key}"}, _names)
    assert names == ["calc-add", "calc-echo"]


def test_a_key_without_access_to_a_server_is_refused_its_tools(mcp_stack: Stack) -> None:
    key = _key(mcp_stack, "mcp-notes", object_permission={"mcp_servers": ["notes"]})
    headers = {"x-litellm-api-key": key}
    names, _ = _mcp(f"{mcp_stack.url}/mcp", headers, _names)
    assert names == ["notes-add", "notes-echo"]  # calc's tools are not listed
    echoed, _ = _mcp(f"{mcp_stack.url}/mcp", headers, _call("notes-echo", {"text": "hi"}))
    assert _text(echoed) == "notes: hi"
    refused, _ = _mcp(f"{mcp_stack.url}/mcp", headers, _call("calc-add", {"a": 19, "b": 23}))
    assert refused.is_error and "not allowed" in _text(refused) and "42" not in _text(refused), refused
    seen = _refused(f"{mcp_stack.url}/mcp/calc", headers)  # calc's own path
    assert seen.statuses == [403], seen


def test_a_key_without_any_grant_is_refused(mcp_stack: Stack) -> None:
    """LiteLLM's default for a key without MCP grants (nor a team's): no MCP access at all."""
    key = _key(mcp_stack, "mcp-none")
    seen = _refused(f"{mcp_stack.url}/mcp", {"x-litellm-api-key": key})
    assert seen.statuses == [403], seen


def test_a_key_inherits_its_teams_access(mcp_stack: Stack) -> None:
    team = _team(mcp_stack, "mcp-calc-team", object_permission={"mcp_servers": ["calc"]})
    key = _key(mcp_stack, "mcp-team-member", team_id=team)
    total, _ = _mcp(f"{mcp_stack.url}/mcp", {"x-litellm-api-key": key}, _call("calc-add", {"a": 2, "b": 3}))
    assert _text(total) == "5"
    names, _ = _mcp(f"{mcp_stack.url}/mcp", {"x-litellm-api-key": key}, _names)
    assert names == ["calc-add", "calc-echo"]


def test_an_unknown_key_is_refused(mcp_stack: Stack) -> None:
    seen = _refused(f"{mcp_stack.url}/mcp", {"x-litellm-api-key": "sk-not-a-key"})
    assert seen.statuses == [401], seen
