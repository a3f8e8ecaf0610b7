"""config/access.yaml per environment: filtering, overrides, defaults, and the rendered access.json contract."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import pytest

from gateway_access import __main__ as gateway_access
from gateway_access import lease, sinks, state
from gateway_access import plan as planning
from gateway_access.api import ApiError
from litellm_bundle.build.generate import render_one
from litellm_bundle.cli.main import main
from litellm_bundle.core import facts
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.policy.policies import Policies
from litellm_bundle.runtime import access
from tests.helpers import ROOT, committed


def rendered(env: str) -> dict:
    return json.loads(committed(env, "access.json"))


def test_items_exist_where_they_are_declared_with_the_overrides_of_that_environment() -> None:
    dev, prod = rendered("dev"), rendered("prod")
    assert set(dev["keys"]) == {"platform-ci", "search-backend"} and "search-indexer" in prod["keys"]
    assert dev["teams"]["platform"]["max_budget"] == 5 and prod["teams"]["platform"]["max_budget"] == 200
    assert dev["keys"]["platform-ci"]["max_budget"] == 1 and prod["keys"]["platform-ci"]["max_budget"] == 5
    assert dev["teams"]["platform"]["rpm_limit"] == 600, "an override changes only what it names"


def test_keys_default_to_their_teams_models_and_tags_live_in_metadata() -> None:
    prod = rendered("prod")
    assert prod["keys"]["search-backend"]["models"] == prod["teams"]["search"]["models"]
    assert prod["teams"]["platform"]["metadata"] == {"cost_center": "1001", "tags": ["internal"]}
    generated = {alias for alias, key in prod["keys"].items() if key["value_env"] is None}
    assert generated == set(prod["keys"]) - {"prometheus"}, "only the scraper key's value comes from a secret"
    assert prod["keys"]["prometheus"]["value_env"] == "LITELLM_METRICS_KEY"
    assert prod["keys"]["prometheus"]["allowed_routes"] == ["/metrics"]
    assert all(key["allowed_routes"] is None for alias, key in prod["keys"].items() if alias != "prometheus")


def test_every_rendered_access_json_matches_the_contract_the_reconciler_checks(checkout_policies: Policies) -> None:
    validator = checkout_policies.validator(checkout_policies.source_schema("access-state.schema.json"))
    for env in ("dev", "staging", "prod"):
        document = rendered(env)
        assert list(validator.iter_errors(document)) == []
        assert state.check(document) is document
        assert document["environment"] == env


def test_a_key_value_from_a_declared_reference_is_named_never_copied(repo_copy: Path) -> None:
    (repo_copy / "config" / "access.yaml").write_text(
        (repo_copy / "config" / "access.yaml")
        .read_text()
        .replace("    rpm_limit: 60\n", "    rpm_limit: 60\n    value: os.environ/PLATFORM_CI_KEY\n")
    )
    secrets = repo_copy / "config" / "secrets.yaml"
    secrets.write_text(
        secrets.read_text() + "  PLATFORM_CI_KEY:\n    description: The CI key's value.\n    sources:\n"
        "      dev: {env: PLATFORM_CI_KEY}\n      staging: {kubernetes_secret: {name: ci-keys, key: platform}}\n"
        "      prod: {external: {store: vault-backend, key: prod/keys, property: platform-ci}}\n"
    )
    files = render_one(BundleTree.at(repo_copy), "staging")
    assert json.loads(files["access.json"])["keys"]["platform-ci"]["value_env"] == "PLATFORM_CI_KEY"
    from ruamel.yaml import YAML

    values = YAML(typ="safe").load(files["values.yaml"])
    assert {"name": "PLATFORM_CI_KEY", "secretName": "ci-keys", "key": "platform"} in values["access"]["secretEnv"]
    assert "PLATFORM_CI_KEY" not in {e["name"] for e in values["secretEnv"]}, "the proxy does not get the key value"
    prod = YAML(typ="safe").load(render_one(BundleTree.at(repo_copy), "prod")["values.yaml"])
    synced = {d["secretKey"] for item in prod["externalSecrets"]["items"] for d in item["data"]}
    assert "PLATFORM_CI_KEY" in synced, "an external reference of a key value is synced like the others"


def test_without_access_yaml_nothing_is_declared(repo_copy: Path) -> None:
    (repo_copy / "config" / "access.yaml").unlink()
    prod = repo_copy / "config" / "environments" / "prod.yaml"  # nothing to scrape /metrics/ with: keep it open
    prod.write_text(
        prod.read_text().replace("require_auth_for_metrics_endpoint: true", "require_auth_for_metrics_endpoint: false")
    )
    policy = repo_copy / "policies" / "environments" / "prod.policy.json"
    policy.write_text(
        policy.read_text().replace(
            '"require_auth_for_metrics_endpoint": {"const": true}', '"require_auth_for_metrics_endpoint": true'
        )
    )
    from ruamel.yaml import YAML

    files = render_one(BundleTree.at(repo_copy), "prod")
    assert json.loads(files["access.json"]) == {
        "environment": "prod",
        "users": {},
        "budgets": {},
        "teams": {},
        "keys": {},
    }
    assert YAML(typ="safe").load(files["values.yaml"])["access"]["enabled"] is False, (
        "no access Job without declared access"
    )


def test_the_reconciler_exits_with_the_tooling_s_codes() -> None:
    """gateway_access cannot import the tooling (it runs in the official image): its codes are held equal here."""
    assert (
        gateway_access.EXIT_OK,
        gateway_access.EXIT_FAILED,
        gateway_access.EXIT_DRIFT,
        gateway_access.EXIT_LOCKED,
    ) == (facts.EXIT_OK, facts.EXIT_PROBLEMS, facts.EXIT_DRIFT, facts.EXIT_LOCKED)
    with pytest.raises(SystemExit) as usage:  # argparse's usage error
        gateway_access.main(["nonsense"])
    assert usage.value.code == facts.EXIT_USAGE


def test_what_the_reconciler_refuses_is_a_problem_of_config_access(tmp_path: Path) -> None:
    desired = tmp_path / "access.json"
    desired.write_text(committed("dev", "access.json"))
    environ = {"LITELLM_MASTER_KEY": "sk-test"}
    tree = BundleTree.at(ROOT)
    result = access.reconcile(tree, "dev", "plan", "http://127.0.0.1:9", desired, environ, rotate=("nobody",))
    assert [(str(p.location), p.env, p.check, p.message) for p in result.problems] == [
        ("config/access.yaml:1:1", "dev", "access-refused", "--rotate: no declared key nobody")
    ]
    with pytest.raises(RuntimeError, match="LITELLM_MASTER_KEY is not set"):
        access.reconcile(tree, "dev", "plan", "http://127.0.0.1:9", desired, {})


def test_access_plan_reports_through_the_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LITELLM_MASTER_KEY", "sk-test")
    args = ["--root", str(ROOT), "access", "plan", "--url", "http://127.0.0.1:9", "--env", "dev"]
    assert main([*args, "--rotate", "nobody"]) == facts.EXIT_PROBLEMS
    err = capsys.readouterr().err
    assert "config/access.yaml:1:1: [dev] --rotate: no declared key nobody [access-refused]" in err
    assert err.splitlines()[-1] == "access plan failed: 1 error(s), 0 warning(s)"
    assert main(args) == facts.EXIT_PROBLEMS  # nothing listens there: the run fails, no traceback
    assert "access: GET /v2/team/list: ConnectError" in capsys.readouterr().err
    apply = ["--root", str(ROOT), "access", "apply", "--url", "http://127.0.0.1:9", "--env", "dev"]
    assert main(apply) == facts.EXIT_USAGE  # a new key's value printed where nobody asked for it: no default
    assert "apply needs --keys-to" in capsys.readouterr().err


def test_another_run_holding_the_lease_is_its_own_exit_code_through_the_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LITELLM_MASTER_KEY", "sk-test")

    def held(*args: object, **kwargs: object) -> object:
        raise lease.LeaseHeld("another run holds the access lease of dev")

    assert access.reconciler(BundleTree.at(ROOT)) is gateway_access  # the tooling runs the Job's own code
    monkeypatch.setattr(gateway_access, "prepare", held)
    apply = ["--root", str(ROOT), "access", "apply", "--url", "http://127.0.0.1:9", "--env", "dev", "--keys-to", "-"]
    assert main(apply) == facts.EXIT_LOCKED
    assert "another run holds the access lease of dev" in capsys.readouterr().err


class FakeProxy:
    """The management API as gateway_access uses it, in memory, with LiteLLM's rules that matter here: key
    aliases are unique, a token is a primary key, /team/delete deletes the team's keys."""

    def __init__(self, master_key: str = "sk-master") -> None:
        self.master_key = master_key
        self.team_rows: dict[str, dict[str, Any]] = {}
        self.key_rows: dict[str, dict[str, Any]] = {}
        self.values: dict[str, str] = {}  # token -> value, for authenticates()
        self.budget_rows: dict[str, dict[str, Any]] = {}

    def budgets(self) -> list[dict[str, Any]]:
        return [dict(b) for b in self.budget_rows.values()]

    def create_budget(self, body: dict[str, Any]) -> None:
        if body["budget_id"] in self.budget_rows:
            raise ApiError("POST /budget/new: HTTP 400: already exists")
        self.budget_rows[body["budget_id"]] = dict(body)

    def update_budget(self, body: dict[str, Any]) -> None:
        self.budget_rows[body["budget_id"]].update(body)

    def delete_budget(self, budget_id: str) -> None:
        del self.budget_rows[budget_id]

    def teams(self) -> list[dict[str, Any]]:
        return [dict(t) for t in self.team_rows.values()]

    def keys(self) -> list[dict[str, Any]]:
        return [dict(k) for k in self.key_rows.values()]

    def create_team(self, body: dict[str, Any]) -> dict[str, Any]:
        self.team_rows[body["team_id"]] = dict(body)
        return dict(body)

    def update_team(self, team_id: str, body: dict[str, Any]) -> None:
        self.team_rows[team_id].update(body)

    def delete_teams(self, team_ids: list[str]) -> None:
        for team_id in team_ids:
            del self.team_rows[team_id]
            for token in [t for t, k in self.key_rows.items() if k.get("team_id") == team_id]:
                del self.key_rows[token]

    def generate_key(self, body: dict[str, Any]) -> dict[str, Any]:
        value = body.get("key") or "sk-" + secrets.token_hex(8)
        token = state.token_of(value)
        if token in self.key_rows or any(k.get("key_alias") == body.get("key_alias") for k in self.key_rows.values()):
            raise ApiError("POST /key/generate: HTTP 400: already exists")
        self.key_rows[token] = {**{k: v for k, v in body.items() if k != "key"}, "token": token}
        self.values[token] = value
        return {"key": value, "token": token}

    def update_key(self, token: str, body: dict[str, Any]) -> None:
        self.key_rows[token].update(body)

    def delete_keys(self, tokens: list[str]) -> None:
        for token in tokens:
            self.key_rows.pop(token, None)

    def authenticates(self, value: str, route: str = "/key/info") -> int:
        key = self.key_rows.get(state.token_of(value))
        return 200 if key is not None and not key.get("blocked") else 401

    def alias_values(self) -> dict[str, str]:
        return {str(k.get("key_alias")): self.values[t] for t, k in self.key_rows.items()}


