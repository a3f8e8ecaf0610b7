"""Budget tiers, member budgets, a key's user and model access groups in access.yaml: validated (references
at file:line, what LiteLLM 1.108.7 takes only with an Enterprise licence refused), rendered into
access.json, and planned by gateway_access (a tier's live id carries the proof, --prune takes only its own)."""

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
  alice: {}
  bob: {}
budgets:
  small: {max_budget: 5, budget_duration: 1d, rpm_limit: 60}
teams:
  search:
    models: [cheap, gpt-4o]
    members:
      - {user_id: alice, max_budget_in_team: 2.5, budget_duration: 7d}
  other:
    models: [gpt-4o-mini]
keys:
  uses-tier:
    team: search
    budget_id: small
    user_id: alice
  in-group:
    team: search
    models: [gpt-4o-mini]
  the-group:
    team: search
    models: [cheap]
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """The shipped config with the access above and gpt-4o-mini's dev deployment in the access group `cheap`."""
    found = tmp_path / "config"
    shutil.copytree(ROOT / "config", found)
    (found / "access.yaml").write_text(ACCESS)
    models = found / "models.yaml"
    text = models.read_text()
    fake = "model: fake-gpt-4o-mini\n        model_info: {base_model: gpt-4o-mini}"
    assert fake in text
    models.write_text(text.replace(fake, fake[:-1] + ", access_groups: [cheap]}"))
    return found


def problems_of(config: Path, text: str) -> list[tuple[int, str, str]]:
    (config / "access.yaml").write_text(text)
    _, problems = validate_root(envs=["dev"], config_dir=config)
    return sorted((p.location.line, p.check, p.message) for p in problems)


def test_tiers_users_and_access_groups_that_exist_validate(config: Path) -> None:
    assert problems_of(config, ACCESS) == []


def test_an_unknown_tier_or_user_and_a_name_neither_group_nor_access_group_are_errors_at_their_line(
    config: Path,
) -> None:
    broken = (
        ACCESS.replace("budget_id: small", "budget_id: large")
        .replace("user_id: alice\n", "user_id: carol\n")
        .replace("models: [cheap]\n", "models: [pricey]\n")
    )
    assert problems_of(config, broken) == [
        (16, "unknown-budget", "key 'uses-tier' names budget tier 'large', which is not declared for dev (budgets "
         "there: small)"),
        (17, "unknown-key-user", "key 'uses-tier' belongs to user 'carol', who is not a user declared for dev (users "
         "there: alice, bob)"),
        (23, "key-models-outside-team", "key 'the-group' may call pricey, which its team 'search' may not (team "
         "models: cheap, gpt-4o); LiteLLM refuses such a key"),
        (23, "model-group-not-enabled", "key 'the-group' may call 'pricey', which is not a model group enabled in dev "
         "(enabled: claude-sonnet, gpt-4o, gpt-4o-mini, long-context, text-embedding) nor an access group of one "
         "(access groups: cheap)"),
    ]  # fmt: skip
    not_member = ACCESS.replace("user_id: alice\n", "user_id: bob\n")
    assert problems_of(config, not_member) == [
        (17, "unknown-key-user", "key 'uses-tier' belongs to user 'bob', who is not a member of its team 'search' "
         "(members: alice)"),
    ]  # fmt: skip


