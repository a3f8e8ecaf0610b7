"""The registry of checks (litellm_bundle/policy/checks.yaml): every id the code names is registered, every registered
id is named by code, and docs/validation.md's table of checks is the one the registry writes."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from litellm_bundle.cli.main import main
from litellm_bundle.core.problems import CHECKS, POLICY, Location, Problem
from litellm_bundle.policy import registry
from litellm_bundle.policy.policies import PolicyError
from tests.helpers import ROOT

CHECKS_REGISTRY = registry.load()
VALIDATION_DOC = ROOT / "docs" / "validation.md"


def _named_in_code() -> dict[str, list[str]]:
    """Check id -> where the tooling names it: a `check="id"` argument or a default of a `check` parameter."""
    found: dict[str, list[str]] = {}
    for file in sorted((ROOT / "litellm_bundle").rglob("*.py")):
        tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
        for node in ast.walk(tree):
            values: list[ast.expr] = []
            if isinstance(node, ast.Call):
                values = [k.value for k in node.keywords if k.arg == "check"]
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                positional = node.args.args[len(node.args.args) - len(node.args.defaults) :]
                values = [d for a, d in zip(positional, node.args.defaults, strict=True) if a.arg == "check"]
                values += [
                    d
                    for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True)
                    if a.arg == "check" and d
                ]
            for value in values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    where = f"{file.relative_to(ROOT)}:{value.lineno}"
                    found.setdefault(value.value, []).append(where)
    return found


def _x_checks(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("x-check"), str):
            yield node["x-check"]
        for value in node.values():
            yield from _x_checks(value)
    elif isinstance(node, list):
        for value in node:
            yield from _x_checks(value)


def _named_in_policies() -> dict[str, list[str]]:
    """Check id -> the policy files whose rules name it (`x-check`)."""
    found: dict[str, list[str]] = {}
    for file in sorted((ROOT / "policies").rglob("*.json")):
        for check in _x_checks(json.loads(file.read_text(encoding="utf-8"))):
            found.setdefault(check, []).append(str(file.relative_to(ROOT)))
    return found


def test_every_check_the_code_names_is_registered() -> None:
    named = {**_named_in_code(), **_named_in_policies()}
    unknown = {check: where for check, where in named.items() if check not in CHECKS_REGISTRY}
    assert unknown == {}, "register these checks in litellm_bundle/policy/checks.yaml"


def test_every_registered_check_is_named_by_code() -> None:
    named = set(_named_in_code()) | set(_named_in_policies())
    assert [c for c in CHECKS_REGISTRY.checks if c not in named] == [], "a check no code reports"


def test_the_scan_finds_the_check_sites() -> None:
    named = _named_in_code()
    assert len(named) >= 50
    assert any(w.startswith("litellm_bundle/core/yamlio.py") for w in named["yaml-syntax"])  # a parameter's default
    assert _named_in_policies()["litellm-owned-key"] == ["policies/environments/litellm.policy.json"]


def test_a_problem_of_an_unregistered_check_fails_loudly() -> None:
    problem = Problem(Location("a.yaml", 1, 1), "x", check="no-such-check")
    with pytest.raises(KeyError, match="no-such-check"):
        CHECKS_REGISTRY.classify(problem)


def test_classify_gives_the_registered_severity_and_stage() -> None:
    warning = CHECKS_REGISTRY.classify(Problem(Location("a.yaml", 1, 1), "x", check="unused"))
    policy = CHECKS_REGISTRY.classify(Problem(Location("a.yaml", 1, 1), "x", check="store-model-in-db"))
    assert (warning.severity, warning.stage) == ("warning", CHECKS)
    assert (policy.severity, policy.stage) == ("error", POLICY)


def test_every_warning_and_every_waivable_check_is_documented_as_such() -> None:
    checks = CHECKS_REGISTRY.checks.values()
    assert {c.severity for c in checks} == {"error", "warning"}
    assert {c.command for c in checks} == set(registry.COMMANDS)
    assert "store-model-in-db" in CHECKS_REGISTRY.waivable and "schema" not in CHECKS_REGISTRY.waivable


def test_the_table_of_checks_in_the_docs_is_up_to_date() -> None:
    text = VALIDATION_DOC.read_text(encoding="utf-8")
    assert registry.with_table(text, CHECKS_REGISTRY) == text, (
        "docs/validation.md is stale: run `python -m litellm_bundle checks --write-docs`"
    )
    assert all(f"| `{c}` |" in text for c in CHECKS_REGISTRY.checks)


def test_the_command_writes_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "bundle"
    (root / "docs").mkdir(parents=True)
    (root / "config").mkdir()
    (root / "policies").symlink_to(ROOT / "policies")
    (root / "LITELLM_VERSION").write_text((ROOT / "LITELLM_VERSION").read_text())
    doc = root / "docs" / "validation.md"
    doc.write_text(f"# Validation\n\n{registry.BEGIN}\nold\n{registry.END}\n\nmore\n")
    assert main(["--root", str(root), "checks", "--write-docs"]) == 0
    table = registry.markdown(CHECKS_REGISTRY)
    assert doc.read_text() == f"# Validation\n\n{registry.BEGIN}\n{table}{registry.END}\n\nmore\n"
    assert "rewritten" in capsys.readouterr().out
    assert main(["--root", str(root), "checks"]) == 0
    assert "store-model-in-db" in capsys.readouterr().out


def test_a_broken_registry_is_a_policy_error(tmp_path: Path) -> None:
    file = tmp_path / "checks.yaml"
    file.write_text("checks:\n  Bad_Id:\n    title: t\n    severity: fatal\n")
    with pytest.raises(PolicyError, match="checks"):
        registry.load(file)


def test_the_registry_ships_with_the_package() -> None:
    """`pip install .` carries it (the checks are the code's, whatever tree they check)."""
    text = (ROOT / "pyproject.toml").read_text()
    assert all(name in text for name in (registry.REGISTRY.name, registry.REGISTRY_SCHEMA.name))
