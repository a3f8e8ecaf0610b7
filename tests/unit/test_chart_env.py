"""An environment cannot set, through LiteLLM's environment_variables, a variable the chart's Deployment
sets itself (DISABLE_ADMIN_UI, NO_DOCS, ...): an error at the line that names it, in config/litellm.yaml
and in an environment's overlay; other variables stay allowed."""

from __future__ import annotations

from pathlib import Path

from litellm_bundle.checks import validate as validation
from litellm_bundle.checks.chart_env import chart_env
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.policy.policies import Policies


def set_variables(root: Path, file: str, variables: dict[str, str], overlay: bool) -> None:
    """`variables` under environment_variables of LiteLLM's settings in `file` (an overlay: under `litellm:`)."""
    path = root / file
    source = path.read_text(encoding="utf-8")
    indent = "  " if overlay else ""
    block = f"{indent}environment_variables:\n" + "".join(f'{indent}  {k}: "{v}"\n' for k, v in variables.items())
    if overlay and "\nlitellm:\n" in source:
        source = source.replace("\nlitellm:\n", "\nlitellm:\n" + block, 1)
    else:
        source = source.rstrip() + "\n" + ("litellm:\n" if overlay else "") + block
    path.write_text(source, encoding="utf-8")


def line_of(root: Path, file: str, needle: str) -> int:
    return next(n for n, line in enumerate((root / file).read_text().splitlines(), 1) if needle in line)


def test_a_chart_variable_in_environment_variables_is_an_error_at_its_line(repo_copy: Path) -> None:
    variables = {"SERVER_ROOT_PATH": "/gateway", "DISABLE_ADMIN_UI": "False"}
    set_variables(repo_copy, "config/environments/prod.yaml", variables, overlay=True)
    set_variables(repo_copy, "config/litellm.yaml", {"NO_DOCS": "False"}, overlay=False)
    result = validation.run(Policies(BundleTree.at(repo_copy)), debug=True)
    found = sorted(
        (p.location.file, p.location.line, p.severity, p.message)
        for p in result.problems
        if p.check == "chart-env-override"
    )
    prod = "config/environments/prod.yaml"
    assert [(f, line, severity) for f, line, severity, _ in found] == [
        (prod, line_of(repo_copy, prod, "DISABLE_ADMIN_UI"), "error"),
        ("config/litellm.yaml", line_of(repo_copy, "config/litellm.yaml", "NO_DOCS"), "error"),
    ]
    assert "DISABLE_ADMIN_UI is the chart's own (set from proxy.adminUI)" in found[0][3]
    assert [p for p in result.problems if p.check != "chart-env-override"] == []  # SERVER_ROOT_PATH is fine


def test_the_names_are_the_charts(checkout_policies: Policies) -> None:
    names = chart_env(checkout_policies)
    assert {"DISABLE_ADMIN_UI", "NO_DOCS", "NO_REDOC", "NO_OPENAPI", "LITELLM_CORS_ORIGINS"} <= set(names)
    assert all(why.startswith("set from ") for why in names.values())
