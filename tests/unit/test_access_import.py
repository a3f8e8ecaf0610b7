"""`access import`: which live teams and keys become access.yaml entries, the aliases derived for the
others, what is adopted and what is left out (and why), the file written around what it declares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway_access import sinks, state
from litellm_bundle.cli.main import main
from litellm_bundle.core import facts
from litellm_bundle.core.yamlio import load_yaml
from litellm_bundle.runtime import access, access_import
from tests.helpers import ROOT, checkout_tree

MASTER = "sk-master-of-the-test"
HIDDEN = (state.MANAGED_BY, state.PROOF)


def rules(declared: dict[str, set[str]] | None = None, doc: Any = None) -> access_import.Rules:
    tree = checkout_tree()
    found = access_import._rules(tree, "dev", doc, access.reconciler(tree), state.Signer(MASTER))
    assert isinstance(found, access_import.Rules), found
    if declared:
        found.declared = {**found.declared, **declared}
    return found


def team(team_id: str, alias: str | None, models: list[str], **fields: Any) -> dict[str, Any]:
    return {"team_id": team_id, "team_alias": alias, "models": models, "metadata": {}, **fields}


def key(token: str, alias: str | None, team_id: str | None, models: list[str] | None = None, **fields: Any) -> dict:
    return {"token": token, "key_alias": alias, "team_id": team_id, "models": models or [], "metadata": {}, **fields}


def owned(kind: str, live: dict[str, Any], env: str = "dev") -> dict[str, Any]:
    ident = live[access_import.ID_FIELD[kind]]
    metadata = state.managed_metadata({"environment": env}, live["metadata"], state.Signer(MASTER), kind, ident)
    return {**live, "metadata": metadata}


def test_teams_and_keys_become_entries_of_the_environment_and_are_adopted() -> None:
    teams = [
        team("t-1", "search", ["gpt-4o-mini", "text-embedding"], max_budget=10.0, budget_duration="30d",
             metadata={"cost_center": "4711", "tags": ["product"]}),
    ]  # fmt: skip
    keys = [
        key("a" * 64, "search-backend", "t-1", ["gpt-4o-mini"], rpm_limit=60, metadata={"owner": "me"}),
        key("b" * 64, "search-batch", "t-1", tpm_limit=1000, allowed_routes=["/v1/embeddings"]),
    ]
    sel = access_import.select(teams, keys, rules(), HIDDEN)
    assert sel.entries == {
        "users": {},
        "budgets": {},
        "teams": {
            "search": {
                "environments": ["dev"],
                "models": ["gpt-4o-mini", "text-embedding"],
                "max_budget": 10.0,
                "budget_duration": "30d",
                "tags": ["product"],
                "metadata": {"cost_center": "4711"},
            }
        },
        "keys": {
            "search-backend": {
                "team": "search",
                "environments": ["dev"],
                "models": ["gpt-4o-mini"],
                "rpm_limit": 60,
                "metadata": {"owner": "me"},
            },
            "search-batch": {
                "team": "search",
                "environments": ["dev"],
                "allowed_routes": ["/v1/embeddings"],
                "tpm_limit": 1000,
            },
        },
    }
    # a key without models of its own (LiteLLM: the team's) gets the team's list written with the adoption
    assert sel.adopt == {
        "user": {},
        "team": {"t-1": {}},
        "key": {"a" * 64: {}, "b" * 64: {"models": ["gpt-4o-mini", "text-embedding"]}},
    }
    assert not sel.derived and not sel.skipped


def test_aliases_are_derived_from_ids_stable_valid_and_collision_free() -> None:
    teams = [
        team("0f3c2a9e-1111-4a4a-9b9b-000000000001", None, ["gpt-4o"]),
        team("77aa", "Ops Team (EU)", ["gpt-4o"]),
        team("88bb", "ops", ["gpt-4o"]),
        team("99cc", "ops", ["gpt-4o"]),  # LiteLLM does not keep team aliases unique
    ]
    keys = [
        key("abcdef01" + "1" * 56, None, "88bb"),
        key("abcdef01" + "2" * 56, None, "88bb"),  # the same first 8 digits: more digits
        key("c" * 64, "a-b", "88bb"),
        key("d" * 64, "A.B", "88bb"),  # a.b would be LITELLM_KEY_A_B too
    ]
    sel = access_import.select(teams, keys, rules(), HIDDEN)
    assert sel.alias_of["team"] == {
        "0f3c2a9e-1111-4a4a-9b9b-000000000001": "team-0f3c2a9e",
        "77aa": "ops-team-eu-77aa",
        "88bb": "ops",
        "99cc": "ops-99cc",
    }
    assert sel.alias_of["key"] == {
        "abcdef01" + "1" * 56: "key-abcdef01",
        "abcdef01" + "2" * 56: "key-abcdef012222",
        "c" * 64: "a-b",
        "d" * 64: "a.b-dddddddd",
    }
    assert "team 'Ops Team (EU)' -> ops-team-eu-77aa (not a valid alias)" in sel.derived
    assert "team 'ops' -> ops-99cc (taken)" in sel.derived
    assert "key (no alias, token abcdef011111) -> key-abcdef01" in sel.derived
    assert len(set(map(sinks.variable, sel.entries["keys"]))) == len(sel.entries["keys"]) == 4
    assert sel.adopt["team"]["77aa"] == {"team_alias": "ops-team-eu-77aa"}
    assert sel.adopt["key"]["d" * 64] == {"key_alias": "a.b-dddddddd", "models": ["gpt-4o"]}
    assert access_import.select(teams, keys, rules(), HIDDEN).alias_of == sel.alias_of, "stable"


def test_what_access_yaml_cannot_declare_or_is_not_ours_to_adopt_is_left_out_with_the_reason() -> None:
    teams = [
        team("t-all", "everything", []),
        team("t-odd", "odd", ["fake-priced"]),
        team("t-nest", "nested", ["gpt-4o"], metadata={"logging": [{"callback": "x"}]}),
        owned("team", team("t-stg", "staging-team", ["gpt-4o"]), env="staging"),
        team("t-ok", "ok", ["gpt-4o"]),
    ]
    keys = [
        key("1" * 64, "no-team", None),
        key("2" * 64, "in-everything", "t-all"),
        key("3" * 64, "forged", "t-ok", metadata={state.MANAGED_BY: "litellm-gateway-bundle/dev"}),
        key("4" * 64, "outside", "t-ok", ["gpt-4o-mini"]),
        key("5" * 64, "gateway-access.lease.dev.3", None, metadata={"gateway_lease": {"expires": 0}}),
        key("6" * 64, "ok@next", "t-ok", metadata={"gateway_pending": "created"}),
    ]
    sel = access_import.select(teams, keys, rules(), HIDDEN)
    assert sel.entries["teams"].keys() == {"ok"} and not sel.entries["keys"]
    assert sel.internal == 2
    assert sel.skipped == [
        "team 'everything': not imported: it may call every model (models: []), which access.yaml does not declare",
        "team 'nested': not imported: metadata.logging.0: {'callback': 'x'} is not of type 'string'",
        "team 'odd': not imported: it may call fake-priced, not a model group enabled in dev",
        "team 'staging-team': managed by litellm-gateway-bundle/staging",
        "key 'no-team': not imported: it belongs to no team (access.yaml declares keys of a team)",
        "key 'in-everything': not imported: its team t-all is not imported",
        "key 'forged': carries the bundle's mark for dev but not the reconciler's proof (someone else made it); "
        "not adopted",
        "key 'outside': not imported: it may call gpt-4o-mini, not a model group of its team enabled in dev",
    ]
    assert sel.adopt == {"user": {}, "team": {"t-ok": {}}, "key": {}}


def test_objects_already_the_reconcilers_are_declared_without_adopting_and_declared_aliases_left_to_plan() -> None:
    teams = [owned("team", team("t-1", "made", ["gpt-4o"])), team("t-2", "declared", ["gpt-4o"])]
    keys = [owned("key", key("e" * 64, "made-key", "t-1", ["gpt-4o"]))]
    sel = access_import.select(teams, keys, rules({"teams": {"declared"}}), HIDDEN)
    assert sel.entries == {
        "users": {},
        "budgets": {},
        "teams": {"made": {"environments": ["dev"], "models": ["gpt-4o"]}},
        "keys": {"made-key": {"team": "made", "environments": ["dev"], "models": ["gpt-4o"]}},
    }, "the mark and the proof are never written to the file"
    assert sel.adopt == {"user": {}, "team": {}, "key": {}}
    assert sel.skipped == ["team 'declared': already declared in the file"]


def user(user_id: str, role: str | None = "internal_user", **fields: Any) -> dict[str, Any]:
    return {"user_id": user_id, "user_role": role, "metadata": {}, "teams": [], "models": [], **fields}


def member(user_id: str, role: str = "user") -> dict[str, Any]:
    return {"user_id": user_id, "user_email": None, "role": role}


def test_users_and_the_members_of_imported_teams_are_imported_as_plan_compares_them() -> None:
    users = [
        user("alice@example.com", max_budget=20.0, budget_duration="30d", tpm_limit=5000,
             metadata={"department": "search", "tags": ["a"]}),
        user("bob", "internal_user_viewer"),
        user("default_user_id", "proxy_admin"),
        user("sso-carol", sso_user_id="00u1"),
        user("scim-dan", metadata={"scim_metadata": {"givenName": "Dan"}, "scim_active": True}),
        user("no-role", None),
        user("Bad User!"),
        user("forged", metadata={state.MANAGED_BY: "litellm-gateway-bundle/dev"}),
        owned("user", user("made")),
    ]  # fmt: skip
    admin = member("default_user_id", "admin")  # /team/new adds the master key's user to every team it makes
    alice, carol = member("alice@example.com"), member("sso-carol")
    budget = [
        {"user_id": "bob", "litellm_budget_table": {"max_budget": 3.0, "budget_duration": "1d", "rpm_limit": None}}
    ]
    teams = [
        team("t-1", "search", ["gpt-4o"], members_with_roles=[admin, member("bob"), {**alice, "role": "admin"}],
             team_memberships=budget),
        team("t-2", "mixed", ["gpt-4o"], members_with_roles=[admin, alice, carol]),
        team("t-3", "alone", ["gpt-4o"], members_with_roles=[admin]),
        team("t-4", "declared-member", ["gpt-4o"], members_with_roles=[member("erin")]),
    ]  # fmt: skip
    keys = [
        key("1" * 64, "bobs", "t-1", user_id="bob"),
        key("2" * 64, "carols", "t-2", user_id="sso-carol"),
        key("3" * 64, "erins", "t-1", user_id="erin"),
        key("4" * 64, "tiered", "t-3", budget_id="by-hand"),
    ]
    found = rules({"users": {"erin"}})
    found.users_here = {"erin"}
    sel = access_import.select(teams, keys, found, HIDDEN, live_users=users)
    assert sel.entries["users"] == {
        "alice@example.com": {
            "environments": ["dev"],
            "user_role": "internal_user",
            "max_budget": 20.0,
            "budget_duration": "30d",
            "tpm_limit": 5000,
            "metadata": {"department": "search", "tags": ["a"]},
        },
        "bob": {"environments": ["dev"], "user_role": "internal_user_viewer"},
        "made": {"environments": ["dev"], "user_role": "internal_user"},
    }
    assert sel.adopt["user"] == {"alice@example.com": {}, "bob": {}}, "the reconciler's own user: not adopted again"
    assert sel.entries["teams"]["search"]["members"] == [
        {"user_id": "alice@example.com", "role": "admin"},
        {"user_id": "bob", "max_budget_in_team": 3.0, "budget_duration": "1d"},  # its budget in the team
    ]
    assert sel.entries["keys"].keys() == {"bobs"} and sel.entries["keys"]["bobs"]["user_id"] == "bob"
    assert "members" not in sel.entries["teams"]["mixed"], "sso-carol is not imported: membership unmanaged"
    assert "members" not in sel.entries["teams"]["alone"], "no members but the master key's user"
    assert sel.entries["teams"]["declared-member"]["members"] == [{"user_id": "erin"}]
    assert sel.skipped == [
        "user 'Bad User!': not imported: not a user_id access.yaml can declare (letters, digits, '.', '_', '-', "
        "'@', '+'; 128 at most)",
        "user 'default_user_id': not imported: the master key's user (LiteLLM's own bookkeeping), never declared",
        "user 'forged': carries the bundle's mark for dev but not the reconciler's proof (someone else made it); "
        "not adopted",
        "user 'no-role': not imported: it has no user_role (access.yaml declares one)",
        "user 'scim-dan': not imported: provisioned by SCIM (the identity provider manages it)",
        "user 'sso-carol': not imported: it signs in through SSO, whose sign-in sets its role (the identity "
        "provider manages it)",
        "team 'mixed': imported without members (its membership stays unmanaged): member(s) not imported as "
        "users: sso-carol",
        "key 'carols': not imported: it belongs to user sso-carol, who is not imported (a key names a declared user)",
        "key 'erins': not imported: it belongs to user erin, who is not a member of its team",
        "key 'tiered': not imported: it uses budget by-hand, not a tier the reconciler made for dev (made by hand, "
        "or another environment's): a budget's id is its identity and LiteLLM cannot rename one, so it cannot be "
        "adopted",
    ]
    # a user whose adoption was refused (changed since it was read) takes its teams' members with it
    access_import._without(sel, {"user": {"bob": "carries the mark ..."}})
    assert "bob" not in sel.entries["users"] and "members" not in sel.entries["teams"]["search"]
    assert not sel.entries["keys"], "bob's key goes with bob"


def test_tiers_the_reconciler_made_are_imported_by_name_and_their_keys_name_them_as_plan_maps_them() -> None:
    signer, dev = state.Signer(MASTER), {"environment": "dev"}
    batch, declared = state.budget_id(dev, "batch", signer), state.budget_id(dev, "declared", signer)
    staging = state.budget_id({"environment": "staging"}, "batch", signer)
    budgets = [
        {"budget_id": batch, "max_budget": 100.0, "budget_duration": "30d", "rpm_limit": 120, "tpm_limit": None,
         "soft_budget": None, "max_parallel_requests": 4, "created_by": "default_user_id", "allowed_models": []},
        {"budget_id": declared, "max_budget": 5.0},
        {"budget_id": "by-hand", "max_budget": 1.0},
        {"budget_id": staging, "max_budget": 1.0},  # staging's tier: not dev's
        {"budget_id": "member-budget", "max_budget": 2.0},  # LiteLLM's, for a member in t-1
    ]  # fmt: skip
    teams = [team("t-1", "search", ["gpt-4o"], team_memberships=[{"user_id": "x", "budget_id": "member-budget"}])]
    keys = [
        key("1" * 64, "on-batch", "t-1", budget_id=batch),
        key("2" * 64, "on-declared", "t-1", budget_id=declared),
        key("3" * 64, "on-hand-made", "t-1", budget_id="by-hand"),
        key("4" * 64, "on-staging", "t-1", budget_id=staging),
    ]
    found = rules({"budgets": {"declared"}})
    found.tiers_here = {"declared"}
    sel = access_import.select(teams, keys, found, HIDDEN, live_budgets=budgets)
    assert sel.entries["budgets"] == {
        "batch": {
            "environments": ["dev"],
            "max_budget": 100.0,
            "budget_duration": "30d",
            "rpm_limit": 120,
            "max_parallel_requests": 4,
        }
    }
    assert {alias: k["budget_id"] for alias, k in sel.entries["keys"].items()} == {
        "on-batch": "batch",
        "on-declared": "declared",
    }
    # what plan sends for the declared name is the live id again: no change after the import
    assert state.budget_id(dev, sel.entries["keys"]["on-batch"]["budget_id"], signer) == batch
    hand_made = (
        "not a tier the reconciler made for dev (made by hand, or another environment's): a budget's id is its "
        "identity and LiteLLM cannot rename one, so it cannot be adopted"
    )
    assert sel.skipped == [
        f"budget '{staging}': not imported: {hand_made}",  # in the order of the ids
        f"budget 'by-hand': not imported: {hand_made}",
        "budget tier 'declared': already declared in the file",
        f"key 'on-hand-made': not imported: it uses budget by-hand, {hand_made}",
        f"key 'on-staging': not imported: it uses budget {staging}, {hand_made}",
    ], "the member's budget is LiteLLM's bookkeeping, not reported"
    assert sel.adopt["key"].keys() == {"1" * 64, "2" * 64}, "a tier needs no adoption: its proof is its id"
    text = access_import._merged(None, sel)
    assert text.index("budgets:\n  batch:") < text.index("teams:") < text.index("keys:")


def test_the_file_keeps_its_comments_and_entries_and_gains_the_imported_ones(tmp_path: Path) -> None:
    source = tmp_path / "access.yaml"
    source.write_text("# our access\n\nteams:\n  mine:  # kept\n    models: [gpt-4o]\noverrides: {}\n")
    doc, problems = load_yaml(source, "access.yaml")
    assert not problems
    sel = access_import.Selection()
    sel.entries["teams"]["theirs"] = {"environments": ["dev"], "models": ["gpt-4o-mini"]}
    text = access_import._merged(doc, sel)
    assert text.startswith("# our access\n\nteams:\n  mine:  # kept\n")
    assert text.index("  theirs:") > text.index("  mine:") and text.rstrip().endswith("overrides: {}")
    assert access_import._merged(None, sel).startswith("# Budget tiers, internal users, teams and virtual keys")


def test_import_through_the_cli_needs_the_master_key_refuses_plan_options_and_fails_cleanly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = ["--root", str(ROOT), "access", "import", "--url", "http://127.0.0.1:9", "--into", str(tmp_path / "a.yaml")]
    monkeypatch.delenv("LITELLM_MASTER_KEY", raising=False)
    assert main(args) == facts.EXIT_PROBLEMS
    assert "LITELLM_MASTER_KEY is not set" in capsys.readouterr().err
    monkeypatch.setenv("LITELLM_MASTER_KEY", MASTER)
    assert main([*args, "--prune"]) == facts.EXIT_USAGE
    assert "import takes no --prune" in capsys.readouterr().err
    assert main([*args, "--env", "nowhere"]) == facts.EXIT_USAGE
    assert main(args) == facts.EXIT_PROBLEMS  # nothing listens there: no traceback, nothing written
    assert "access: GET /v2/team/list: ConnectError" in capsys.readouterr().err
    assert not (tmp_path / "a.yaml").exists()
    plan = ["--root", str(ROOT), "access", "plan", "--url", "http://127.0.0.1:9", "--into", "x.yaml"]
    assert main(plan) == facts.EXIT_USAGE
