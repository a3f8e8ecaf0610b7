"""MCP servers per team and key (LiteLLM's object_permission.mcp_servers): validated against the servers the
environment declares and the key's team, rendered into access.json, planned (null: not managed) and
imported."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from gateway_access import api, state
from gateway_access import plan as planning
from litellm_bundle.build.generate import render_one
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.runtime import access_import
from tests.helpers import ROOT
from tests.unit.test_access_budgets import problems_of
from tests.unit.test_access_import import HIDDEN, key, rules, team

MASTER = "sk-master-of-the-test"
SERVERS = """
mcp_servers:
  calc: {url: "http://127.0.0.1:9/mcp", transport: http}
  notes: {url: "http://127.0.0.1:9/mcp", transport: http}
  open: {url: "http://127.0.0.1:9/mcp", transport: http, allow_all_keys: true}
"""
ACCESS = """\
teams:
  tools:
    models: [gpt-4o-mini]
    mcp_servers: [calc]
  unmanaged:
    models: [gpt-4o-mini]
  everything:
    models: [gpt-4o-mini]
    mcp_servers: [all-proxy-mcpservers]
keys:
  calc-key:
    team: tools
    mcp_servers: [calc, open]
  no-mcp:
    team: tools
    mcp_servers: [no-mcp-servers]
  inherits:
    team: tools
  anything:
    team: unmanaged
    mcp_servers: [notes]
  all-of-them:
    team: everything
    mcp_servers: [calc, notes]
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """The shipped config with three MCP servers (one open to every key) and the access above."""
    found = tmp_path / "config"
    shutil.copytree(ROOT / "config", found)
    with (found / "litellm.yaml").open("a", encoding="utf-8") as out:
        out.write(SERVERS)
    (found / "access.yaml").write_text(ACCESS)
    return found


def test_declared_servers_within_the_team_an_open_one_and_litellm_s_special_names_validate(config: Path) -> None:
    assert problems_of(config, ACCESS) == []


def test_an_undeclared_server_and_a_key_s_server_its_team_does_not_grant_are_errors_at_their_line(
    config: Path,
) -> None:
    text = ACCESS.replace("mcp_servers: [calc]\n", "mcp_servers: [calc, search]\n", 1)
    text = text.replace("mcp_servers: [calc, open]", "mcp_servers: [notes, open]")
    found = problems_of(config, text)
    assert found == [
        (
            4,
            "unknown-mcp-server",
            "team 'tools' names MCP server 'search', which dev does not declare (mcp_servers in "
            "config/litellm.yaml: calc, notes, open; LiteLLM's all-proxy-mcpservers also fits here)",
        ),
        (
            13,
            "key-mcp-servers-outside-team",
            "key 'calc-key' names MCP server(s) notes, which its team 'tools' does not grant (team mcp_servers: "
            "calc, search) nor every key may use (allow_all_keys); LiteLLM refuses such a key",
        ),
    ]
    # without any server declared, every name is unknown (and the key's team is not second-guessed)
    (config / "litellm.yaml").write_text((config / "litellm.yaml").read_text().replace(SERVERS, ""))
    found = problems_of(config, ACCESS)
    assert [(line, check) for line, check, _ in found] == [
        (4, "unknown-mcp-server"),
        (13, "unknown-mcp-server"),
        (13, "unknown-mcp-server"),
        (21, "unknown-mcp-server"),
        (24, "unknown-mcp-server"),
        (24, "unknown-mcp-server"),
    ]
    assert "(mcp_servers in config/litellm.yaml: none;" in found[0][2]


def test_the_servers_are_rendered_and_absent_is_null(config: Path) -> None:
    rendered = json.loads(render_one(BundleTree.at(ROOT, config_dir=config), "dev")["access.json"])
    assert rendered["teams"]["tools"]["mcp_servers"] == ["calc"]
    assert rendered["teams"]["unmanaged"]["mcp_servers"] is None
    assert rendered["keys"]["calc-key"]["mcp_servers"] == ["calc", "open"]
    assert rendered["keys"]["inherits"]["mcp_servers"] is None
    state.check(rendered)


LIMITS = {"max_budget": None, "budget_duration": None, "rpm_limit": None, "tpm_limit": None}


