"""Loader (positions, YAML errors) and schema messages."""

from __future__ import annotations

import json
from pathlib import Path

from litellm_bundle.core.tree import BundleTree
from litellm_bundle.core.yamlio import dump_yaml, load_yaml, parse_yaml
from litellm_bundle.model.configset import load_config_set
from litellm_bundle.model.effective import effective_config
from litellm_bundle.policy import schemas
from litellm_bundle.policy.policies import Policies
from tests.helpers import ROOT


def test_positions_are_one_based_and_point_at_keys(tmp_path: Path) -> None:
    file = tmp_path / "x.yaml"
    file.write_text("a:\n  b:\n    - 1\n    - c: 2\n", encoding="utf-8")
    doc, problems = load_yaml(file, "x.yaml")
    assert not problems and doc is not None
    assert str(doc.locate(("a", "b", 1, "c"))) == "x.yaml:4:7"
    # a path that does not exist resolves to the deepest existing node
    assert doc.locate(("a", "missing")).line == 1


def test_empty_file_is_an_empty_mapping(tmp_path: Path) -> None:
    file = tmp_path / "empty.yaml"
    file.write_text("# only a comment\n", encoding="utf-8")
    doc, problems = load_yaml(file, "empty.yaml")
    assert doc is not None and dict(doc.data) == {} and not problems


def test_duplicate_key_names_both_lines(tmp_path: Path) -> None:
    file = tmp_path / "d.yaml"
    file.write_text("x: 1\ny: 2\nx: 3\n", encoding="utf-8")
    doc, problems = load_yaml(file, "d.yaml")
    assert doc is None
    assert [str(p) for p in problems] == [
        "d.yaml:3:1: duplicate key 'x' (first defined at line 1); each key may appear once in a mapping"
        " [yaml-duplicate-key]"
    ]


def test_missing_config_file_is_a_problem(repo_copy: Path) -> None:
    (repo_copy / "config" / "transforms.yaml").unlink()
    cs = load_config_set(BundleTree.at(repo_copy), ("dev", "staging", "prod"))
    assert any(p.location.file == "config/transforms.yaml" and "missing" in p.message for p in cs.problems)


def test_every_schema_is_valid_draft_2020_12_and_closed(checkout_policies: Policies) -> None:
    files = sorted(checkout_policies.tree.schemas_dir.glob("*.json"))
    assert len(files) >= 8
    for file in files:
        schema = json.loads(file.read_text())
        assert schema["$schema"].endswith("2020-12/schema")
        if file.name != "common.schema.json":
            checkout_policies.validator(file)  # check_schema raises on an invalid schema
            assert _closed(schema, checkout_policies), f"{file.name} must reject unknown keys"


def _closed(schema: dict, policies: Policies) -> bool:
    """Unknown keys rejected by the schema itself, or by the closed schema it is (`$ref`: config/litellm.yaml
    is LiteLLM's whole config, whose sections are the pinned version's)."""
    if schema.get("additionalProperties") is False:
        return True
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("../litellm/"):
        return _closed(policies.litellm_schemas[ref.removeprefix("../litellm/")], policies)
    return False


def test_unknown_key_suggests_the_closest_allowed_key(checkout_policies: Policies) -> None:
    validator = checkout_policies.validator(checkout_policies.source_schema("routing.schema.json"))
    problems = schemas.check(validator, {"cooldwon_time": 3}, lambda p: paths_loc(p), check="schema")
    assert len(problems) == 1
    assert "unknown key 'cooldwon_time' in (top level); did you mean 'cooldown_time'?" in problems[0].message
    assert "allowed: allowed_fails," in problems[0].message


def paths_loc(path: tuple) -> Location:  # noqa: F821 - small locator for schema-only checks
    from litellm_bundle.core.problems import Location

    return Location("mem.yaml", len(path) + 1, 1)


def test_effective_config_filters_deployments_by_environment(checkout: BundleTree) -> None:
    cs = load_config_set(checkout, ("dev", "staging", "prod"))
    dev = effective_config(cs, "dev")
    prod = effective_config(cs, "prod")
    assert [d["id"] for d in dev.data["model_groups"]["gpt-4o"]["deployments"]] == ["gpt-4o-fake", "gpt-4o-openai"]
    assert [d["id"] for d in dev.data["model_groups"]["long-context"]["deployments"]] == ["long-context-fake"]
    assert [d["id"] for d in prod.data["model_groups"]["gpt-4o"]["deployments"]] == ["gpt-4o-openai", "gpt-4o-azure"]
    # positions of filtered deployments still point into config/models.yaml
    loc = prod.locate(("model_groups", "gpt-4o", "deployments", 1, "id"))
    text = (ROOT / "config" / "models.yaml").read_text().splitlines()
    assert loc.file == "config/models.yaml" and "id: gpt-4o-azure" in text[loc.line - 1]


def test_dump_yaml_floats_read_back_as_floats_by_litellm_s_loader() -> None:
    """LiteLLM reads config.yaml with PyYAML (YAML 1.1), which reads 5e-06 as a string: prices keep a dot."""
    import yaml

    data = {"input_cost_per_token": 0.000005, "big": 1e20, "small": 1.5e-07, "plain": 0.5}
    assert yaml.safe_load(dump_yaml(data)) == data
    doc, problems = parse_yaml(dump_yaml(data), "mem.yaml")  # the bundle's own reader (import, validate)
    assert not problems and doc is not None and dict(doc.data) == data


def test_dump_yaml_is_deterministic_and_block_style() -> None:
    data = {"b": [1, {"c": "x\ny"}], "a": "os.environ/X"}
    assert dump_yaml(data) == dump_yaml(data)
    assert "{" not in dump_yaml(data)
