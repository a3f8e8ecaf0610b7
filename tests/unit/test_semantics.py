"""Cross-reference checks in isolation."""

from __future__ import annotations

from pathlib import Path

from litellm_bundle.checks.references import find_cycle
from tests.helpers import validate_root as validate


def test_find_cycle() -> None:
    assert find_cycle({"a": ["b"], "b": ["c"]}) is None
    assert find_cycle({"a": ["b"], "b": ["a"]}) == ["a", "b", "a"]
    assert find_cycle({"x": ["y"], "y": ["z"], "z": ["y"]}) == ["y", "z", "y"]
    assert find_cycle({}) is None


def test_shipped_config_is_valid_for_every_environment() -> None:
    cs, problems = validate()
    assert problems == []
    assert cs.environments == ["dev", "prod", "staging"]


def test_declared_but_unused_reference_is_fine(repo_copy: Path) -> None:
    secrets = repo_copy / "config" / "secrets.yaml"
    secrets.write_text(
        secrets.read_text() + "  UNUSED_SETTING:\n    secret: false\n    sources:\n      dev: {env: UNUSED_SETTING}\n"
    )
    _, problems = validate(repo_copy)
    assert problems == []


def test_fallback_target_disabled_in_one_environment(repo_copy: Path) -> None:
    dev = repo_copy / "config" / "environments" / "dev.yaml"
    dev.write_text(
        dev.read_text().replace(
            "model_groups: [gpt-4o, gpt-4o-mini, claude-sonnet,", "model_groups: [gpt-4o, gpt-4o-mini,"
        )
    )
    _, problems = validate(repo_copy)
    messages = [f"{p.env}|{p.message}" for p in problems]
    assert any(m.startswith("dev|fallback target 'claude-sonnet' is not enabled in dev") for m in messages), messages
    assert any(m.startswith("dev|label 'reasoning' routes to 'claude-sonnet'") for m in messages), messages


def test_same_target_in_overlapping_environments_is_a_duplicate(repo_copy: Path) -> None:
    models = repo_copy / "config" / "models.yaml"
    text = models.read_text().replace(
        "      - id: gpt-4o-azure\n        environments: [prod]\n        provider: azure\n        model: gpt-4o-eu\n"
        "        api_base: os.environ/AZURE_API_BASE\n        api_key: os.environ/AZURE_API_KEY\n"
        '        api_version: "2024-10-21"',
        "      - id: gpt-4o-openai-2\n        environments: [prod]\n        provider: openai\n        model: gpt-4o\n"
        "        api_key: os.environ/OPENAI_API_KEY",
    )
    models.write_text(text)
    _, problems = validate(repo_copy)
    assert any("duplicate deployment in group 'gpt-4o'" in p.message and "in prod" in p.message for p in problems)


def test_same_target_in_disjoint_environments_is_not_a_duplicate(repo_copy: Path) -> None:
    models = repo_copy / "config" / "models.yaml"
    twin = (
        "      - id: gpt-4o-azure-staging\n        environments: [staging]\n        provider: azure\n"
        "        model: gpt-4o-eu\n        api_base: os.environ/AZURE_API_BASE\n"
        "        api_key: os.environ/AZURE_API_KEY\n"
        '        api_version: "2024-10-21"\n'
    )
    models.write_text(models.read_text().replace("  gpt-4o-mini:\n", twin + "  gpt-4o-mini:\n", 1))
    _, problems = validate(repo_copy)
    messages = [p.message for p in problems]
    assert not any("duplicate deployment" in m for m in messages), messages
    # the twin is real: staging now needs the Azure references it uses
    assert any("AZURE_API_KEY has no source for environment 'staging'" in m for m in messages), messages
