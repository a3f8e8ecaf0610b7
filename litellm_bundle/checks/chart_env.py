"""No environment overrides an environment variable the chart's Deployment sets itself, several of them
for safety (DISABLE_ADMIN_UI, NO_DOCS, ...). An environment reaches the proxy's environment through
LiteLLM's `environment_variables` (config/litellm.yaml and its overlay's `litellm:`): LiteLLM writes them
into its process environment when it loads config.yaml, over the chart's, before it loads the hooks, so
`DISABLE_ADMIN_UI: "False"` there would serve the admin UI that `admin_ui: false` turns off. The names
are the ones the chart's values.schema.json refuses in proxy.extraEnv (a hand-written values file cannot
name them either), each with the chart value that sets it."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from litellm_bundle.checks.litellm_settings import settings_sources
from litellm_bundle.core.problems import Found, Problem
from litellm_bundle.model.configset import ConfigSet, as_map
from litellm_bundle.policy.policies import Policies


@cache
def _chart_env(schema_file: Path) -> dict[str, str]:
    node: Any = json.loads(schema_file.read_text(encoding="utf-8"))
    for key in ("properties", "proxy", "properties", "extraEnv", "properties"):  # none in a chart before the list
        node = node.get(key, {}) if isinstance(node, dict) else {}
    return {name: str(as_map(body).get("description", "set by the chart")) for name, body in as_map(node).items()}


def chart_env(policies: Policies) -> dict[str, str]:
    """The variables the chart's Deployment sets, each with the chart value that sets it."""
    return _chart_env(policies.tree.chart_dir / "values.schema.json")


def check_chart_env(cs: ConfigSet, policies: Policies) -> list[Problem]:
    found = Found()
    names = chart_env(policies)
    for key, base, settings in settings_sources(cs, policies):
        for name in as_map(settings.get("environment_variables")):
            if name in names:
                found.add(
                    cs.docs[key],
                    base + ("environment_variables", name),
                    f"environment variable {name} is the chart's own ({names[name]}); LiteLLM would set it "
                    "over the chart's when it loads config.yaml: remove it and set the chart's value through "
                    "the environment (config/environments/<env>.yaml)",
                    check="chart-env-override",
                )
    return found.problems