def document(*aliases: str) -> dict[str, Any]:
    limits = {"max_budget": None, "budget_duration": None, "rpm_limit": None, "tpm_limit": None}
    team = {**limits, "models": ["gpt-4o-mini"], "metadata": {}}
    key = {**team, "team": "search", "value_env": None, "allowed_routes": None}
    return {"environment": "dev", "teams": {"search": team}, "keys": {a: dict(key) for a in aliases}}


def run_apply(proxy: FakeProxy, desired: dict[str, Any], sink: Any, **options: Any) -> list[str]:
    signer = state.Signer(proxy.master_key)
    plan = planning.make_plan(desired, proxy.teams(), proxy.keys(), {}, signer, **options)
    return planning.apply(plan, proxy, {}, sink)  # type: ignore[arg-type]


def test_a_failing_sink_keeps_the_old_key_and_the_next_run_delivers_a_new_one() -> None:
    proxy, delivered = FakeProxy(), {}
    run_apply(proxy, document("app"), delivered.__setitem__)
    old = delivered["app"]

    def broken(alias: str, value: str) -> None:
        raise OSError("the sink is down")

    with pytest.raises(OSError, match="the sink is down"):
        run_apply(proxy, document("app"), broken, rotate=frozenset({"app"}))
    assert proxy.authenticates(old) == 200 and "app@next" in proxy.alias_values(), (
        "the old key works, the new one waits"
    )
    done = run_apply(proxy, document("app"), delivered.__setitem__)
    assert done == ["± key app: redo the rotation an earlier run began (its new key never reached the sink)"]
    keys = {a: v for a, v in proxy.alias_values().items() if not a.startswith("gateway-access.lease.")}
    assert delivered["app"] != old and keys == {"app": delivered["app"]}
    assert proxy.authenticates(old) == 401


