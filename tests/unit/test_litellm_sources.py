"""The sources speak LiteLLM: any litellm_params / model_info key of the pinned version on a
deployment, config/litellm.yaml with per-environment overlays, LiteLLM-native guardrails and
credentials, the keys the bundle owns refused with their place, prod's policies, rendering."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litellm_bundle.checks import validate as validation
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.model.effective import effective_config
from litellm_bundle.policy.policies import Policies
from litellm_bundle.render.environment import litellm_config
from tests.helpers import ROOT

EXTRA_DEPLOYMENTS = """
  bedrock-claude:
    deployments:
      - id: bedrock-claude-us
        provider: bedrock
        model: anthropic.claude-3-5-sonnet-20240620-v1:0
        aws_region_name: us-east-1
        aws_role_name: os.environ/AWS_ROLE_ARN
        tags: [paid]
        model_info: {base_model: anthropic.claude-3-5-sonnet-20240620-v1:0, input_cost_per_token: 0.000003}
      - id: bedrock-claude-eu
        provider: bedrock
        model: anthropic.claude-3-5-sonnet-20240620-v1:0
        aws_region_name: eu-central-1
        aws_role_name: os.environ/AWS_ROLE_ARN
        provider_params: {performanceConfig: {latency: optimized}}
  anthropic/*:
    deployments:
      - id: anthropic-wildcard
        provider: anthropic
        model: "*"
        api_key: os.environ/ANTHROPIC_API_KEY
  azure-eu:
    deployments:
      - id: azure-eu-gpt-4o
        provider: azure
        model: gpt-4o
        litellm_credential_name: azure-eu
"""
LITELLM = """
general_settings:
  proxy_batch_write_at: 30
  disable_spend_logs: true
router_settings:
  enable_tag_filtering: true
  model_group_alias: {claude: bedrock-claude}
environment_variables:
  LANGFUSE_PUBLIC_KEY: os.environ/LANGFUSE_PUBLIC_KEY
  LANGFUSE_HOST: https://cloud.langfuse.com
credential_list:
  - credential_name: azure-eu
    credential_values:
      {api_key: os.environ/AZURE_EU_API_KEY, api_base: os.environ/AZURE_EU_API_BASE, api_version: "2024-10-21"}
    credential_info: {description: Azure in West Europe}
guardrails:
  - guardrail_name: presidio-pii
    litellm_params:
      {guardrail: presidio, mode: pre_call, presidio_analyzer_api_base: os.environ/PRESIDIO_ANALYZER_API_BASE}
"""
DECLARED = (
    "\n".join(
        f"  {name}:\n    sources:\n      dev: {{env: {name}}}\n      staging: {{env: {name}}}\n      prod: "
        f"{{env: {name}}}"
        for name in (
            "AWS_ROLE_ARN",
            "LANGFUSE_PUBLIC_KEY",
            "PRESIDIO_ANALYZER_API_BASE",
            "AZURE_EU_API_KEY",
            "AZURE_EU_API_BASE",
        )
    )
    + "\n"
)


def _extend(root: Path) -> None:
    config = root / "config"
    models = config / "models.yaml"
    models.write_text(models.read_text() + EXTRA_DEPLOYMENTS)
    litellm = config / "litellm.yaml"
    litellm.write_text(
        litellm.read_text().replace("  json_logs: true\n", "  json_logs: true\n  success_callback: [langfuse]\n")
        + LITELLM
    )
    secrets = config / "secrets.yaml"
    secrets.write_text(secrets.read_text() + DECLARED)
    for env in ("dev", "staging", "prod"):
        overlay = config / "environments" / f"{env}.yaml"
        text = overlay.read_text().replace(
            "model_groups: [gpt-4o,", "model_groups: [bedrock-claude, anthropic/*, azure-eu, gpt-4o,"
        )
        text = text.replace(
            "guardrails: [redact-secrets, banned-keywords]",
            "guardrails: [redact-secrets, banned-keywords, presidio-pii]",
        )
        overlay.write_text(text)
    prod = config / "environments" / "prod.yaml"
    prod.write_text(
        prod.read_text()
        + "litellm:\n  general_settings:\n    proxy_batch_write_at: 120\n"
        + "  litellm_settings:\n    turn_off_message_logging: true\n"
    )


def _rendered(root: Path, env: str) -> dict[str, Any]:
    policies = Policies(BundleTree.at(root))
    result = validation.run(policies, debug=True)
    assert not result.problems, "\n".join(map(str, result.problems))
    return litellm_config(effective_config(result.config_set, env))


def test_litellm_surface_renders(repo_copy: Path) -> None:
    _extend(repo_copy)
    config = _rendered(repo_copy, "dev")
    entries = {e["model_info"]["id"]: e for e in config["model_list"]}
    us = entries["bedrock-claude-us"]
    assert us["model_name"] == "bedrock-claude"
    assert us["litellm_params"] == {
        "model": "bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0",
        "aws_region_name": "us-east-1",
        "aws_role_name": "os.environ/AWS_ROLE_ARN",
        "tags": ["paid"],
    }
    assert us["model_info"] == {
        "id": "bedrock-claude-us",
        "mode": "chat",
        "base_model": "anthropic.claude-3-5-sonnet-20240620-v1:0",
        "input_cost_per_token": 0.000003,
    }
    assert entries["bedrock-claude-eu"]["litellm_params"]["performanceConfig"] == {"latency": "optimized"}
    assert (
        entries["anthropic-wildcard"]["model_name"] == "anthropic/*"
        and entries["anthropic-wildcard"]["litellm_params"]["model"] == "anthropic/*"
    )
    assert entries["azure-eu-gpt-4o"]["litellm_params"] == {
        "model": "azure/gpt-4o",
        "litellm_credential_name": "azure-eu",
    }
    assert config["credential_list"][0]["credential_name"] == "azure-eu"
    assert (
        config["router_settings"]["model_group_alias"] == {"claude": "bedrock-claude"}
        and config["router_settings"]["enable_tag_filtering"] is True
    )
    assert config["litellm_settings"]["callbacks"][0] == "gateway_hooks.entry.proxy_hooks" and config[
        "litellm_settings"
    ]["success_callback"] == ["langfuse"]
    assert config["environment_variables"]["LANGFUSE_HOST"] == "https://cloud.langfuse.com"
    assert [g["guardrail_name"] for g in config["guardrails"]] == ["redact-secrets", "banned-keywords", "presidio-pii"]
    assert config["general_settings"]["disable_spend_logs"] is True


def test_overlay_merges_over_litellm_yaml(repo_copy: Path) -> None:
    _extend(repo_copy)
    dev, prod = _rendered(repo_copy, "dev"), _rendered(repo_copy, "prod")
    assert (
        dev["general_settings"]["proxy_batch_write_at"] == 30
    )  # litellm.yaml wins over the bundle's 60 (dev has a database)
    assert (
        prod["general_settings"]["proxy_batch_write_at"] == 120
        and prod["general_settings"]["disable_spend_logs"] is True
    )
    assert (
        prod["litellm_settings"]["turn_off_message_logging"] is True
        and "turn_off_message_logging" not in dev["litellm_settings"]
    )
    assert prod["litellm_settings"]["drop_params"] is True  # the rest of litellm.yaml stays


def test_native_guardrail_off_where_not_enabled(repo_copy: Path) -> None:
    _extend(repo_copy)
    staging = repo_copy / "config" / "environments" / "staging.yaml"
    staging.write_text(staging.read_text().replace(", presidio-pii]", "]"))
    assert "presidio-pii" not in [g["guardrail_name"] for g in _rendered(repo_copy, "staging")["guardrails"]]
    assert "presidio-pii" in [g["guardrail_name"] for g in _rendered(repo_copy, "dev")["guardrails"]]


def test_a_waiver_allows_store_model_in_db_in_prod(repo_copy: Path) -> None:
    prod = repo_copy / "config" / "environments" / "prod.yaml"
    prod.write_text(prod.read_text() + "litellm:\n  general_settings:\n    store_model_in_db: true\n")
    result = validation.run(Policies(BundleTree.at(repo_copy)), debug=True)
    assert [p.check for p in result.errors] == ["store-model-in-db"]
    (repo_copy / "config" / "waivers.yaml").write_text(
        "waivers:\n  - check: store-model-in-db\n    environments: [prod]\n"
        "    reason: The platform team adds models in the UI until the migration (OPS-123) ends.\n"
    )
    result = validation.run(Policies(BundleTree.at(repo_copy)), debug=True)
    assert not result.errors and not result.warnings
    assert [(p.check, p.waived) for p in result.waived] == [
        ("store-model-in-db", "The platform team adds models in the UI until the migration (OPS-123) ends.")
    ]


def test_a_waiver_needs_a_reason(repo_copy: Path) -> None:
    (repo_copy / "config" / "waivers.yaml").write_text(
        "waivers:\n  - check: store-model-in-db\n    environments: [prod]\n    reason: because\n"
    )
    problems = validation.run(Policies(BundleTree.at(repo_copy)), debug=True).problems
    assert any("waivers[0].reason" in p.message and "too short" in p.message for p in problems), problems


def test_shipped_sources_have_the_litellm_settings_as_data() -> None:
    """drop_params and json_logs are config/litellm.yaml's, not the renderer's: an imported config renders
    without them."""
    text = (ROOT / "config" / "litellm.yaml").read_text()
    assert "drop_params: true" in text and "json_logs: true" in text
    source = (ROOT / "litellm_bundle" / "render" / "environment.py").read_text()
    assert '"drop_params"' not in source and '"json_logs"' not in source
