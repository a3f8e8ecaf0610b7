"""Never stricter than LiteLLM where LiteLLM does what the user meant (issue 22, class 3), each case
held against the installed LiteLLM's own code: an ollama deployment on LiteLLM's default endpoint,
deployments that differ only in their tags (tag routing tells them apart), several LiteLLM guardrails
of one name (LiteLLM load-balances them)."""

from __future__ import annotations

import inspect
from pathlib import Path

from litellm_bundle.core.problems import Problem
from tests.helpers import copy_tree, validate_root


def _edit(root: Path, name: str, old: str, new: str) -> None:
    file = root / "config" / name
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


def _errors(root: Path) -> list[Problem]:
    return validate_root(root)[1]


def test_ollama_without_api_base_uses_litellms_default(tmp_path: Path) -> None:
    from litellm.llms.ollama.common_utils import OllamaModelInfo

    assert "http://localhost:11434" in inspect.getsource(inspect.getmodule(OllamaModelInfo))  # type: ignore[arg-type]
    root = copy_tree(tmp_path / "b")
    deployment = (
        "      - id: gpt-4o-ollama\n        environments: [dev]\n        provider: ollama\n        model: llama3\n"
        "        order: 3\n"
    )
    _edit(root, "models.yaml", "      - id: gpt-4o-openai\n", deployment + "      - id: gpt-4o-openai\n")
    assert _errors(root) == []


def test_deployments_differing_only_in_tags_are_two_targets(tmp_path: Path) -> None:
    from litellm.router_strategy import tag_based_routing

    assert "tags" in inspect.getsource(tag_based_routing.get_deployments_for_tag)
    root = copy_tree(tmp_path / "b")
    twin = (
        "      - id: gpt-4o-openai-eu\n        environments: [dev, staging, prod]\n        order: 1\n"
        "        provider: openai\n        model: gpt-4o\n        api_key: os.environ/OPENAI_API_KEY\n"
        "        tags: [eu]\n"
    )
    _edit(root, "models.yaml", "      - id: gpt-4o-azure\n", twin + "      - id: gpt-4o-azure\n")
    assert [p for p in _errors(root) if p.check == "duplicate-deployment"] == []
    # without the tag they are one target, reported
    _edit(root, "models.yaml", "        tags: [eu]\n", "")
    assert [p.check for p in _errors(root) if p.check == "duplicate-deployment"] == ["duplicate-deployment"]


def test_litellm_guardrails_of_one_name_are_load_balanced(tmp_path: Path) -> None:
    from litellm.proxy.guardrails import init_guardrails

    assert "_populate_router_guardrail_list" in inspect.getsource(init_guardrails)
    root = copy_tree(tmp_path / "b")
    entry = (
        "  - guardrail_name: pii-mask\n    litellm_params:\n      guardrail: presidio\n      mode: pre_call\n"
        "      presidio_analyzer_api_base: http://presidio-{n}:3000\n"
        "      presidio_anonymizer_api_base: http://presidio-anon-{n}:3000\n"
    )
    litellm = root / "config" / "litellm.yaml"
    litellm.write_text(
        litellm.read_text(encoding="utf-8") + "guardrails:\n" + entry.format(n=1) + entry.format(n=2), encoding="utf-8"
    )
    assert [p for p in _errors(root) if p.check == "duplicate-name"] == []
