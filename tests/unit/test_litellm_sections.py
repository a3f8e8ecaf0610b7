"""config/litellm.yaml takes every top-level section of the pinned LiteLLM (mcp_servers, search_tools,
prompts, policies, ...) under LiteLLM's names, checked against that version's schemas at file:line with
"did you mean", and rendered into every environment's config.yaml; lenient where LiteLLM does what
the user meant (one dotted-path callback, empty sections, model_info metadata), strict where it
silently ignores a mistake (docs/litellm-surface.md)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from litellm_bundle.checks import validate as validation
from litellm_bundle.checks.litellm_settings import near_miss
from litellm_bundle.core.problems import Problem
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.model.effective import effective_config
from litellm_bundle.policy.policies import Policies
from litellm_bundle.render.environment import litellm_config

SECTIONS = """
general_settings:
mcp_servers:
  github:
    url: https://api.githubcopilot.com/mcp
    transport: http
    auth_type: bearer_token
    auth_value: os.environ/GITHUB_TOKEN
    allowed_tools: [list_issues]
    static_headers: {X-Team: platform, Authorization: os.environ/GITHUB_AUTH_HEADER}
search_tools:
  - search_tool_name: web
    litellm_params: {search_provider: tavily, api_key: os.environ/TAVILY_API_KEY}
prompts:
  - prompt_id: greeting
    litellm_params: {prompt_integration: dotprompt, dotprompt_content: "Hello {{name}}"}
policies:
  baseline:
    description: the guardrails of every request
    guardrails: {add: [presidio-pii]}
policy_attachments:
  - policy: baseline
    scope: "*"
agents:
"""
PRESIDIO = """
guardrails:
  - guardrail_name: presidio-pii
    litellm_params: {guardrail: presidio, mode: pre_call, presidio_analyzer_api_base: os.environ/PRESIDIO_API_BASE}
"""
DECLARED = ("GITHUB_TOKEN", "GITHUB_AUTH_HEADER", "TAVILY_API_KEY", "PRESIDIO_API_BASE")


def _write(root: Path, litellm: str, models_info: str = "") -> None:
    config = root / "config"
    (config / "litellm.yaml").write_text((config / "litellm.yaml").read_text() + litellm)
    secrets = config / "secrets.yaml"
    secrets.write_text(
        secrets.read_text()
        + "".join(
            f"  {n}:\n    sources:\n      dev: {{env: {n}}}\n      staging: {{env: {n}}}\n      prod: {{env: {n}}}\n"
            for n in DECLARED
        )
    )
    for env in ("dev", "staging", "prod"):
        overlay = config / "environments" / f"{env}.yaml"
        overlay.write_text(
            overlay.read_text().replace(
                "guardrails: [redact-secrets, banned-keywords]",
                "guardrails: [redact-secrets, banned-keywords, presidio-pii]",
            )
        )
    if models_info:
        models = config / "models.yaml"
        text = models.read_text()
        # the model line of the first deployment that has no model_info yet (the fakes carry their price there)
        end = next(
            m.end()
            for m in re.finditer(r"^        model: .*\n", text, re.M)
            if not text.startswith("        model_info:", m.end())
        )
        models.write_text(text[:end] + f"        model_info: {models_info}\n" + text[end:])


def _problems(root: Path) -> list[Problem]:
    return validation.run(Policies(BundleTree.at(root)), debug=True).problems


def _rendered(root: Path, env: str) -> dict[str, Any]:
    result = validation.run(Policies(BundleTree.at(root)), debug=True)
    assert not result.problems, "\n".join(map(str, result.problems))
    return litellm_config(effective_config(result.config_set, env))


def test_every_section_renders_as_written(repo_copy: Path) -> None:
    _write(repo_copy, SECTIONS + PRESIDIO)
    for env in ("dev", "staging", "prod"):
        config = _rendered(repo_copy, env)
        assert config["mcp_servers"]["github"]["auth_value"] == "os.environ/GITHUB_TOKEN"
        assert config["search_tools"][0]["search_tool_name"] == "web"
        assert config["prompts"][0]["prompt_id"] == "greeting"
        assert config["policies"]["baseline"]["guardrails"] == {"add": ["presidio-pii"]}
        assert config["policy_attachments"] == [{"policy": "baseline", "scope": "*"}]
        assert "agents" not in config  # present but empty: absent, as the proxy reads it
        assert config["general_settings"]["master_key"]  # an empty section merges as {}


def test_one_dotted_path_callback_renders_after_the_bundle_s(repo_copy: Path) -> None:
    _write(repo_copy, PRESIDIO)
    litellm = repo_copy / "config" / "litellm.yaml"
    one = "  json_logs: true\n  callbacks: litellm.integrations.custom_logger.CustomLogger\n"
    litellm.write_text(litellm.read_text().replace("  json_logs: true\n", one))
    callbacks = _rendered(repo_copy, "dev")["litellm_settings"]["callbacks"]
    assert callbacks[0] == "gateway_hooks.entry.proxy_hooks"
    assert callbacks[-1] == "litellm.integrations.custom_logger.CustomLogger"


def test_mistakes_in_the_sections_are_found_where_they_are(repo_copy: Path) -> None:
    _write(
        repo_copy,
        PRESIDIO
        + """
