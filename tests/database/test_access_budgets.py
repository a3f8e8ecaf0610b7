"""Budget tiers (LiteLLM's budget objects) and model access groups as code, reconciled by gateway_access with
the real proxy on real PostgreSQL: tiers created with the proof in their id, a key over its tier's budget
refused and served again once LiteLLM's reset job resets the tier, drift made by hand found, --prune deleting
only the reconciler's tiers, and a key limited to an access group. Its own environment name, so no other
module's plan sees its objects; deleted at the end."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from litellm_bundle.core.wait import wait_until
from tests.integration.conftest import Stack

from .conftest import METERED, PRICED, RESET_JOB_SECONDS
from .test_access_members import delete_teams, master_client, run

pytestmark = pytest.mark.proxy

ENV = "budgets-test"
LIMITS = {"max_budget": None, "budget_duration": None, "rpm_limit": None, "tpm_limit": None}
TIER = {**LIMITS, "soft_budget": None, "max_parallel_requests": None}
KEY = {**LIMITS, "team": "metered", "metadata": {}, "value_env": None, "allowed_routes": None, "user_id": None}
HAND_MADE = "hand-made-tier"


def desired() -> dict[str, Any]:
    return {
        "environment": ENV,
        "budgets": {
            "tiny-tier": {**TIER, "max_budget": 0.3},  # each answer on the priced group costs about $0.2
            "spare-tier": {**TIER, "max_budget": 50.0, "rpm_limit": 100},
        },
        "teams": {"metered": {**LIMITS, "models": [METERED], "metadata": {}}},  # an access group, not a group
        "keys": {
            "tier-key": {**KEY, "models": [PRICED], "budget_id": "tiny-tier"},  # no limits of its own
            "group-key": {**KEY, "models": [METERED], "budget_id": "spare-tier"},
        },
    }


def _cleanup(client: httpx.Client) -> None:
    delete_teams(client, "metered")
    for budget in client.get("/budget/list").json():
        if budget["budget_id"].split(".")[0] in ("tiny-tier", "spare-tier", HAND_MADE):
            client.post("/budget/delete", json={"id": budget["budget_id"]})


@pytest.fixture(scope="module")
def admin(db_stack: Stack) -> Iterator[httpx.Client]:
    with master_client(db_stack, _cleanup) as client:
        yield client


def budgets(client: httpx.Client) -> dict[str, dict[str, Any]]:
    """Tier name -> live budget, for the tiers of this test (their ids: name.proof)."""
    found = {b["budget_id"]: b for b in client.get("/budget/list").json()}
    return {i.split(".")[0]: b for i, b in found.items() if i.split(".")[0] in ("tiny-tier", "spare-tier", HAND_MADE)}


def chat(stack: Stack, key: str, model: str) -> Any:
    client = openai.OpenAI(base_url=f"{stack.url}/v1", api_key=key, max_retries=0, timeout=60)
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hello there"}])


def served(stack: Stack, key: str) -> bool:
    try:
        return bool(chat(stack, key, PRICED).choices[0].message.content)
    except openai.APIStatusError:
        return False


def test_budget_tiers_are_applied_enforced_reset_and_pruned_and_access_groups_bind(
    db_stack: Stack, admin: httpx.Client, tmp_path: Path
) -> None:
    assert admin.post("/budget/new", json={"budget_id": HAND_MADE, "max_budget": 1.0}).status_code == 200
    first = run(db_stack, tmp_path, desired(), "plan")
    assert first.returncode == 3 and "+ budget tiny-tier" in first.stderr and "+ budget spare-tier" in first.stderr
    keys = tmp_path / "keys.env"
    applied = run(db_stack, tmp_path, desired(), "apply", "--keys-to", f"env-file:{keys}")
    assert applied.returncode == 0, applied.stderr
    again = run(db_stack, tmp_path, desired(), "plan")
    assert again.returncode == 0 and "no changes" in again.stderr, again.stderr
    live = budgets(admin)
    assert (live["tiny-tier"]["max_budget"], live["spare-tier"]["rpm_limit"]) == (0.3, 100)
    assert live["tiny-tier"]["budget_id"] != "tiny-tier", "the live id carries the reconciler's proof"
    values = dict(line.split("=", 1) for line in keys.read_text().splitlines())
    tier_key, group_key = values["LITELLM_KEY_TIER_KEY"], values["LITELLM_KEY_GROUP_KEY"]
    info = admin.get("/key/info", params={"key": tier_key}).json()["info"]
    assert info["budget_id"] == live["tiny-tier"]["budget_id"] and info["max_budget"] is None

    # the access group: its key calls the priced group, which the group holds, and nothing else
    assert chat(db_stack, group_key, PRICED).choices[0].message.content
    with pytest.raises(openai.APIStatusError) as outside:
        chat(db_stack, group_key, "gpt-4o-mini")
    assert outside.value.status_code in (401, 403), outside.value

    # drift made by hand on a tier is found and undone
    by_hand = admin.post("/budget/update", json={"budget_id": live["spare-tier"]["budget_id"], "max_budget": 999.0})
    assert by_hand.status_code == 200, by_hand.text
    drift = run(db_stack, tmp_path, desired(), "plan")
    assert drift.returncode == 3 and "~ budget spare-tier: max_budget 999.0 -> 50.0" in drift.stderr, drift.stderr

    # the tier's budget binds for its key (the key has none of its own)
    refused = None
    for _ in range(8):
        try:
            chat(db_stack, tier_key, PRICED)
        except openai.APIStatusError as exc:
            refused = exc
            break
    assert refused is not None and "Budget has been exceeded" in str(refused), refused
    assert "Max budget: 0.3" in str(refused), "the tier's budget, the key has none"

    # the tier gets a short budget_duration: LiteLLM's reset job (every RESET_JOB_SECONDS here) resets the
    # spend of the tier's keys and the key is served again; spare-tier, no longer declared, is pruned, the
    # budget made by hand is not
    changed = copy.deepcopy(desired())
    changed["budgets"]["tiny-tier"]["budget_duration"] = f"{RESET_JOB_SECONDS}s"
    del changed["budgets"]["spare-tier"]
    changed["keys"]["group-key"]["budget_id"] = None
    done = run(db_stack, tmp_path, changed, "apply", "--prune", "--keys-to", "-")
    assert done.returncode == 0, done.stderr
    assert (
        f"~ budget tiny-tier: budget_duration unset -> '{RESET_JOB_SECONDS}s'" in done.stderr
        and "- budget spare-tier" in done.stderr
    )
    assert set(budgets(admin)) == {"tiny-tier", HAND_MADE}
    wait_until(lambda: served(db_stack, tier_key), 30, 0.5, "the tier's reset to serve its key again")
    assert admin.get("/key/info", params={"key": tier_key}).json()["info"]["spend"] < 0.3, "the reset zeroed it"
    assert run(db_stack, tmp_path, changed, "plan", "--prune").returncode == 0
