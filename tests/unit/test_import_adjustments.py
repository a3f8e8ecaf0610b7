"""An import that lands: what the bundle requires beyond LiteLLM is applied to a config LiteLLM loads and
listed in the import report (one test per kind of change), every environment's rendering is the config
changed by exactly the listed changes, genuine errors stop it at their line, and no input gives a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from litellm_bundle.cli.main import main
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.core.yamlio import parse_yaml
from litellm_bundle.importer import convert
from litellm_bundle.importer.report import CONFIG, DROP, ENVIRONMENT, REPORT_FILE, SET, Change
from litellm_bundle.importer.state import SURFACE_SECTIONS
from litellm_bundle.policy.policies import Policies
from litellm_bundle.policy.schemas import dotted
from tests.helpers import ROOT, checkout_tree, copy_tree
from tests.unit.test_import_corpus import ENVIRONMENTS, assert_round_trip, rendered

MODEL = "model_list:\n  - model_name: gpt-4o\n    litellm_params:\n      model: openai/gpt-4o\n"


def _import(
    tmp_path: Path, text: str, env: str = "dev", drop: bool = False, tree: BundleTree | None = None
) -> convert.Imported:
    """The config imported, written and held to the round trip in every environment."""
    source = tmp_path / "config.yaml"
    source.write_text(text)
    result = convert.import_config(tree or checkout_tree(), source, env, drop)
    assert result.imported is not None and not result.errors, "\n".join(map(str, result.problems))
    config_dir = tmp_path / "imported"
    convert.write_files(config_dir, result.imported.files)
    for name, config in rendered(config_dir).items():
        assert_round_trip(result.imported, name, config)
    return result.imported


def _changes(imported: convert.Imported, path: str, space: str = CONFIG) -> list[Change]:
    return [c for c in imported.report.changes if dotted(c.path) == path and c.space == space]


def _one(imported: convert.Imported, path: str, space: str = CONFIG) -> Change:
    found = _changes(imported, path, space)
    assert len(found) == 1, [c.describe() for c in imported.report.changes]
    return found[0]


def _file(imported: convert.Imported, name: str) -> Any:
    doc, problems = parse_yaml(imported.files[name], name)
    assert doc is not None and not problems
    return doc.data


def test_a_config_without_master_key_gets_the_reference(tmp_path: Path) -> None:
    """The issue's case: the round trip used to fail on `master_key: None became os.environ/...`."""
    imported = _import(tmp_path, MODEL)
    change = _one(imported, "general_settings.master_key")
    assert (change.op, change.value, change.kind, change.envs) == (
        SET,
        "os.environ/LITELLM_MASTER_KEY",
        "required",
        ENVIRONMENTS,
    )
    assert change.where.line == 1 and "requires a master key" in change.reason
    assert "LITELLM_MASTER_KEY" in _file(imported, "secrets.yaml")["references"]


def test_verbose_logging_is_dropped_from_prod_only(tmp_path: Path) -> None:
    imported = _import(tmp_path, MODEL + "litellm_settings:\n  drop_params: true\n  set_verbose: true\n")
    change = _one(imported, "litellm_settings.set_verbose")
    assert (change.op, change.envs, change.kind, change.where.line) == (DROP, ("prod",), "policy", 7)
    assert change.reason.startswith("prod's policy: prod must not turn on LiteLLM's verbose logging")
    # kept where the policies allow it: the overlays of dev and staging, no longer the shared file
    assert "set_verbose" not in json.dumps(_file(imported, "litellm.yaml"))
    for env in ("dev", "staging"):
        assert _file(imported, f"environments/{env}.yaml")["litellm"] == {"litellm_settings": {"set_verbose": True}}
    assert "litellm" not in _file(imported, "environments/prod.yaml")


def test_store_model_in_db_is_dropped_from_prod_with_the_waiver_named(tmp_path: Path) -> None:
    imported = _import(tmp_path, MODEL + "general_settings:\n  store_model_in_db: true\n")
    change = _one(imported, "general_settings.store_model_in_db")
    assert change.op == DROP and change.envs == ("prod",) and "waive the check store-model-in-db" in change.reason


