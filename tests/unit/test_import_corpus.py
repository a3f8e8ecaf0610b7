"""The corpus (tests/corpus/*.yaml, realistic LiteLLM configs): each imports, validates, renders and
renders the same configuration; typo'd and broken variants of each are rejected at their line.
(Booting them: tests/integration/test_boot_check.py.)"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import pytest

from litellm_bundle.checks.validate import validate
from litellm_bundle.core.problems import Problem
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.core.yamlio import parse_yaml
from litellm_bundle.importer import convert, roundtrip
from litellm_bundle.policy.policies import Policies
from litellm_bundle.render.environment import render_environment
from tests.helpers import ROOT, checkout_tree

CORPUS = sorted((ROOT / "tests" / "corpus").glob("*.yaml"))
DOCS = sorted((ROOT / "tests" / "corpus" / "docs").glob("*.yaml"))  # as LiteLLM's documentation writes them
ENVIRONMENTS = ("dev", "staging", "prod")
FEATURES = (
    "aws_role_name",
    "vertex_credentials",
    "tenant_id",
    "input_cost_per_token",
    "anthropic/*",
    "model_group_alias",
    "credential_list",
    "litellm_credential_name",
    "enable_tag_filtering",
    "drop_params",
    "langfuse",
    "otel",
    "datadog",
    "s3_callback_params",
    "presidio",
    "lakera_v2",
    "guardrail: bedrock",
    "aporia",
    "alerting",
    "pass_through_endpoints",
    "default_team_settings",
    "proxy_batch_write_at",
    "disable_spend_logs",
    "allow_requests_on_db_unavailable",
)


def _data(text: str) -> dict[str, Any]:
    doc, problems = parse_yaml(text, "x")
    assert doc is not None and not problems
    return doc.data


def test_the_corpus_covers_the_features() -> None:
    text = "\n".join(f.read_text() for f in CORPUS)
    assert len(CORPUS) >= 20
    assert [f for f in FEATURES if f not in text] == []


@pytest.mark.parametrize("source", CORPUS + DOCS, ids=lambda p: p.stem)
def test_imports_validates_renders_and_round_trips(source: Path, tmp_path: Path) -> None:
    """Every environment renders the original config changed by exactly the changes the import report
    lists for it: each difference is a listed change, each listed change shows."""
    imported = _imported(source)
    config_dir = tmp_path / "config"
    convert.write_files(config_dir, imported.files)
    assert imported.original == _data(source.read_text())  # the config as written
    for env, config in rendered(config_dir).items():
        assert_round_trip(imported, env, config)
    text = "\n".join(imported.files.values())  # no literal secret of the config is written anywhere
    secrets = [roundtrip.value_at(imported.original, c.path) for c in imported.report.changes if c.kind == "secret"]
    assert [s for s in secrets if not isinstance(s, str) or s in text] == []


def rendered(config_dir: Path) -> dict[str, dict[str, Any]]:
    """Every environment's config.yaml rendered from an imported config directory (which validates)."""
    policies = Policies(BundleTree.at(ROOT, config_dir=config_dir))
    cs, problems = validate(policies)
    assert not problems, "\n".join(map(str, problems))
    return {env: _data(render_environment(cs, env, policies)["config.yaml"]) for env in ENVIRONMENTS}


def assert_round_trip(imported: convert.Imported, env: str, config: dict[str, Any]) -> None:
    """`config` (a rendering of `env`) is the original changed by exactly the report's changes for `env`."""
    changes = imported.report.for_env(env)
    expected = roundtrip.apply(imported.original, changes)
    assert [str(d) for d in roundtrip.differences(expected, config)] == [], env
    entries = roundtrip.pairs(imported.original, config)
    hidden = [c.describe() for c in changes if not roundtrip.shows(c, imported.original, config, entries)]
    assert hidden == [], env


def _imported(source: Path) -> convert.Imported:
    result = convert.import_config(checkout_tree(), source, "dev")
    assert result.imported is not None and not result.errors, "\n".join(map(str, result.problems))
    return result.imported


def _refused(source: Path) -> list[Problem]:
    """The problems of a config that cannot be imported (then there are no sources to write)."""
    result = convert.import_config(checkout_tree(), source, "dev")
    assert result.imported is None and result.errors
    return result.problems


def _leaves(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return [v for value in node.values() for v in _leaves(value)]
    if isinstance(node, list):
        return [v for value in node for v in _leaves(value)]
    return [node]


def _typo(text: str) -> tuple[str, int, str]:
    """The config with its first long setting or parameter name misspelled (a letter dropped):
    (text, line, the key)."""
    lines = text.splitlines()
    for number, line in enumerate(lines):
        match = re.match(r"^(\s+)([a-z][a-z_]{6,}):", line)
        if match and match.group(2) not in (
            "model_name",
            "litellm_params",
            "model_info",
            "credential_name",
            "credential_values",
            "credential_info",
            "guardrail_name",
        ):
            key = match.group(2)
            wrong = key[:3] + key[4:]
            lines[number] = line.replace(key, wrong, 1)
            return "\n".join(lines) + "\n", number + 1, key
    raise AssertionError("no key to misspell")


@pytest.mark.parametrize("source", CORPUS, ids=lambda p: p.stem)
def test_typo_is_rejected_with_its_line(source: Path, tmp_path: Path) -> None:
    text, line, key = _typo(source.read_text())
    broken = tmp_path / source.name
    broken.write_text(text)
    problems = _refused(broken)
    assert any(p.location.line == line and f"did you mean '{key}'" in p.message for p in problems), "\n".join(
        map(str, problems)
    )


@pytest.mark.parametrize("source", CORPUS, ids=lambda p: p.stem)
def test_interpolation_is_rejected_with_its_line(source: Path, tmp_path: Path) -> None:
    text = source.read_text()
    match = re.search(r"os\.environ/([A-Z0-9_]+)", text)
    assert match
    line = text[: match.start()].count("\n") + 1
    broken = tmp_path / source.name
    broken.write_text(text[: match.start()] + "${" + match.group(1) + "}" + text[match.end() :])
    problems = _refused(broken)
    assert [(p.location.line, p.check) for p in problems] == [(line, "import-unsupported")]
    assert "is not expanded by LiteLLM" in problems[0].message and f"os.environ/{match.group(1)}" in problems[0].message


def test_import_of_the_corpus_writes_nothing_in_place(tmp_path: Path) -> None:
    """Importing reads the config only: the corpus and the checkout stay as they are."""
    before = {p: p.read_bytes() for p in CORPUS}
    with tempfile.TemporaryDirectory() as tmp:
        convert.write(Path(tmp) / "out", _imported(CORPUS[0]))
    assert before == {p: p.read_bytes() for p in CORPUS}
