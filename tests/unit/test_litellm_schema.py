"""LiteLLM's configuration surface, derived from the installed pinned litellm (`make litellm-schema`):
committed for LITELLM_VERSION and never stale, complete where the issue needs it, secrets marked."""

from __future__ import annotations

import json
import shutil
from importlib.metadata import version
from pathlib import Path

import pytest

from litellm_bundle.checks.litellm_settings import sensitive
from litellm_bundle.cli.main import main
from litellm_bundle.core import facts
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.policy.policies import Policies, PolicyError
from litellm_bundle.surface import generator
from tests.helpers import ROOT, checkout_tree, copy_tree


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    return generator.generate(checkout_tree())


def _schema(name: str) -> dict:
    return json.loads((checkout_tree().litellm_schemas_dir / f"{name}.schema.json").read_text())


def test_installed_litellm_is_the_pinned_one() -> None:
    assert version("litellm") == (ROOT / "LITELLM_VERSION").read_text().strip()


def test_committed_schemas_are_fresh_for_the_pinned_version(generated: dict[str, str]) -> None:
    stale = generator.stale(checkout_tree(), generated)
    assert not stale, (
        f"policies/litellm/{checkout_tree().pinned_version()}/ is stale ({', '.join(stale)}): "
        "run `make litellm-schema` and commit"
    )


def test_a_stale_file_is_found(tmp_path: Path, generated: dict[str, str]) -> None:
    root = copy_tree(tmp_path / "bundle")
    tree = BundleTree.at(root)
    target = tree.litellm_schemas_dir / "router_settings.schema.json"
    target.write_text(target.read_text().replace('"model_group_alias"', '"model_group_aliases"'))
    (tree.litellm_schemas_dir / "old.schema.json").write_text("{}")
    assert generator.stale(tree, generated) == ["old.schema.json", "router_settings.schema.json"]


def test_a_version_bump_without_schemas_is_a_warning(tmp_path: Path) -> None:
    """After a bump the sources are still checked (against the newest committed surface), and
    validate --strict fails until `make litellm-schema` has run."""
    from litellm_bundle.checks import validate as validation

    root = copy_tree(tmp_path / "bundle")
    (root / "LITELLM_VERSION").write_text("1.999.0\n")
    policies = Policies(BundleTree.at(root))
    assert policies.litellm_dir.name == checkout_tree().pinned_version()
    warnings = [p for p in validation.run(policies).problems if "policies/litellm/1.999.0/ does not exist" in p.message]
    assert [(p.location.file, p.severity) for p in warnings] == [("LITELLM_VERSION", "warning")]
    shutil.rmtree(root / "policies" / "litellm" / checkout_tree().pinned_version())
    with pytest.raises(PolicyError, match="make litellm-schema"):
        _ = Policies(BundleTree.at(root)).registry


def test_sections_name_what_real_configs_use() -> None:
    params = _schema("litellm_params")["properties"]
    for key in (
        "aws_region_name",
        "aws_role_name",
        "vertex_project",
        "vertex_location",
        "vertex_credentials",
        "tenant_id",
        "client_id",
        "client_secret",
        "input_cost_per_token",
        "litellm_credential_name",
        "tags",
        "rpm",
        "order",
        "max_tokens",
    ):
        assert key in params, key
    assert "base_model" in _schema("model_info")["properties"]
    assert (
        "model_group_alias" in _schema("router_settings")["properties"]
        and "enable_tag_filtering" in _schema("router_settings")["properties"]
    )
    general = _schema("general_settings")["properties"]
    for key in (
        "proxy_batch_write_at",
        "disable_spend_logs",
        "allow_requests_on_db_unavailable",
        "alerting",
        "pass_through_endpoints",
        "store_model_in_db",
    ):
        assert key in general, key
    settings = _schema("litellm_settings")["properties"]
    for key in ("drop_params", "set_verbose", "success_callback", "callbacks", "default_team_settings", "cache_params"):
        assert key in settings, key
    assert "detailed_debug" not in settings  # a CLI flag, not a setting, in this version
    names = _schema("names")["$defs"]
    assert {"bedrock", "vertex_ai", "azure", "anthropic", "hosted_vllm"} <= set(names["provider"]["enum"])
    assert {"presidio", "lakera_v2", "bedrock", "aporia"} <= set(names["guardrail"]["enum"])
    assert {"langfuse", "otel", "datadog", "s3", "prometheus"} <= set(names["callback"]["enum"])


def test_types_come_through() -> None:
    router = _schema("router_settings")["properties"]
    strategy = router["routing_strategy"]["anyOf"][0]["enum"]
    assert "simple-shuffle" in strategy and "usage-based-routing-v2" in strategy
    general = _schema("general_settings")["properties"]
    assert general["disable_spend_logs"]["anyOf"][0]["type"] == ["boolean", "null"]  # typed by the proxy's reads
    assert {"type": ["integer", "null"]} in _schema("litellm_params")["properties"]["rpm"]["anyOf"]


def test_secret_bearing_parameters_are_references() -> None:
    surface = json.loads((checkout_tree().litellm_schemas_dir / "surface.json").read_text())
    secret = surface["secret_params"]
    assert {"api_key", "aws_secret_access_key", "client_secret", "vertex_credentials", "aws_session_token"} <= set(
        secret["litellm_params"]
    )
    assert {"master_key", "database_url"} <= set(secret["general_settings"])
    assert "litellm_credential_name" not in secret["litellm_params"] and "custom_auth" not in secret["general_settings"]
    assert _schema("litellm_params")["properties"]["client_secret"]["$ref"].endswith("#/$defs/envRef")
    rule = surface["sensitive_key_rule"]
    assert sensitive("LANGFUSE_SECRET_KEY", rule) and sensitive("DD_API_KEY", rule)
    assert not sensitive("LANGFUSE_HOST", rule) and not sensitive("input_cost_per_token", rule)


def _defaults(node: object, in_properties: bool = False) -> int:
    """`default` keywords in a schema (a property named default is no keyword)."""
    if isinstance(node, list):
        return sum(_defaults(n) for n in node)
    if not isinstance(node, dict):
        return 0
    own = 0 if in_properties else int("default" in node)
    return own + sum(_defaults(v, in_properties=(k == "properties" and not in_properties)) for k, v in node.items())


def test_no_schema_default_leaks_into_the_sources() -> None:
    """The renderer fills schema defaults: LiteLLM's own defaults must not be rendered as if set."""
    for file in checkout_tree().litellm_schemas_dir.glob("*.schema.json"):
        assert _defaults(json.loads(file.read_text())) == 0, file.name


def test_the_command_writes_and_checks(
    tmp_path: Path, generated: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_tree(tmp_path / "bundle")
    shutil.rmtree(BundleTree.at(root).litellm_schemas_dir)
    monkeypatch.setattr(generator, "generate", lambda tree: generated)  # generated once, by the fixture
    assert main(["--root", str(root), "litellm-schema", "--check"]) == facts.EXIT_PROBLEMS
    assert main(["--root", str(root), "litellm-schema"]) == facts.EXIT_OK
    assert main(["--root", str(root), "litellm-schema", "--check"]) == facts.EXIT_OK
    assert sorted(p.name for p in BundleTree.at(root).litellm_schemas_dir.iterdir()) == sorted(generated)