def test_a_documented_placeholder_becomes_a_declared_reference(tmp_path: Path) -> None:
    text = MODEL.replace("openai/gpt-4o\n", "openai/gpt-4o\n      api_base: https://<your-endpoint>/v1\n")
    imported = _import(tmp_path, text)
    change = _one(imported, "model_list[0].litellm_params.api_base")
    assert (change.value, change.kind, change.where.line) == ("os.environ/GPT_4O_API_BASE", "placeholder", 5)
    assert change.shown == '"https://<your-endpoint>/v1"' and "angle-bracket placeholder" in change.reason
    declared = _file(imported, "secrets.yaml")["references"]["GPT_4O_API_BASE"]
    assert declared["secret"] is False and "https://<your-endpoint>/v1" in declared["description"]


def test_a_provider_without_endpoint_gets_the_variable_litellm_reads(tmp_path: Path) -> None:
    text = MODEL.replace("openai/gpt-4o", "azure/gpt-4o-eu") + "  - model_name: local\n    litellm_params:\n"
    text += "      model: ollama/llama3\n"
    imported = _import(tmp_path, text)
    assert _one(imported, "model_list[0].litellm_params.api_base").value == "os.environ/AZURE_API_BASE"
    assert _one(imported, "model_list[1].litellm_params.api_base").value == "os.environ/OLLAMA_API_BASE"


def test_a_literal_redis_host_becomes_a_reference_and_a_quoted_port_a_number(tmp_path: Path) -> None:
    text = MODEL + "router_settings:\n  redis_host: redis.internal\n  redis_port: '6380'\n"
    imported = _import(tmp_path, text)
    host, port = _one(imported, "router_settings.redis_host"), _one(imported, "router_settings.redis_port")
    assert (host.value, host.shown, port.value) == ("os.environ/REDIS_HOST", '"redis.internal"', 6380)
    assert _file(imported, "environments/dev.yaml")["redis"] == {"host": "os.environ/REDIS_HOST", "port": 6380}


def test_variables_the_bundle_renders_move_to_the_environment(tmp_path: Path) -> None:
    text = MODEL + (
        "environment_variables:\n  LITELLM_LOG: DEBUG\n  DATABASE_URL: postgresql://llm:pw@db:5432/llm\n"
        "  REDIS_HOST: redis.internal\n  LANGFUSE_HOST: https://cloud.langfuse.com\n"
    )
    imported = _import(tmp_path, text)
    for name in ("LITELLM_LOG", "DATABASE_URL", "REDIS_HOST"):
        assert _one(imported, f"environment_variables.{name}").op == DROP
    assert _one(imported, "general_settings.database_url").value == "os.environ/DATABASE_URL"
    assert _one(imported, "router_settings.redis_host").value == "os.environ/REDIS_HOST"
    levels = {c.envs: c.value for c in _changes(imported, "log_level", ENVIRONMENT)}
    assert levels == {("dev", "staging"): "DEBUG", ("prod",): "INFO"}  # prod's policy: never DEBUG
    assert _file(imported, "litellm.yaml")["environment_variables"] == {"LANGFUSE_HOST": "https://cloud.langfuse.com"}
    assert "postgresql://llm:pw@db" not in "".join(imported.files.values())


def test_a_cache_owned_by_the_environment(tmp_path: Path) -> None:
    """`cache: true` without params: LiteLLM's Redis from REDIS_HOST/REDIS_PORT, the environment's cache."""
    imported = _import(tmp_path, MODEL + "litellm_settings:\n  cache: true\n")
    dev = _file(imported, "environments/dev.yaml")
    assert dev["cache"] == {} and dev["redis"] == {"host": "os.environ/REDIS_HOST", "port": "os.environ/REDIS_PORT"}
    added = {dotted(c.path): c.value for c in imported.report.changes if c.kind == "bundle"}
    assert added["litellm_settings.cache_params.host"] == "os.environ/REDIS_HOST"
    assert added["router_settings.redis_host"] == "os.environ/REDIS_HOST"


