"""Internal users and team membership in access.yaml: validated (a member must be a declared user), rendered
into access.json, and planned by gateway_access (created with the proof, membership compared)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from gateway_access import plan as planning
from gateway_access import state
from litellm_bundle.build.generate import render_one
from litellm_bundle.core.tree import BundleTree
from tests.helpers import ROOT, validate_root

MASTER = "sk-master-of-the-test"
ACCESS = """\
users:
  alice@example.com:
    user_role: internal_user
    max_budget: 10
    tpm_limit: 5000
  bob: {}
teams:
  search:
    models: [gpt-4o-mini]
    members:
      - {user_id: alice@example.com, role: admin}
      - {user_id: bob}
      - {user_id: carol}
      - {user_id: bob}
keys:
  search-backend:
    team: search
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    found = tmp_path / "config"
    shutil.copytree(ROOT / "config", found)
    (found / "access.yaml").write_text(ACCESS)
    return found


def test_a_member_must_be_a_declared_user_once(config: Path) -> None:
    _, problems = validate_root(envs=["dev"], config_dir=config)
    found = sorted((p.location.line, p.check, p.message) for p in problems)
    assert found == [
        (
            13,
            "unknown-team-member",
            "team 'search' has member 'carol', who is not a user declared for dev (users there: alice@example.com, "
            "bob)",
        ),
        (14, "unknown-team-member", "team 'search' names 'bob' as a member twice"),
    ]


def test_users_and_members_are_rendered_with_defaults(config: Path) -> None:
    text = (config / "access.yaml").read_text().replace("      - {user_id: carol}\n      - {user_id: bob}\n", "")
    (config / "access.yaml").write_text(text)
    rendered = json.loads(render_one(BundleTree.at(ROOT, config_dir=config), "dev")["access.json"])
    assert rendered["users"] == {
        "alice@example.com": {
            "user_role": "internal_user",
            "max_budget": 10,
            "budget_duration": None,
            "rpm_limit": None,
            "tpm_limit": 5000,
            "metadata": {},
        },
        "bob": {
            "user_role": "internal_user",
            "max_budget": None,
            "budget_duration": None,
            "rpm_limit": None,
            "tpm_limit": None,
            "metadata": {},
        },
    }
    no_budget = {"max_budget_in_team": None, "budget_duration": None, "tpm_limit": None, "rpm_limit": None}
    assert rendered["teams"]["search"]["members"] == [
        {"user_id": "alice@example.com", "role": "admin", **no_budget},
        {"user_id": "bob", "role": "user", **no_budget},
    ]
    state.check(rendered)


def document(members: list[dict[str, str]] | None) -> dict[str, Any]:
    limits = {"max_budget": None, "budget_duration": None, "rpm_limit": None, "tpm_limit": None, "metadata": {}}
    return {
        "environment": "dev",
        "users": {"bob": {**limits, "user_role": "internal_user", "max_budget": 2.0}},
        "teams": {"search": {**limits, "models": ["gpt-4o-mini"], "members": members}},
        "keys": {},
    }


def live_team(document: dict[str, Any], members: list[dict[str, str]]) -> dict[str, Any]:
    signer = state.Signer(MASTER)
    metadata = state.managed_metadata(document, {}, signer, "team", "t-1")
    return {"team_id": "t-1", "team_alias": "search", "models": ["gpt-4o-mini"], "metadata": metadata,
            "members_with_roles": members}  # fmt: skip


def test_users_are_created_with_the_proof_and_membership_is_planned_when_declared() -> None:
    signer = state.Signer(MASTER)
    wanted = document([{"user_id": "bob", "role": "user"}])
    creator = {"user_id": planning.PROXY_ADMIN_USER, "role": "admin"}  # LiteLLM's own, never compared
    plan = planning.make_plan(wanted, [live_team(wanted, [creator])], [], {}, signer, live_users=[])
    assert [str(c) for c in plan.changes] == ["+ user bob", "~ team search: members {} -> {'bob': 'user'}"]
    created = plan.changes[0].body
    assert created["metadata"][state.PROOF] == signer.proof("user", "bob") and created["max_budget"] == 2.0
    live_user = {"user_id": "bob", "user_role": "internal_user", "max_budget": 2.0, "metadata": created["metadata"]}
    team = live_team(wanted, [creator, {"user_id": "bob", "role": "user"}])
    assert planning.make_plan(wanted, [team], [], {}, signer, live_users=[live_user]).changes == []
    unmanaged = document(None)  # membership not declared: left as it is
    team = live_team(unmanaged, [{"user_id": "someone", "role": "user"}])
    assert planning.make_plan(unmanaged, [team], [], {}, signer, live_users=[live_user]).changes == []
    by_hand = {**live_user, "metadata": {}}
    with pytest.raises(planning.PlanError, match="user 'bob' exists but is not managed by the bundle"):
        planning.make_plan(wanted, [team], [], {}, signer, live_users=[by_hand])