def test_servers_are_planned_through_object_permission_and_null_leaves_them_as_they_are() -> None:
    signer = state.Signer(MASTER)
    wanted: dict[str, Any] = {
        "environment": "dev",
        "teams": {"tools": {**LIMITS, "models": ["m"], "metadata": {}, "mcp_servers": ["calc", "notes"]}},
        "keys": {
            "calc-key": {**LIMITS, "team": "tools", "models": ["m"], "metadata": {}, "value_env": None,
                         "allowed_routes": None, "mcp_servers": ["calc"]},
        },
    }  # fmt: skip
    created = planning.make_plan(wanted, [], [], {}, signer).changes
    assert [c.body["mcp_servers"] for c in created] == [["calc", "notes"], ["calc"]]
    assert api._wire(created[1].body)["object_permission"] == {"mcp_servers": ["calc"]}
    assert "mcp_servers" not in api._wire(created[1].body)
    team_meta = state.managed_metadata(wanted, {}, signer, "team", "t-1")
    live_team = {"team_id": "t-1", "team_alias": "tools", "models": ["m"], "metadata": team_meta,
                 "object_permission": {"mcp_servers": ["notes", "calc"]}}  # fmt: skip
    key_meta = state.managed_metadata(wanted, {}, signer, "key", "tok")
    live_key = {"token": "tok", "key_alias": "calc-key", "team_id": "t-1", "models": ["m"], "metadata": key_meta,
                "allowed_routes": [], "object_permission": {"mcp_servers": ["calc", "notes"]}}  # fmt: skip
    (change,) = planning.make_plan(wanted, [live_team], [live_key], {}, signer).changes
    assert str(change) == "~ key calc-key: mcp_servers ['calc', 'notes'] -> ['calc']"
    assert api._wire(change.body) == {"object_permission": {"mcp_servers": ["calc"]}}
    live_key["object_permission"] = {"mcp_servers": ["calc"]}
    assert planning.make_plan(wanted, [live_team], [live_key], {}, signer).changes == []
    # not declared (null, as in an access.json rendered before the field): not compared, never sent
    wanted["keys"]["calc-key"]["mcp_servers"] = None
    live_key["object_permission"] = None
    assert planning.make_plan(wanted, [live_team], [live_key], {}, signer).changes == []
    del wanted["teams"]["tools"]["mcp_servers"]
    live_team["object_permission"] = {"mcp_servers": ["anything"]}
    assert planning.make_plan(wanted, [live_team], [live_key], {}, signer).changes == []
    # declared empty: a team's grants removed
    wanted["teams"]["tools"]["mcp_servers"] = []
    (change,) = planning.make_plan(wanted, [live_team], [live_key], {}, signer).changes
    assert str(change) == "~ team tools: mcp_servers ['anything'] -> []"
    assert api._wire(change.body) == {"object_permission": {"mcp_servers": []}}


def test_import_writes_the_servers_the_environment_declares_and_leaves_the_others_unmanaged() -> None:
    found = rules()
    found.mcp_servers = {"calc": False, "notes": False, "open": True}
    teams = [
        team("t-1", "tools", ["gpt-4o-mini"], object_permission={"mcp_servers": ["calc"]}),
        team("t-2", "elsewhere", ["gpt-4o-mini"], object_permission={"mcp_servers": ["search"]}),
    ]
    keys = [
        key("a" * 64, "calc-key", "t-1", object_permission={"mcp_servers": ["calc", "open"]}),
        key("b" * 64, "grandfathered", "t-1", object_permission={"mcp_servers": ["notes"]}),
        key("c" * 64, "no-grants", "t-1", object_permission={"mcp_servers": []}),
    ]
    sel = access_import.select(teams, keys, found, HIDDEN)
    assert sel.entries["teams"]["tools"]["mcp_servers"] == ["calc"]
    assert "mcp_servers" not in sel.entries["teams"]["elsewhere"]
    assert sel.entries["keys"]["calc-key"]["mcp_servers"] == ["calc", "open"]
    assert "mcp_servers" not in sel.entries["keys"]["grandfathered"]
    assert "mcp_servers" not in sel.entries["keys"]["no-grants"]
    assert sel.skipped == [
        "team 'elsewhere': imported without mcp_servers (its MCP access stays unmanaged): MCP server(s) not "
        "declared for dev (mcp_servers in config/litellm.yaml): search",
        "key 'grandfathered': imported without mcp_servers (its MCP access stays unmanaged): MCP server(s) its "
        "team does not grant: notes",
    ]