mcp_server: {}
model_list: []
include: [other.yaml]
mcp_servers:
  github: {urll: https://api.githubcopilot.com/mcp, static_headers: {Authorization: Bearer abc}}
""",
    )
    found = {(p.location.file, p.location.line, p.check): p.message for p in _problems(repo_copy)}
    by_message = "\n".join(found.values())
    assert "unknown key 'mcp_server' in (top level); did you mean 'mcp_servers'?" in by_message
    assert "model_list: deployments are config/models.yaml's model_groups" in by_message
    assert "include: the bundle renders one config.yaml" in by_message
    assert "unknown key 'urll' in mcp_servers.github; did you mean 'url'?" in by_message
    secret = [m for (f, _, c), m in found.items() if c == "litellm-secret-value"]
    assert secret and "static_headers.Authorization" in secret[0]
    assert all(f == "config/litellm.yaml" for f, _, _ in found)


def test_model_info_keeps_metadata_but_not_a_near_miss(repo_copy: Path) -> None:
    _write(repo_copy, "", "{version: 2, owner: team-a, base_modle: gpt-4o}")
    problems = [p for p in _problems(repo_copy) if p.check == "litellm-near-miss"]
    assert [p.message.split(";")[0] for p in problems] == ["unknown key 'base_modle' in model_info"]
    assert "did you mean 'base_model'?" in problems[0].message and problems[0].location.file == "config/models.yaml"
    assert near_miss("max_token", ["max_tokens", "mode"]) == "max_tokens"
    assert near_miss("mdoe", ["max_tokens", "mode"]) == "mode"
    assert near_miss("owner", ["max_tokens", "mode"]) is None and near_miss("alias", ["aliases"]) is None


def test_a_guardrail_parameter_of_another_integration(repo_copy: Path) -> None:
    _write(
        repo_copy,
        PRESIDIO.replace("mode: pre_call,", "mode: pre_call, judge_model: gpt-4o,")
        + """  - guardrail_name: judge
    litellm_params:
      guardrail: llm_as_a_judge
      mode: post_call
      judge_model: gpt-4o
      criteria: [{name: helpful, weight: 100}]
""",
    )
    problems = [p for p in _problems(repo_copy) if p.check == "litellm-guardrail-param"]
    assert len(problems) == 1 and "'judge_model' is a parameter of the llm_as_a_judge" in problems[0].message
    assert "not of presidio" in problems[0].message


def test_a_section_of_the_wrong_type_names_what_litellm_takes(repo_copy: Path) -> None:
    """The section's schema is LiteLLM's (a `$ref` beside the bundle's own keywords): its alternatives are
    described from where they are written, not looked up beside the bundle's schema."""
    (repo_copy / "config" / "litellm.yaml").write_text("litellm_settings: []\n")
    assert [(p.location.file, p.location.line, p.message) for p in _problems(repo_copy)] == [
        ("config/litellm.yaml", 1, "litellm_settings: [] is not allowed (allowed: litellm_settings or null)")
    ]