def test_a_key_in_a_team_whose_models_do_not_include_the_keys_is_an_error(config: Path) -> None:
    # the-group names the access group, which team `other` does not: outside; gpt-4o-mini is inside `cheap`
    moved = ACCESS.replace("  the-group:\n    team: search", "  the-group:\n    team: other")
    assert problems_of(config, moved) == [
        (23, "key-models-outside-team", "key 'the-group' may call cheap, which its team 'other' may not (team models: "
         "gpt-4o-mini); LiteLLM refuses such a key"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("edit", "line", "says"),
    [
        (("users:", "organizations: {eng: {}}\nusers:"), 1,
         "organizations are an Enterprise feature of LiteLLM 1.108.7"),
        (("    budget_id: small", "    budget_id: small\n    guardrails: [redact-secrets]"), 17,
         "per key and per team guardrails are an Enterprise feature of LiteLLM 1.108.7"),
        (("    models: [gpt-4o-mini]\nkeys", "    models: [gpt-4o-mini]\n    allowed_routes: [/metrics]\nkeys"), 13,
         "LiteLLM 1.108.7 has allowed_routes on keys only"),
    ],
)  # fmt: skip
def test_what_needs_an_enterprise_licence_or_litellm_lacks_is_refused_naming_why(
    config: Path, edit: tuple[str, str], line: int, says: str
) -> None:
    found = problems_of(config, ACCESS.replace(*edit, 1))
    assert [(n, check) for n, check, _ in found] == [(line, "schema")] and says in found[0][2], found


def test_tiers_a_keys_tier_and_user_and_member_budgets_are_rendered(config: Path) -> None:
    rendered = json.loads(render_one(BundleTree.at(ROOT, config_dir=config), "dev")["access.json"])
    assert rendered["budgets"] == {
        "small": {"max_budget": 5, "soft_budget": None, "budget_duration": "1d", "rpm_limit": 60, "tpm_limit": None,
                  "max_parallel_requests": None},
    }  # fmt: skip
    assert (rendered["keys"]["uses-tier"]["budget_id"], rendered["keys"]["uses-tier"]["user_id"]) == ("small", "alice")
    assert rendered["keys"]["in-group"]["budget_id"] is None
    member = rendered["teams"]["search"]["members"][0]
    assert (member["max_budget_in_team"], member["budget_duration"]) == (2.5, "7d")
    state.check(rendered)


LIMITS = {"max_budget": None, "budget_duration": None, "rpm_limit": None, "tpm_limit": None}


def document(**tiers: dict[str, Any]) -> dict[str, Any]:
    tier = {**LIMITS, "soft_budget": None, "max_parallel_requests": None}
    return {
        "environment": "dev",
        "budgets": {name: {**tier, **fields} for name, fields in tiers.items()},
        "teams": {},
        "keys": {},
    }


def test_a_tier_is_created_with_the_proof_in_its_id_updated_and_pruned_only_when_ours() -> None:
    signer = state.Signer(MASTER)
    wanted = document(small={"max_budget": 5.0})
    (created,) = planning.make_plan(wanted, [], [], {}, signer).changes
    ident = created.body["budget_id"]
    assert str(created) == "+ budget small" and ident.startswith("small.") and ident != "small"
    assert state.budget_name(wanted, ident, signer) == "small"
    assert state.budget_name(wanted, ident, state.Signer("sk-other")) is None, "another master key: not ours"
    assert state.budget_name({"environment": "prod"}, ident, signer) is None, "another environment's"
    live = [{**created.body, "max_budget": 7}, {"budget_id": "small", "max_budget": 1.0}]  # the second by hand
    plan = planning.make_plan(wanted, [], [], {}, signer, live_budgets=live)
    assert [str(c) for c in plan.changes] == ["~ budget small: max_budget 7 -> 5.0"]
    gone = document()
    kept = planning.make_plan(gone, [], [], {}, signer, live_budgets=live)
    assert kept.changes == [] and kept.ignored == ["kept without --prune: budget small"]
    pruned = planning.make_plan(gone, [], [], {}, signer, prune=True, live_budgets=live)
    assert [(str(c), c.live_id) for c in pruned.changes] == [("- budget small", ident)], "not the one made by hand"
    theirs = {"token": "t-1", "key_alias": "hand-key", "budget_id": ident, "metadata": {}}
    with pytest.raises(planning.PlanError, match=r"key\(s\) the reconciler does not own use it: hand-key"):
        planning.make_plan(gone, [], [theirs], {}, signer, prune=True, live_budgets=live)


def test_member_budgets_are_compared_and_shown() -> None:
    signer = state.Signer(MASTER)
    wanted = document()
    members = [{"user_id": "bob", "role": "user", "max_budget_in_team": 2.0}]
    wanted["teams"]["search"] = {**LIMITS, "models": ["gpt-4o-mini"], "metadata": {}, "members": members}
    metadata = state.managed_metadata(wanted, {}, signer, "team", "t-1")
    team = {"team_id": "t-1", "team_alias": "search", "models": ["gpt-4o-mini"], "metadata": metadata,
            "members_with_roles": [{"user_id": "bob", "role": "user"}],
            "team_memberships": [{"user_id": "bob", "litellm_budget_table": {"max_budget": 2}}]}  # fmt: skip
    assert planning.make_plan(wanted, [team], [], {}, signer).changes == []
    team["team_memberships"] = []
    (change,) = planning.make_plan(wanted, [team], [], {}, signer).changes
    assert (
        str(change) == "~ team search: members {'bob': 'user'} -> {'bob': {'role': 'user', 'max_budget_in_team': 2.0}}"
    )
