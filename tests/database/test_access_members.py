"""Internal users and team membership as code, reconciled by gateway_access with the real proxy on real
PostgreSQL: created with the reconciler's proof, membership changed, drift made by hand found by `plan`,
a team's budget (on the priced group) and tpm limit enforced, and a member's budget within a team. Its own
environment name, so no other module's plan sees its objects; deleted at the end."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from litellm_bundle.core.facts import ACCESS_PACKAGE
from tests.helpers import ROOT
from tests.integration.conftest import Stack

from .conftest import PRICED, burst_until_429

pytestmark = pytest.mark.proxy

ENV = "members-test"
LIMITS = {"max_budget": None, "budget_duration": None, "rpm_limit": None, "tpm_limit": None}
USERS = ("alice@example.com", "bob")


def desired() -> dict[str, Any]:
    return {
        "environment": ENV,
        "users": {
            "alice@example.com": {
                **LIMITS,
                "user_role": "internal_user",
                "max_budget": 10.0,
                "tpm_limit": 5000,
                "metadata": {"owner": "search"},
            },
            "bob": {
                **LIMITS,
                "user_role": "internal_user_viewer",
                "budget_duration": "30d",
                "max_budget": 2.0,
                "metadata": {},
            },
        },
        "teams": {
            "tiny-budget": {
                **LIMITS,
                "models": [PRICED],
                "max_budget": 0.3,  # each answer on the priced group costs about $0.2
                "budget_duration": "1d",
                "metadata": {},
                # "admin" is an Enterprise feature in 1.108.7 (/team/member_add answers 400 without a licence)
                "members": [{"user_id": "alice@example.com", "role": "user"}, {"user_id": "bob", "role": "user"}],
            },
            "tiny-tpm": {**LIMITS, "models": ["gpt-4o-mini"], "tpm_limit": 30, "metadata": {}},
            "tiny-member": {
                **LIMITS,
                "models": [PRICED],
                "max_budget": 100.0,
                "metadata": {},
                "members": [{"user_id": "alice@example.com", "role": "user", "max_budget_in_team": 0.3}],
            },
        },
        "keys": {
            "tiny-tpm-key": {
                **LIMITS,
                "team": "tiny-tpm",
                "models": ["gpt-4o-mini"],
                "metadata": {},
                "value_env": None,
                "allowed_routes": None,
            },
            "alice-in-team": {  # alice's key in tiny-member: her budget in the team binds, not the team's
                **LIMITS,
                "team": "tiny-member",
                "models": [PRICED],
                "metadata": {},
                "value_env": None,
                "allowed_routes": None,
                "user_id": "alice@example.com",
            },
            "tiny-budget-key": {
                **LIMITS,
                "team": "tiny-budget",
                "models": [PRICED],
                "metadata": {},
                "value_env": None,
                "allowed_routes": None,
            },
        },
    }


def run(stack: Stack, work: Path, document: dict[str, Any], action: str, *extra: str) -> subprocess.CompletedProcess:
    file = work / "access.json"
    file.write_text(json.dumps(document))
    environ = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT / "hooks"), "LITELLM_MASTER_KEY": stack.key}
    argv = [sys.executable, "-m", ACCESS_PACKAGE, action, "--url", stack.url, "--desired", str(file), *extra]
    return subprocess.run(argv, env=environ, capture_output=True, text=True, timeout=120)


@contextlib.contextmanager
def master_client(stack: Stack, cleanup: Callable[[httpx.Client], None]) -> Iterator[httpx.Client]:
    """A client with the master key; `cleanup` runs with it at the end, whatever happened."""
    with httpx.Client(base_url=stack.url, headers={"Authorization": f"Bearer {stack.key}"}, timeout=60) as client:
        try:
            yield client
        finally:
            cleanup(client)


def delete_teams(client: httpx.Client, *aliases: str) -> None:
    """The teams of these aliases, and their keys with them (LiteLLM's /team/delete)."""
    teams = [t for a in aliases for t in client.get("/v2/team/list", params={"team_alias": a}).json()["teams"]]
    if ids := sorted({t["team_id"] for t in teams if t.get("team_alias") in aliases}):
        client.post("/team/delete", json={"team_ids": ids})


def _cleanup(client: httpx.Client) -> None:
    delete_teams(client, "tiny-budget", "tiny-tpm", "tiny-member")
    client.post("/user/delete", json={"user_ids": list(USERS)})


@pytest.fixture(scope="module")
def admin(db_stack: Stack) -> Iterator[httpx.Client]:
    with master_client(db_stack, _cleanup) as client:
        yield client


def team_of(client: httpx.Client, alias: str) -> dict[str, Any]:
    teams = client.get("/v2/team/list", params={"team_alias": alias}).json()["teams"]
    (team,) = [t for t in teams if t.get("team_alias") == alias]
    return dict(team)


def members(client: httpx.Client) -> dict[str, str]:
    team = team_of(client, "tiny-budget")
    found = {m["user_id"]: m["role"] for m in team["members_with_roles"]}
    assert found.pop("default_user_id") == "admin", "LiteLLM adds the master key's user to a team it makes"
    return found


def test_users_and_members_are_applied_drift_is_found_and_team_budget_and_tpm_bind(
    db_stack: Stack, admin: httpx.Client, tmp_path: Path
) -> None:
    first = run(db_stack, tmp_path, desired(), "plan")
    assert first.returncode == 3, first.stderr
    assert "+ user alice@example.com" in first.stderr and "+ user bob" in first.stderr, first.stderr
    keys = tmp_path / "keys.env"
    applied = run(db_stack, tmp_path, desired(), "apply", "--keys-to", f"env-file:{keys}")
    assert applied.returncode == 0, applied.stderr
    again = run(db_stack, tmp_path, desired(), "plan")
    assert again.returncode == 0 and "no changes" in again.stderr, again.stderr

    assert members(admin) == {"alice@example.com": "user", "bob": "user"}
    alice = admin.get("/user/info", params={"user_id": "alice@example.com"}).json()["user_info"]
    assert (alice["user_role"], alice["max_budget"], alice["tpm_limit"]) == ("internal_user", 10.0, 5000)

    # drift made by hand: bob removed from the team
    team_id = admin.get("/v2/team/list", params={"team_alias": "tiny-budget"}).json()["teams"][0]["team_id"]
    answer = admin.post("/team/member_delete", json={"team_id": team_id, "user_id": "bob"})
    assert answer.status_code == 200, answer.text
    drift = run(db_stack, tmp_path, desired(), "plan")
    assert drift.returncode == 3 and "~ team tiny-budget: members" in drift.stderr, drift.stderr

    # the declaration changes: alice leaves (bob comes back); bob's budget changes
    changed = copy.deepcopy(desired())
    changed["teams"]["tiny-budget"]["members"] = [{"user_id": "bob", "role": "user"}]
    changed["users"]["bob"]["max_budget"] = 3.0
    done = run(db_stack, tmp_path, changed, "apply", "--keys-to", f"env-file:{keys}")
    assert done.returncode == 0, done.stderr
    assert "~ user bob: max_budget 2.0 -> 3.0" in done.stderr, done.stderr
    assert members(admin) == {"bob": "user"}
    assert run(db_stack, tmp_path, changed, "plan").returncode == 0

    # the team's budget binds for its key (the key has none of its own)
    value = keys.read_text().split("LITELLM_KEY_TINY_BUDGET_KEY=", 1)[1].split()[0]
    client = openai.OpenAI(base_url=f"{db_stack.url}/v1", api_key=value, max_retries=0, timeout=60)
    refused = None
    for _ in range(8):
        try:
            client.chat.completions.create(model=PRICED, messages=[{"role": "user", "content": "hello there"}])
        except openai.APIStatusError as exc:
            refused = exc
            break
    assert refused is not None and "budget" in str(refused).lower() and "team" in str(refused).lower(), refused

    # a member's budget within the team binds for the member's key while the team still has budget
    member_team = team_of(admin, "tiny-member")["team_id"]
    info = admin.get("/team/info", params={"team_id": member_team}).json()
    (alice_in_team,) = [m for m in info["team_memberships"] if m["user_id"] == "alice@example.com"]
    assert alice_in_team["litellm_budget_table"]["max_budget"] == 0.3
    value = keys.read_text().split("LITELLM_KEY_ALICE_IN_TEAM=", 1)[1].split()[0]
    client = openai.OpenAI(base_url=f"{db_stack.url}/v1", api_key=value, max_retries=0, timeout=60)
    served, refused = 0, None
    for _ in range(8):
        try:
            client.chat.completions.create(model=PRICED, messages=[{"role": "user", "content": "hello there"}])
            served += 1
        except openai.APIStatusError as exc:
            refused = exc
            break
    # LiteLLM reserves a request's estimated cost against each budget before the call (settled after it): the
    # member's own budget refuses, not the team's ($100) nor alice's as a user ($10). LiteLLM checks a member's
    # budget in two places of its auth, each with its own words (user_api_key_auth.py while its 5 s cache of the
    # membership holds, auth_checks.py's common checks otherwise): which one refuses depends on timing.
    assert served >= 1 and refused is not None, (served, refused)
    member = (f"TeamMember=alice@example.com:{member_team} ", f"User=alice@example.com in Team={member_team} ")
    assert any(said in str(refused) for said in member) and "Max budget: 0.3" in str(refused), refused
    spent = admin.get("/team/info", params={"team_id": member_team}).json()["team_info"]["spend"]
    assert spent < 100.0, "the team still had budget"
    # drift made by hand on the member's budget is found and undone
    answer = admin.post(
        "/team/member_update",
        json={"team_id": member_team, "user_id": "alice@example.com", "max_budget_in_team": 5.0},
    )
    assert answer.status_code == 200, answer.text
    drift = run(db_stack, tmp_path, changed, "plan")
    assert "~ team tiny-member: members {'alice@example.com': {'role': 'user', 'max_budget_in_team': 5.0}} -> " in (
        drift.stderr
    ), drift.stderr
    assert run(db_stack, tmp_path, changed, "apply", "--keys-to", "-").returncode == 0
    assert run(db_stack, tmp_path, changed, "plan").returncode == 0

    # the team's tpm_limit binds for its key: one answer uses more tokens than the team may in a minute
    value = keys.read_text().split("LITELLM_KEY_TINY_TPM_KEY=", 1)[1].split()[0]
    statuses = burst_until_429(db_stack, value, "hello there")
    assert statuses[0] == 200 and 429 in statuses, statuses
