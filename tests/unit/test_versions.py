"""Environments on different LiteLLM versions during a rollout (`litellm_version:`): each is checked
against its own version's committed surface, its image tag follows, and prod is never ahead of staging.
Two real surfaces: the pinned version's and the previous one (kept while a rollout may need it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from litellm_bundle.build.generate import render_one
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.model.versions import version_key
from litellm_bundle.policy.policies import LITELLM_SURFACE, Policies
from tests.helpers import ROOT, copy_tree, validate_root

COMMITTED = sorted(
    (d.name for d in (ROOT / "policies" / "litellm").iterdir() if (d / LITELLM_SURFACE).is_file()), key=version_key
)
OLDER, NEWER = COMMITTED[0], COMMITTED[-1]


def test_two_surfaces_are_committed() -> None:
    assert len(COMMITTED) >= 2, f"the previous version's surface is kept for rollouts and this test: {COMMITTED}"


def _set_versions(root: Path, versions: dict[str, str]) -> None:
    yaml = YAML()
    for env, version in versions.items():
        file = root / "config" / "environments" / f"{env}.yaml"
        data = yaml.load(file.read_text(encoding="utf-8"))
        data.insert(1, "litellm_version", version)
        with file.open("w", encoding="utf-8") as out:
            yaml.dump(data, out)


def _line_of(file: Path, text: str) -> int:
    return next(n for n, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def test_staging_ahead_of_prod_validates_and_each_image_follows_its_version(tmp_path: Path) -> None:
    root = copy_tree(tmp_path / "b")
    _set_versions(root, {"dev": NEWER, "staging": NEWER, "prod": OLDER})
    _, errors = validate_root(root)
    assert errors == []
    tree = BundleTree.at(root)
    for env, version in (("staging", NEWER), ("prod", OLDER)):
        values = YAML(typ="safe").load(render_one(tree, env)["values.yaml"])
        assert values["image"]["tag"] == version


def test_prod_ahead_of_staging_is_refused_at_the_line(tmp_path: Path) -> None:
    root = copy_tree(tmp_path / "b")
    _set_versions(root, {"dev": NEWER, "staging": OLDER, "prod": NEWER})
    _, errors = validate_root(root)
    order = [p for p in errors if p.check == "litellm-version-order"]
    assert [p.env for p in order] == ["prod"]
    prod = root / "config" / "environments" / "prod.yaml"
    assert order[0].location.file.endswith("config/environments/prod.yaml")
    assert order[0].location.line == _line_of(prod, "litellm_version:")
    assert f"newer than staging's {OLDER}" in order[0].message


def test_a_version_without_a_committed_surface_is_an_error(tmp_path: Path) -> None:
    root = copy_tree(tmp_path / "b")
    _set_versions(root, {"prod": "1.0.0"})
    _, errors = validate_root(root)
    missing = [p for p in errors if p.check == "litellm-version-surface"]
    assert len(missing) == 1 and missing[0].env == "prod"
    assert "make upgrade TO=1.0.0" in missing[0].message and OLDER in missing[0].message


def test_a_key_only_the_newer_version_reads_fails_where_the_older_one_runs(tmp_path: Path) -> None:
    older = json.loads((ROOT / "policies/litellm" / OLDER / "litellm_settings.schema.json").read_text())
    newer = json.loads((ROOT / "policies/litellm" / NEWER / "litellm_settings.schema.json").read_text())
    added = sorted(set(newer["properties"]) - set(older["properties"]))
    samples = {k: _sample(newer["properties"][k]) for k in added}
    key, value = next((k, v) for k, v in samples.items() if v is not None)
    root = copy_tree(tmp_path / "b")
    litellm = root / "config" / "litellm.yaml"
    text = litellm.read_text(encoding="utf-8")
    litellm.write_text(text.replace("litellm_settings:\n", f"litellm_settings:\n  {key}: {json.dumps(value)}\n", 1))
    tree = BundleTree.at(root)
    pinned = tree.pinned_version()
    runs_older = {env: OLDER for env in ("dev", "staging", "prod")}
    runs_newer = {env: NEWER for env in ("dev", "staging", "prod")}
    _set_versions(root, runs_older if pinned == NEWER else runs_newer)
    _, errors = validate_root(root)
    if pinned == NEWER:  # the sources are the pinned version's: only the older one of the environments misses it
        flagged = [p for p in errors if key in p.message]
        assert flagged and all(f"in LiteLLM {OLDER}" in p.message for p in flagged), errors
        assert flagged[0].location.line == _line_of(litellm, f"{key}:")
    else:
        assert not [p for p in errors if key in p.message and f"in LiteLLM {NEWER}" in p.message]


def _sample(schema: dict[str, Any]) -> object:
    """A value of a plain scalar schema (or an anyOf whose first branch is one), else None."""
    first = schema["anyOf"][0] if isinstance(schema.get("anyOf"), list) else schema
    return {"boolean": True, "integer": 1, "number": 1.0, "string": "x"}.get(first.get("type"))


def test_policies_for_version_reads_that_surface() -> None:
    policies = Policies(BundleTree.at(ROOT))
    other = policies.for_version(OLDER if policies.tree.pinned_version() == NEWER else NEWER)
    assert other.litellm_surface["version"] != policies.litellm_surface["version"]
    assert policies.for_version(policies.tree.pinned_version()) is policies
