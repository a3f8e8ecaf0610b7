"""`access import --url`: a database populated through the real management API (more keys than one page of
/key/list; internal users, some with budgets and limits, team memberships, a budget tier the reconciler made
and a budget made by hand, each with a key) brought into access.yaml and adopted; `access plan` against the
same proxy then shows no change.
The test's objects are deleted at the end: the shared proxy's database stays as the other modules expect."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from ruamel.yaml import YAML

from gateway_access import state
from litellm_bundle.cli.main import main
from litellm_bundle.core import facts
from tests.helpers import ROOT
from tests.integration.conftest import Stack

pytestmark = pytest.mark.proxy

TEAMS = 30  # with an alias; plus NAMELESS_TEAMS without, one allowed every model, one with an alias to rename
NAMELESS_TEAMS = 5
KEYS_PER_TEAM = 4  # 120 keys: more than one page of /key/list (100)
MODELS = ["gpt-4o-mini", "text-embedding"]  # model groups dev enables
USERS = 12  # internal users; teams 00-07 get two of them each as members, the last three are in no team
MEMBER_TEAMS = 8
ROLES = ("internal_user", "internal_user_viewer", "proxy_admin_viewer")
SSO_USER = "imported-sso-user"  # signs in through SSO: left out, and the team naming it keeps its members unmanaged
SSO_TEAM = MEMBER_TEAMS  # the team after those
MEMBER_BUDGET = 2.5  # team 00's members' budget in the team
FORGED = {state.MANAGED_BY: state.mark({"environment": "dev"})}  # the mark without the proof
TIER = "imported-tier"  # a budget tier of dev's, made with the id the reconciler gives it (its proof)
TIER_FIELDS = {"max_budget": 40.0, "budget_duration": "7d", "rpm_limit": 90}
HAND_MADE_BUDGET = "imported-by-hand-budget"  # any other id: made by hand, never adopted


class Made:
    def __init__(self) -> None:
        self.teams: dict[str, dict[str, Any]] = {}  # team_id -> what the API answered
        self.keys: dict[str, dict[str, Any]] = {}  # token -> what the API answered (with the value)
        self.users: list[str] = []
        self.budgets: list[str] = []
        self.seconds = 0.0


def _post(client: httpx.Client, path: str, body: dict[str, Any]) -> Any:
    answer = client.post(path, json=body)
    assert answer.status_code == 200, (path, body, answer.text)
    return answer.json()


def _team(number: int) -> dict[str, Any]:
    body: dict[str, Any] = {"models": MODELS[: 1 + number % 2]}
    if number < TEAMS:
        body["team_alias"] = f"imported-team-{number:02d}"
    if number % 3 == 0:
        body.update(max_budget=50.0 + number, budget_duration="30d")
    if number % 4 == 0:
        body.update(rpm_limit=100 + number, metadata={"cost_center": f"{7000 + number}", "tags": ["imported"]})
    return body


def _user_id(number: int) -> str:
    return f"imported-user-{number:02d}@example.com"


def _user(number: int) -> dict[str, Any]:
    body: dict[str, Any] = {"user_id": _user_id(number), "user_role": ROLES[number % 3], "auto_create_key": False}
    if number % 3 == 0:
        body.update(max_budget=10.0 + number, budget_duration="30d")
    if number % 4 == 0:
        body.update(rpm_limit=50 + number, tpm_limit=5000 + number, metadata={"department": f"d{number}"})
    return body


def _members(team_id: str, number: int) -> dict[str, Any]:
    if number == SSO_TEAM:
        return {"team_id": team_id, "member": [{"user_id": SSO_USER, "role": "user"}]}
    body = {"team_id": team_id, "member": [{"user_id": _user_id(number + i), "role": "user"} for i in (0, 1)]}
    return {**body, "max_budget_in_team": MEMBER_BUDGET} if number == 0 else body


def _key(number: int, team_id: str, models: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = {"team_id": team_id}
    if number % 10 != 7:
        body["key_alias"] = f"imported-key-{number:03d}"
    if number % 2 == 0:
        body["models"] = models[:1]  # else none: LiteLLM's "the team's models"
    if number % 5 == 0:
        body.update(max_budget=1.5, tpm_limit=10_000, metadata={"owner": f"service-{number}"})
    return body


@pytest.fixture(scope="module")
def populated(db_stack: Stack) -> Iterator[Made]:
    """Users, teams, memberships and keys made by hand through the management API (concurrently), deleted
    afterwards."""
    made = Made()
    headers = {"Authorization": f"Bearer {db_stack.key}"}
    with httpx.Client(base_url=db_stack.url, headers=headers, timeout=60) as client, ThreadPoolExecutor(8) as pool:

        def post_all(calls: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
            return list(pool.map(lambda call: _post(client, *call), calls))

        try:
            start = time.monotonic()
            users = [_user(n) for n in range(USERS)] + [
                {"user_id": SSO_USER, "sso_user_id": "idp-0001", "auto_create_key": False}
            ]
            made.users = [u["user_id"] for u in users]
            tier_id = state.budget_id({"environment": "dev"}, TIER, state.Signer(db_stack.key))
            budgets = [{"budget_id": tier_id, **TIER_FIELDS}, {"budget_id": HAND_MADE_BUDGET, "max_budget": 3.0}]
            made.budgets = [b["budget_id"] for b in budgets]
            teams = [_team(n) for n in range(TEAMS + NAMELESS_TEAMS)]
            teams += [
                {"team_alias": "every-model-team", "models": []},
                {"team_alias": "Ops Team (EU)", "models": MODELS},
            ]
            answers = post_all(
                [("/budget/new", body) for body in budgets]
                + [("/user/new", body) for body in users]
                + [("/team/new", body) for body in teams]
            )
            for answer in answers[len(budgets) + len(users) :]:
                made.teams[answer["team_id"]] = answer
            team_ids = sorted(t for t, team in made.teams.items() if team.get("models"))
            bodies = [
                _key(n, team_ids[n % len(team_ids)], made.teams[team_ids[n % len(team_ids)]]["models"])
                for n in range(TEAMS * KEYS_PER_TEAM)
            ]
            by_alias = {team.get("team_alias"): team_id for team_id, team in made.teams.items()}
            bodies += [
                {"key_alias": "imported-teamless"},
                {"key_alias": "imported-forged", "team_id": team_ids[0], "metadata": FORGED},
                {"key_alias": "imported-in-every-model-team", "team_id": by_alias["every-model-team"]},
                {"key_alias": "imported-users-key", "team_id": by_alias["imported-team-00"], "user_id": _user_id(0)},
                {
                    "key_alias": "imported-sso-key",
                    "team_id": by_alias[f"imported-team-{SSO_TEAM:02d}"],
                    "user_id": SSO_USER,
                },
                {"key_alias": "imported-tiered-key", "team_id": by_alias["imported-team-01"], "budget_id": tier_id},
                {
                    "key_alias": "imported-hand-budget-key",
                    "team_id": by_alias["imported-team-01"],
                    "budget_id": HAND_MADE_BUDGET,
                },
            ]
            members = [
                ("/team/member_add", _members(by_alias[f"imported-team-{n:02d}"], n)) for n in range(MEMBER_TEAMS + 1)
            ]
            for answer in post_all([("/key/generate", body) for body in bodies] + members)[: len(bodies)]:
                made.keys[answer["token"]] = answer
            made.seconds = time.monotonic() - start
            print(
                f"populated {len(made.users)} users, {len(made.teams)} teams ({len(members)} with members) and "
                f"{len(made.keys)} keys in {made.seconds:.1f}s"
            )
            yield made
        finally:
            if made.keys:
                _post(client, "/key/delete", {"keys": sorted(made.keys)})
            if made.teams:
                _post(client, "/team/delete", {"team_ids": sorted(made.teams)})
            if made.users:
                _post(client, "/user/delete", {"user_ids": made.users})
            for budget_id in made.budgets:  # after the keys using them
                _post(client, "/budget/delete", {"id": budget_id})


def _cli(*args: str) -> int:
    return main(["--root", str(ROOT), "access", *args])


def test_import_then_plan_shows_no_change(
    db_stack: Stack,
    populated: Made,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert len(populated.users) + len(populated.teams) + len(populated.keys) >= 150
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    (config / "access.yaml").unlink()  # only what the import brings in is declared
    monkeypatch.setenv("LITELLM_MASTER_KEY", db_stack.key)
    where = ["--url", db_stack.url, "--env", "dev", "--config", str(config)]

    start = time.monotonic()
    assert _cli("import", *where) == facts.EXIT_OK, capsys.readouterr().err
    print(f"import: {time.monotonic() - start:.1f}s")
    out, err = capsys.readouterr()
    text = (config / "access.yaml").read_text()
    for token, key in populated.keys.items():
        assert token not in text + out + err and key["key"] not in text + out + err, "a key value left the proxy"

    derived = [line for line in err.splitlines() if "derived alias:" in line]
    assert sum("team (no alias" in line for line in derived) == NAMELESS_TEAMS, derived
    assert sum("key (no alias" in line for line in derived) == 12, derived  # every tenth of 120
    assert any("team 'Ops Team (EU)' -> ops-team-eu-" in line for line in derived), derived
    assert "team 'every-model-team': not imported: it may call every model" in err
    assert "key 'imported-in-every-model-team': not imported: its team" in err
    assert "key 'imported-teamless': not imported: it belongs to no team" in err
    assert "key 'imported-forged': carries the bundle's mark for dev but not the reconciler's proof" in err
    assert f"user '{SSO_USER}': not imported: it signs in through SSO" in err
    assert f"team 'imported-team-{SSO_TEAM:02d}': imported without members (its membership stays unmanaged)" in err
    declared = YAML(typ="safe").load(text)
    users, teams = declared["users"], declared["teams"]
    assert {_user_id(n) for n in range(USERS)} <= users.keys() and SSO_USER not in users, "teamless users too"
    assert users[_user_id(0)] == {
        "environments": ["dev"],
        "user_role": "internal_user",
        "max_budget": 10.0,
        "budget_duration": "30d",
        "rpm_limit": 50,
        "tpm_limit": 5000,
        "metadata": {"department": "d0"},
    }
    assert users[_user_id(1)] == {"environments": ["dev"], "user_role": "internal_user_viewer"}
    assert teams["imported-team-00"]["members"] == [
        {"user_id": _user_id(n), "max_budget_in_team": MEMBER_BUDGET} for n in (0, 1)
    ]
    assert teams["imported-team-01"]["members"] == [{"user_id": _user_id(1)}, {"user_id": _user_id(2)}]
    assert declared["keys"]["imported-users-key"]["user_id"] == _user_id(0)
    assert f"key 'imported-sso-key': not imported: it belongs to user {SSO_USER}, who is not imported" in err
    assert "members" not in teams[f"imported-team-{SSO_TEAM:02d}"] and "members" not in teams["imported-team-09"]
    assert declared["budgets"][TIER] == {"environments": ["dev"], **TIER_FIELDS}
    # besides: dev's shipped tiers, when test_access.py applied config/access.yaml to this database first
    shipped = YAML(typ="safe").load((ROOT / "config" / "access.yaml").read_text()).get("budgets") or {}
    assert set(declared["budgets"]) - {TIER} <= set(shipped), declared["budgets"]
    assert declared["keys"]["imported-tiered-key"]["budget_id"] == TIER, "by the tier's name, as access.yaml names it"
    hand_made = "not a tier the reconciler made for dev (made by hand, or another environment's): a budget's id is"
    assert f"budget '{HAND_MADE_BUDGET}': not imported: {hand_made}" in err
    assert f"key 'imported-hand-budget-key': not imported: it uses budget {HAND_MADE_BUDGET}, {hand_made}" in err
    assert text.index("budgets:") < text.index("keys:")

    start = time.monotonic()
    assert _cli("plan", *where) == facts.EXIT_OK, capsys.readouterr().err
    print(f"plan: {time.monotonic() - start:.1f}s")
    assert "no changes: the proxy matches the declared access" in capsys.readouterr().err

    headers = {"Authorization": f"Bearer {db_stack.key}"}
    live = httpx.get(f"{db_stack.url}/key/list", params={"return_full_object": "true", "size": 100}, headers=headers)
    assert live.status_code == 200 and live.json()["total_pages"] > 1, "more keys than one page"
    one = next(k for k in populated.keys.values() if k.get("key_alias") == "imported-key-001")
    info = httpx.get(f"{db_stack.url}/key/info", headers={"Authorization": f"Bearer {one['key']}"}, timeout=30)
    assert info.status_code == 200, "an imported key keeps its value"

    assert _cli("import", *where) == facts.EXIT_OK  # a second import finds everything declared
    err = capsys.readouterr().err
    assert "imported 0 budget tier(s), 0 user(s), 0 team(s) and 0 key(s)" in err and "derived alias:" not in err
    assert f"budget tier '{TIER}': already declared in the file" in err
    assert (config / "access.yaml").read_text() == text
