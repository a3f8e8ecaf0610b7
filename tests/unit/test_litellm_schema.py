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
def committed_surface() -> dict[str, str]:
    """The committed surface files, as the generator returns them: what it generates, as long as
    test_committed_schemas_are_fresh_for_the_pinned_version passes (the command tests need files, not a fresh run)."""
    return {p.name: p.read_text(encoding="utf-8") for p in checkout_tree().litellm_schemas_dir.glob("*.json")}


def _schema(name: str) -> dict:
    return json.loads((checkout_tree().litellm_schemas_dir / f"{name}.schema.json").read_text())


def test_installed_litellm_is_the_pinned_one() -> None:
    assert version("litellm") == (ROOT / "LITELLM_VERSION").read_text().strip()


def test_committed_schemas_are_fresh_for_the_pinned_version() -> None:
    """The one test that runs the generator (half a minute); the others take the files it is proven to make."""
    stale = generator.stale(checkout_tree(), generator.generate(checkout_tree()))
    assert not stale, (
        f"policies/litellm/{checkout_tree().pinned_version()}/ is stale ({', '.join(stale)}): "
        "run `make litellm-schema` and commit"
    )


def test_a_stale_file_is_found(tmp_path: Path, committed_surface: dict[str, str]) -> None:
    root = copy_tree(tmp_path / "bundle")
    tree = BundleTree.at(root)
    target = tree.litellm_schemas_dir / "router_settings.schema.json"
    target.write_text(target.read_text().replace('"model_group_alias"', '"model_group_aliases"'))
    (tree.litellm_schemas_dir / "old.schema.json").write_text("{}")
    assert generator.stale(tree, committed_surface) == ["old.schema.json", "router_settings.schema.json"]


def test_a_version_bump_without_schemas_is_a_warning(tmp_path: Path) -> None:
    """After a bump the sources are still checked (against the newest committed surface), and
    validate --strict fails until `make litellm-schema` has run."""
    from litellm_bundle.checks import validate as validation

    root = copy_tree(tmp_path / "bundle")
    (root / "LITELLM_VERSION").write_text("1.999.0\n")
    policies = Policies(BundleTree.at(root))
    committed = [d for d in (root / "policies" / "litellm").iterdir() if d.is_dir()]
    assert policies.litellm_dir.name == max((d.name for d in committed), key=lambda v: tuple(map(int, v.split("."))))
    warnings = [p for p in validation.run(policies).problems if "policies/litellm/1.999.0/ does not exist" in p.message]
    assert [(p.location.file, p.severity) for p in warnings] == [("LITELLM_VERSION", "warning")]
    for folder in committed:
        shutil.rmtree(folder)
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
    tmp_path: Path, committed_surface: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_tree(tmp_path / "bundle")
    shutil.rmtree(BundleTree.at(root).litellm_schemas_dir)
    monkeypatch.setattr(generator, "generate", lambda tree, any_version=False: committed_surface)
    assert main(["--root", str(root), "litellm-schema", "--check"]) == facts.EXIT_PROBLEMS
    assert main(["--root", str(root), "litellm-schema"]) == facts.EXIT_OK
    assert main(["--root", str(root), "litellm-schema", "--check"]) == facts.EXIT_OK
    assert sorted(p.name for p in BundleTree.at(root).litellm_schemas_dir.iterdir()) == sorted(committed_surface)


