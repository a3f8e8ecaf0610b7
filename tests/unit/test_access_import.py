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
    ident = live["team_id" if kind == "team" else "token"]
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
    assert sel.adopt == {"team": {"t-ok": {}}, "key": {}}


def test_objects_already_the_reconcilers_are_declared_without_adopting_and_declared_aliases_left_to_plan() -> None:
    teams = [owned("team", team("t-1", "made", ["gpt-4o"])), team("t-2", "declared", ["gpt-4o"])]
    keys = [owned("key", key("e" * 64, "made-key", "t-1", ["gpt-4o"]))]
    sel = access_import.select(teams, keys, rules({"teams": {"declared"}}), HIDDEN)
    assert sel.entries == {
        "teams": {"made": {"environments": ["dev"], "models": ["gpt-4o"]}},
        "keys": {"made-key": {"team": "made", "environments": ["dev"], "models": ["gpt-4o"]}},
    }, "the mark and the proof are never written to the file"
    assert sel.adopt == {"team": {}, "key": {}}
    assert sel.skipped == ["team 'declared': already declared in the file"]


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
    assert access_import._merged(None, sel).startswith("# Teams and virtual keys as code")


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