def test_cache_params_the_environment_cannot_hold_are_dropped(tmp_path: Path) -> None:
    text = MODEL + "litellm_settings:\n  cache: true\n  cache_params:\n    type: redis\n    namespace: litellm\n"
    text += "    ttl: 60\n"
    imported = _import(tmp_path, text)
    change = _one(imported, "litellm_settings.cache_params.namespace")
    assert change.op == DROP and change.shown == '"litellm"' and "holds the ttl only" in change.reason
    assert _file(imported, "environments/dev.yaml")["cache"] == {"ttl": 60}


def test_redis_cache_params_of_a_cache_that_is_off_are_dropped(tmp_path: Path) -> None:
    imported = _import(tmp_path, MODEL + "litellm_settings:\n  cache_params:\n    type: redis\n    ttl: 60\n")
    assert _one(imported, "litellm_settings.cache_params").op == DROP


def test_one_callback_name_becomes_a_list(tmp_path: Path) -> None:
    imported = _import(tmp_path, MODEL + "litellm_settings:\n  success_callback: langfuse\n")
    assert _one(imported, "litellm_settings.success_callback").value == ["langfuse"]


def test_limits_beside_litellm_params_move_into_them(tmp_path: Path) -> None:
    imported = _import(tmp_path, MODEL + "    rpm: 100\n")
    assert _one(imported, "model_list[0].litellm_params.rpm").value == 100
    assert _one(imported, "model_list[0].rpm").op == DROP
    assert _file(imported, "models.yaml")["model_groups"]["gpt-4o"]["deployments"][0]["rpm"] == 100


def test_a_reference_the_bundle_cannot_declare_is_renamed(tmp_path: Path) -> None:
    text = MODEL.replace("openai/gpt-4o\n", "openai/gpt-4o\n      api_key: os.environ/openai-key\n")
    change = _one(_import(tmp_path, text), "model_list[0].litellm_params.api_key")
    assert change.value == "os.environ/OPENAI_KEY" and change.shown == "os.environ/openai-key"


def test_each_copy_gets_what_its_own_policies_require(tmp_path: Path) -> None:
    imported = _import(tmp_path, MODEL)
    staging = {dotted(c.path) for c in imported.report.for_env("staging", ENVIRONMENT)}
    prod = {dotted(c.path) for c in imported.report.for_env("prod", ENVIRONMENT)}
    assert staging == {"salt_key", "guardrails"}  # staging's policy asks for nothing else
    assert prod == {"salt_key", "guardrails", "replicas", "redis", "admin_ui", "api_docs", "cors_origins", "image"}
    assert imported.report.for_env("dev", ENVIRONMENT) == []
    replicas = _one(imported, "replicas", ENVIRONMENT)
    assert replicas.where.file == "policies/environments/prod.policy.json" and replicas.where.line == 7


def test_what_a_policy_requires_comes_from_the_policies(tmp_path: Path) -> None:
    """Data, not code: a staging policy that requires a database gives staging's copy the reference."""
    root = copy_tree(tmp_path / "tree")
    policy = root / "policies" / "environments" / "staging.policy.json"
    data = json.loads(policy.read_text())
    data["allOf"].append(
        {"x-message": "staging needs `database`", "properties": {"environment": {"required": ["database"]}}}
    )
    policy.write_text(json.dumps(data, indent=2))
    imported = _import(tmp_path, MODEL, tree=BundleTree.at(root))
    change = _one(imported, "database", ENVIRONMENT)
    assert change.envs == ("staging",) and change.value == {"url": "os.environ/DATABASE_URL"}
    added = {dotted(c.path) for c in imported.report.for_env("staging") if c.kind == "policy"}
    assert "general_settings.database_url" in added


UNKNOWN = MODEL + (
    "general_settings:\n  disable_spend_log: true\nrouter_settings:\n  num_retires: 2\n"
    "mcp_server:\n  github: {url: https://example.invalid/mcp}\n"
)