def test_a_new_key_that_does_not_authenticate_is_never_put_in_place_of_the_old_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy, delivered = FakeProxy(), {}
    run_apply(proxy, document("app"), delivered.__setitem__)
    old = delivered["app"]
    monkeypatch.setattr(proxy, "authenticates", lambda value, route="/key/info": 401 if value != old else 200)
    with pytest.raises(ApiError, match=r"the new key does not authenticate \(GET /key/info: HTTP 401\)"):
        run_apply(proxy, document("app"), delivered.__setitem__, rotate=frozenset({"app"}))
    assert proxy.alias_values()["app"] == old and "app@next" in proxy.alias_values()


def test_a_delivered_new_key_is_finished_and_an_undelivered_created_one_is_replaced() -> None:
    proxy, delivered = FakeProxy(), {}
    run_apply(proxy, document("app", "fresh"), delivered.__setitem__)
    signer = state.Signer(proxy.master_key)
    fresh = next(t for t, k in proxy.key_rows.items() if k["key_alias"] == "fresh")
    proxy.key_rows[fresh]["metadata"] = {**proxy.key_rows[fresh]["metadata"], planning.PENDING: "created"}
    value = "sk-next-value"
    nxt = state.token_of(value)
    metadata = state.managed_metadata(document("app"), {}, signer, "key", nxt)
    proxy.key_rows[nxt] = {
        "key_alias": "app@next",
        "token": nxt,
        "metadata": {**metadata, planning.PENDING: "delivered"},
    }
    proxy.values[nxt] = value
    plan = planning.make_plan(document("app", "fresh"), proxy.teams(), proxy.keys(), {}, signer)
    assert [str(c) for c in plan.changes] == [
        "± key app: finish the rotation an earlier run began (its new key reached the sink)",
        "± key fresh: a new value: the one an earlier run created never reached the sink",
    ]
    run_apply(proxy, document("app", "fresh"), delivered.__setitem__)
    values = proxy.alias_values()
    assert values["app"] == value and values["fresh"] == delivered["fresh"] and "app@next" not in values