def test_out_writes_the_installed_version_whatever_is_pinned(
    tmp_path: Path, committed_surface: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`<venv>/bin/python -m litellm_bundle litellm-schema --out DIR` (the upgrade, in another version's venv)
    writes DIR/<installed version>/; without --out the installed version must be the pinned one."""
    calls: list[bool] = []

    def fake(tree: BundleTree, any_version: bool = False) -> dict[str, str]:
        calls.append(any_version)
        return committed_surface

    monkeypatch.setattr(generator, "generate", fake)
    monkeypatch.setattr(generator, "installed_version", lambda: "9.9.9")
    out = tmp_path / "surfaces"
    assert main(["--root", str(ROOT), "litellm-schema", "--out", str(out)]) == facts.EXIT_OK
    assert sorted(p.name for p in (out / "9.9.9").iterdir()) == sorted(committed_surface) and calls == [True]
    assert main(["--root", str(ROOT), "litellm-schema", "--out", str(out), "--check"]) == facts.EXIT_OK
    monkeypatch.undo()
    monkeypatch.setattr(generator, "installed_version", lambda: "9.9.9")
    with pytest.raises(RuntimeError, match=r"installed litellm is 9\.9\.9, LITELLM_VERSION pins"):
        generator.generate(checkout_tree())


SECTIONS_1_106_2 = {
    "agent_list",
    "agents",
    "assistant_settings",
    "callback_settings",
    "credential_list",
    "default_vertex_config",
    "environment_variables",
    "files_settings",
    "finetune_settings",
    "general_settings",
    "guardrails",
    "include",
    "litellm_settings",
    "mcp_servers",
    "mcp_tools",
    "model_list",
    "policies",
    "policy_attachments",
    "prompts",
    "router_settings",
    "sandbox_tools",
    "search_tools",
    "vector_store_registry",
    "worker_registry",
}


def _surface(version: str, name: str) -> dict:
    return json.loads((ROOT / "policies" / "litellm" / version / name).read_text())


@pytest.mark.parametrize("version", sorted(p.name for p in (ROOT / "policies" / "litellm").iterdir() if p.is_dir()))
def test_the_whole_config_is_every_section_the_version_reads(version: str) -> None:
    """config.schema.json: exactly the top-level sections the version's proxy reads (found in its source),
    each a reference to a schema of that version; a section present but empty is read as absent."""
    config = _surface(version, "config.schema.json")
    sections = config["properties"]
    assert set(sections) >= SECTIONS_1_106_2, sorted(SECTIONS_1_106_2 - set(sections))
    assert config["additionalProperties"] is False
    for name, schema in sections.items():
        refs = [r for r in json.dumps(schema).split('"$ref": "')[1:]]
        assert refs or name == "environment_variables", name
        for ref in (r.split('"', 1)[0].split("#", 1)[0] for r in refs):
            assert ref.startswith("https://") or (ROOT / "policies" / "litellm" / version / ref).is_file(), (name, ref)
        assert ({"type": "null"} in schema.get("anyOf", [])) == (name != "include"), name
    surface = _surface(version, "surface.json")
    assert surface["section_fallbacks"] == {"agent_list": "agents"} and surface["untyped_sections"] == []


def test_sections_are_typed_by_litellm_s_models() -> None:
    mcp = _schema("mcp_servers")["additionalProperties"]
    assert {"url", "transport", "auth_type", "command", "args", "env", "allowed_tools"} <= set(mcp["properties"])
    assert mcp["properties"]["auth_value"]["x-secret"] and mcp["properties"]["authentication_token"]["x-secret"]
    assert "patternProperties" in mcp["properties"]["static_headers"]  # a sensitive header holds a reference
    assert (
        "url"
        not in json.loads((checkout_tree().litellm_schemas_dir / "surface.json").read_text())["secret_params"][
            "mcp_servers"
        ]
    )
    tools = _schema("search_tools")["items"]
    assert {"search_tool_name", "litellm_params"} <= set(tools["properties"])
    assert _schema("prompts")["items"]["properties"]["litellm_params"]["properties"]["prompt_integration"]
    assert "prompt_info" not in _schema("prompts")["items"].get("required", [])  # PromptSpec fills it itself
    assert {"inherit", "guardrails", "condition"} <= set(_schema("policies")["additionalProperties"]["properties"])
    deployment = _schema("config")["properties"]["model_list"]["anyOf"][0]["items"]
    assert set(deployment["properties"]) >= {"model_name", "litellm_params", "model_info", "blocked"}
    assert _schema("agents")["items"]["properties"]["agent_name"]
    store = _schema("vector_store_registry")["items"]["properties"]
    assert store["litellm_params"]["required"] == ["vector_store_id", "custom_llm_provider"]
    assert {"vector_store_description", "aws_region_name"} <= set(store["litellm_params"]["properties"])
    assert _schema("files_settings")["items"]["required"] == ["custom_llm_provider"]
    assert _schema("include")["items"] == {"type": "string", "description": _schema("include")["items"]["description"]}


def test_keys_litellm_s_code_reads_are_named_and_typed() -> None:
    """litellm_settings / general_settings / model_info keys read anywhere in litellm/, typed by what the
    code validates them as."""
    settings = _schema("litellm_settings")["properties"]
    for key in ("websearch_interception_params", "code_interpreter_interception_params", "mcp_aliases"):
        assert key in settings, key
    assert "search_tool_name" in settings["websearch_interception_params"]["properties"]
    callbacks = settings["callbacks"]["anyOf"]
    assert callbacks[0]["type"] == "array" and callbacks[1]["type"] == "string"  # one dotted path, as load_config
    assert settings["success_callback"]["type"] == "array"  # load_config iterates it: a string is its characters
    general = _schema("general_settings")["properties"]
    assert "host" in general["coordination_redis"]["anyOf"][0]["properties"]  # CoordinationRedisParams
    info = _schema("model_info")
    assert "additionalProperties" not in info  # LiteLLM keeps other keys as metadata (the checks: near misses)
    prefs = info["properties"]["adaptive_router_preferences"]
    assert prefs["required"] == ["quality_tier"] and "litellm_routing_preferences" in info["properties"]


def test_each_guardrail_integration_s_own_parameters() -> None:
    surface = json.loads((checkout_tree().litellm_schemas_dir / "surface.json").read_text())
    judge = surface["guardrail_params"]["llm_as_a_judge"]
    assert {"judge_model", "criteria", "overall_threshold", "on_failure"} <= set(judge)
    params = _schema("guardrail")["properties"]["litellm_params"]["properties"]
    assert params["criteria"]["items"]["properties"]["weight"]
    assert "presidio_analyzer_api_base" in surface["guardrail_params"]["presidio"]
    assert not {"guardrail_name", "event_hook", "mode", "default_on", "api_key"} & {
        p for params in surface["guardrail_params"].values() for p in params
    }