def test_drop_ignored_drops_and_lists_what_litellm_ignores(tmp_path: Path) -> None:
    imported = _import(tmp_path, UNKNOWN, drop=True)
    dropped = {dotted(c.path): c for c in imported.report.changes if c.kind == "ignored"}
    assert set(dropped) == {"general_settings.disable_spend_log", "router_settings.num_retires", "mcp_server"}
    assert "did you mean 'disable_spend_logs'?" in dropped["general_settings.disable_spend_log"].reason
    assert dropped["router_settings.num_retires"].where.line == 8
    assert "num_retires" not in imported.files["litellm.yaml"]


def test_a_dropped_secret_is_never_shown(tmp_path: Path) -> None:
    key = "sk-" + "proj-" + "q" * 24 + "x1y2"
    imported = _import(tmp_path, MODEL + f"general_settings:\n  master_kee: {key}\n", drop=True)
    change = _one(imported, "general_settings.master_kee")
    assert change.op == DROP and change.shown is None
    assert key not in imported.report.markdown() and key not in json.dumps(imported.report.data())


def test_without_drop_ignored_each_ignored_key_is_an_error_with_the_option_named(tmp_path: Path) -> None:
    source = tmp_path / "config.yaml"
    source.write_text(UNKNOWN)
    result = convert.import_config(checkout_tree(), source, "dev")
    assert result.imported is None
    assert sorted(p.location.line for p in result.errors) == [6, 8, 9]
    assert all("import --drop-ignored drops it" in p.message for p in result.errors)


def test_drop_ignored_keeps_what_litellm_does_not_ignore(tmp_path: Path) -> None:
    """A near miss in litellm_params goes to the provider as a request parameter: not ignored, not dropped."""
    source = tmp_path / "config.yaml"
    source.write_text(MODEL + "      aws_regoin_name: us-east-1\n")
    result = convert.import_config(checkout_tree(), source, "dev", drop_ignored=True)
    assert result.imported is None
    assert [(p.location.line, "did you mean 'aws_region_name'" in p.message) for p in result.errors] == [(5, True)]