def test_ownership_is_a_proof_made_with_the_master_key_not_a_mark() -> None:
    proxy = FakeProxy()
    run_apply(proxy, document(), {}.__setitem__)
    forged = {state.MANAGED_BY: state.mark(document()), state.PROOF: "0" * 64}
    proxy.generate_key({"key_alias": "claimed", "metadata": forged})
    signer = state.Signer(proxy.master_key)
    with pytest.raises(
        planning.PlanError, match="key 'claimed' carries the bundle's mark but not the reconciler's proof"
    ):
        planning.make_plan(document("claimed"), proxy.teams(), proxy.keys(), {}, signer)
    plan = planning.make_plan(document(), proxy.teams(), proxy.keys(), {}, signer, prune=True)
    assert plan.changes == [] and plan.ignored == ["marked but not proven ours, left alone: key claimed"]
    other = state.Signer("sk-another-master-key")
    with pytest.raises(planning.PlanError, match="team 'search' carries the bundle's mark"):
        planning.make_plan(document(), proxy.teams(), proxy.keys(), {}, other)


def test_prune_refuses_a_team_whose_deletion_would_take_keys_it_does_not_own() -> None:
    proxy = FakeProxy()
    run_apply(proxy, document("app"), {}.__setitem__)
    team_id = next(iter(proxy.team_rows))
    proxy.generate_key({"key_alias": "hand-kept", "team_id": team_id, "metadata": {}})
    empty = {"environment": "dev", "teams": {}, "keys": {}}
    signer = state.Signer(proxy.master_key)
    with pytest.raises(planning.PlanError, match=r"team 'search' .* does not own: hand-kept; move them"):
        planning.make_plan(empty, proxy.teams(), proxy.keys(), {}, signer, prune=True)
    proxy.delete_keys([state.token_of(proxy.alias_values()["hand-kept"])])
    run_apply(proxy, empty, {}.__setitem__, prune=True)
    assert proxy.team_rows == {} and set(proxy.alias_values()) == {"gateway-access.lease.dev.2"}


