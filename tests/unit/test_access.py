"""config/access.yaml per environment: filtering, overrides, defaults, and the rendered access.json contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway_access import __main__ as gateway_access
from gateway_access import state
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
    assert json.loads(files["access.json"]) == {"environment": "prod", "teams": {}, "keys": {}}
    assert YAML(typ="safe").load(files["values.yaml"])["access"]["enabled"] is False, (
        "no access Job without declared access"
    )


def test_the_reconciler_exits_with_the_tooling_s_codes() -> None:
    """gateway_access cannot import the tooling (it runs in the official image): its codes are held equal here."""
    assert (gateway_access.EXIT_OK, gateway_access.EXIT_FAILED, gateway_access.EXIT_DRIFT) == (
        facts.EXIT_OK,
        facts.EXIT_PROBLEMS,
        facts.EXIT_DRIFT,
    )
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
    assert "access: GET /team/list: ConnectError" in capsys.readouterr().err
