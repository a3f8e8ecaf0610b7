"""The corpus configs of LiteLLM's other top-level sections (tests/corpus/: mcp-gateway, search-tools,
vector-stores, guardrail-policies, files-and-fine-tuning, written from LiteLLM's documentation): a key
LiteLLM reads in those sections, misspelled, is refused at its line with the key it meant, as
everywhere else (LiteLLM ignores most of them silently, or fails at start). Importing, the round trip
and booting them: tests/unit/test_import_corpus.py, tests/integration/test_boot_check.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from litellm_bundle.importer import convert
from tests.helpers import ROOT, checkout_tree

CORPUS = ROOT / "tests" / "corpus"
# (config, top-level section, a key LiteLLM reads inside it): the key's first line in that section is misspelled
SECTION_KEYS = [
    ("mcp-gateway", "mcp_servers", "allowed_tools"),
    ("mcp-gateway", "mcp_servers", "static_headers"),
    ("mcp-gateway", "litellm_settings", "mcp_aliases"),
    ("search-tools", "search_tools", "search_provider"),
    ("search-tools", "litellm_settings", "enabled_providers"),
    ("vector-stores", "vector_store_registry", "vector_store_description"),
    ("guardrail-policies", "policies", "inherit"),
    ("guardrail-policies", "policy_attachments", "teams"),
    ("files-and-fine-tuning", "files_settings", "custom_llm_provider"),
    ("files-and-fine-tuning", "finetune_settings", "api_version"),
]


def misspelled(text: str, section: str, key: str) -> tuple[str, int]:
    """The config with `key`'s first occurrence inside top-level `section` missing its fourth letter:
    (text, line)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{section}:"))
    for number in range(start + 1, len(lines)):
        if re.match(r"^\S", lines[number]):
            break
        if re.match(rf"^\s+(- )?{key}:", lines[number]):
            lines[number] = lines[number].replace(key, key[:3] + key[4:], 1)
            return "\n".join(lines) + "\n", number + 1
    raise AssertionError(f"no {key} in {section}")


def test_every_section_config_is_in_the_corpus() -> None:
    assert {config for config, _, _ in SECTION_KEYS} <= {p.stem for p in CORPUS.glob("*.yaml")}


@pytest.mark.parametrize(("config", "section", "key"), SECTION_KEYS, ids=lambda v: str(v))
def test_a_misspelled_key_of_a_section_is_refused_at_its_line(
    config: str, section: str, key: str, tmp_path: Path
) -> None:
    text, line = misspelled((CORPUS / f"{config}.yaml").read_text(encoding="utf-8"), section, key)
    broken = tmp_path / f"{config}.yaml"
    broken.write_text(text, encoding="utf-8")
    result = convert.import_config(checkout_tree(), broken, "dev")
    assert result.imported is None
    assert [(p.location.line, f"did you mean '{key}'" in p.message) for p in result.problems] == [(line, True)], (
        "\n".join(map(str, result.problems))
    )