def test_a_held_lease_refuses_a_second_run_and_an_expired_one_is_taken_over() -> None:
    proxy = FakeProxy()
    first = lease.Lease(proxy, "dev")  # type: ignore[arg-type]
    first.acquire()
    with pytest.raises(lease.LeaseHeld, match="another run holds the access lease of environment 'dev'"):
        lease.Lease(proxy, "dev").acquire()  # type: ignore[arg-type]
    expired = lease.Lease(proxy, "dev", ttl=-1)  # type: ignore[arg-type]
    first.release()
    expired.acquire()  # released: taken (and its lease is born expired: the next one may take it)
    lease.Lease(proxy, "dev").acquire()  # type: ignore[arg-type]
    assert set(proxy.alias_values()) == {"gateway-access.lease.dev.3"}, "older leases are deleted"
    forged = {"key_alias": "gateway-access.lease.dev.9", "metadata": {lease.LEASE: {"expires": 2e9}}}
    proxy.generate_key(forged)  # not derived from the master key: not a lease
    lease.Lease(proxy, "other").acquire()  # type: ignore[arg-type]
    with pytest.raises(lease.LeaseHeld):
        lease.Lease(proxy, "dev").acquire()  # type: ignore[arg-type]


def test_aliases_that_map_to_one_variable_are_refused_with_both_named() -> None:
    with pytest.raises(planning.PlanError, match=r"keys 'a-b' and 'a\.b' both map to LITELLM_KEY_A_B"):
        planning.make_plan(document("a-b", "a.b", "a_b"), [], [], {}, state.Signer("sk-m"))
    assert sinks.variables(["a-b", "ab"]) == {"a-b": "LITELLM_KEY_A_B", "ab": "LITELLM_KEY_AB"}


def test_the_env_file_sink_replaces_the_file_atomically_and_privately(tmp_path: Path) -> None:
    target = tmp_path / "keys.env"
    target.write_text("OTHER=1\nLITELLM_KEY_APP=sk-old\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("untouched\n")
    sink = sinks.sink(f"env-file:{target}")
    sink("app", "sk-new")
    assert target.read_text() == "OTHER=1\nLITELLM_KEY_APP=sk-new\n" and target.stat().st_mode & 0o777 == 0o600
    target.unlink()
    target.symlink_to(elsewhere)  # a link planted at the target is replaced, never written through
    sink("app", "sk-newer")
    assert not target.is_symlink() and elsewhere.read_text() == "untouched\n"
    blocked = tmp_path / "a-directory"
    blocked.mkdir()
    with pytest.raises(OSError):
        sinks.sink(f"env-file:{blocked}")("app", "sk-x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-directory", "elsewhere", "keys.env"], "no temp file left"
    with pytest.raises(ValueError, match="expected -, env-file:PATH or k8s-secret:NAME"):
        sinks.sink("file:x")
    assert sinks.sink("-") is sinks.to_stdout


def test_apply_needs_a_named_key_sink(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as usage:
        gateway_access.main(["apply", "--url", "http://127.0.0.1:9", "--desired", "access.json"])
    assert usage.value.code == facts.EXIT_USAGE and "apply needs --keys-to" in capsys.readouterr().err