def test_the_report_is_printed_and_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "config.yaml"
    source.write_text(MODEL + "litellm_settings:\n  set_verbose: true\n")
    into = tmp_path / "text"
    assert main(["--root", str(ROOT), "import", str(source), "--into", str(into)]) == 0
    out = capsys.readouterr().out
    assert f"in {into / REPORT_FILE}:" in out
    assert f"{source}:6: [prod] litellm_settings.set_verbose: dropped — prod's policy:" in out
    written = (into / REPORT_FILE).read_text()
    assert written.startswith("# Import report") and "`litellm_settings.set_verbose`: dropped" in written
    assert main(["--root", str(ROOT), "import", str(source), "--into", str(tmp_path / "json"), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    changes = document["report"]["changes"]
    assert document["into"] == str(tmp_path / "json") and len(changes) == out.count(" — ")
    verbose = next(c for c in changes if c["path"] == "litellm_settings.set_verbose")
    assert verbose["op"] == "drop" and verbose["environments"] == ["prod"] and verbose["source"] == f"{source}:6"


def test_sections_of_the_surface_go_to_litellm_yaml_under_their_name(tmp_path: Path) -> None:
    """Top-level sections come from the surface's config.schema.json (`properties`), not from a list in code."""
    root = copy_tree(tmp_path / "tree")
    surface_file = root / "policies" / "litellm" / (root / "LITELLM_VERSION").read_text().strip() / SURFACE_SECTIONS
    surface = json.loads(surface_file.read_text())  # the version's sections and one more that no code names
    surface["properties"]["team_tools"] = {
        "type": "object",
        "additionalProperties": {"type": "object", "properties": {"url": {"type": "string"}}},
    }
    surface_file.write_text(json.dumps(surface))
    source = tmp_path / "config.yaml"
    source.write_text(MODEL + "# our tools\nteam_tools:\n  search: {url: https://search.internal}\nother: 1\n")
    policies = Policies(BundleTree.at(root))
    with pytest.raises(convert.ImportFailed) as failed:
        convert.build(policies, source, "dev")
    assert [(p.location.line, "unknown key 'other'" in p.message) for p in failed.value.problems] == [(8, True)]
    source.write_text(source.read_text().replace("other: 1\n", ""))
    imported, _ = convert.build(policies, source, "dev")
    litellm = _file(imported, "litellm.yaml")
    assert litellm["team_tools"] == {"search": {"url": "https://search.internal"}}
    assert "# our tools\nteam_tools:" in imported.files["litellm.yaml"]


def test_secrets_of_the_other_sections_become_references(tmp_path: Path) -> None:
    """Where the surface names a section's secret-bearing parameters (an MCP server's token, a search tool's
    key), a literal there is a secret like any other."""
    text = MODEL + (
        "mcp_servers:\n  github:\n    url: https://api.githubcopilot.com/mcp\n    auth_type: bearer_token\n"
        "    authentication_token: not-a-real-token\nsearch_tools:\n  - search_tool_name: web\n"
        "    litellm_params: {search_provider: tavily, api_key: not-a-real-key}\n"
    )
    imported = _import(tmp_path, text)
    token = _one(imported, "mcp_servers.github.authentication_token")
    assert token.kind == "secret" and token.value == "os.environ/MCP_SERVERS_GITHUB_AUTHENTICATION_TOKEN"
    assert _one(imported, "search_tools[0].litellm_params.api_key").kind == "secret"
    assert _file(imported, "litellm.yaml")["mcp_servers"]["github"]["auth_type"] == "bearer_token"
    assert "not-a-real" not in "".join(imported.files.values())


@pytest.mark.parametrize(
    ("text", "drop", "path", "op"),
    [
        # a reference the bundle cannot declare inside a list: the item is renamed
        ("      tags: [os.environ/team a, default]\n", False, "model_list[0].litellm_params.tags[0]", SET),
        # an ignored key without a value is dropped all the same
        ("general_settings:\n  disable_spend_log:\n", True, "general_settings.disable_spend_log", DROP),
        # a parameter without a value is not set (the rendering writes none)
        ("      aws_region_name:\n", False, "model_list[0].litellm_params.aws_region_name", DROP),
        # a section without a value is an empty one (LiteLLM's reading)
        ("general_settings:\nenvironment_variables:\n", False, "environment_variables", SET),
    ],
)
def test_odd_but_valid_input_lands(tmp_path: Path, text: str, drop: bool, path: str, op: str) -> None:
    imported = _import(tmp_path, MODEL + text, drop=drop)
    assert _one(imported, path).op == op


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("model_list: {gpt: 1}\n", 1),
        ("model_list:\n  - model_name: x\n", 2),
        ("model_list:\n  - 7\n", 2),
        (MODEL + "general_settings: [1, 2]\n", 5),
        (MODEL + "litellm_settings: yes\n", 5),
        (MODEL + "router_settings:\n  fallbacks: {gpt-4o: other}\n", 6),
        (MODEL + "environment_variables: [A]\n", 5),
        (MODEL + "credential_list: {a: 1}\n", 5),
        (MODEL + "guardrails:\n  - guardrail_name: 1\n", 6),
        (MODEL + "litellm_settings:\n  cache: true\n  cache_params: [redis]\n", 7),
        (MODEL + "environment_variables:\n  REDIS_PORT: [1]\n", 6),
        (MODEL + "environment_variables:\n  LITELLM_LOG: LOUD\n", 6),
        (MODEL.replace("openai/gpt-4o", "[a, b]"), 4),
        ("- just\n- a list\n", 1),
        ("model_list:\n  - model_name: a\n    litellm_params: {model: x}\n    model_info: {mode: [1]}\n", 4),
    ],
)
def test_wrong_input_is_located_never_a_traceback(tmp_path: Path, text: str, line: int) -> None:
    source = tmp_path / "config.yaml"
    source.write_text(text)
    result = convert.import_config(checkout_tree(), source, "dev")
    assert result.imported is None and result.errors
    assert line in [p.location.line for p in result.errors], "\n".join(map(str, result.errors))
