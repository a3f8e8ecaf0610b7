"""`rust_core`: every environment states whether LiteLLM's Rust core is on; the renderer writes it as LiteLLM's
own switch (LITELLM_RUST in config.yaml's environment_variables, which LiteLLM sets over the pod's environment);
LiteLLM's settings cannot set it a second time; an import moves it to the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from litellm_bundle.build.generate import render_one
from litellm_bundle.core.facts import RUST_CORE_ENV
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.importer import convert
from litellm_bundle.importer.report import ENVIRONMENT, SET
from tests.helpers import ROOT, checkout_tree, copy_tree, validate_root
from tests.unit.test_import_adjustments import MODEL, _changes, _file, _import, _one


def test_every_environment_states_it_and_its_rendering_carries_it() -> None:
    for source in sorted((ROOT / "config" / "environments").glob("*.yaml")):
        stated = YAML(typ="safe").load(source.read_text())
        assert isinstance(stated.get("rust_core"), bool), f"{source.name} says whether the Rust core is on"
        rendered = YAML(typ="safe").load(render_one(checkout_tree(), source.stem)["config.yaml"])
        assert rendered["environment_variables"][RUST_CORE_ENV] == str(stated["rust_core"]).lower()


def test_the_switch_renders_over_litellms_own_variables(tmp_path: Path) -> None:
    root = copy_tree(tmp_path / "tree")
    env_file = root / "config" / "environments" / "dev.yaml"
    text = env_file.read_text()
    env_file.write_text(text.replace("rust_core: false", "rust_core: true"))
    litellm = root / "config" / "litellm.yaml"
    litellm.write_text(litellm.read_text() + "environment_variables:\n  LANGFUSE_HOST: https://langfuse.internal\n")
    rendered = YAML(typ="safe").load(render_one(BundleTree.at(root), "dev")["config.yaml"])
    assert rendered["environment_variables"] == {"LANGFUSE_HOST": "https://langfuse.internal", RUST_CORE_ENV: "true"}


def test_litellms_settings_cannot_set_it_a_second_time(tmp_path: Path) -> None:
    root = copy_tree(tmp_path / "tree")
    litellm = root / "config" / "litellm.yaml"
    litellm.write_text(litellm.read_text() + 'environment_variables:\n  LITELLM_RUST: "true"\n')
    _, problems = validate_root(root, ["dev"])
    owned = [p for p in problems if p.check == "litellm-owned-key" and RUST_CORE_ENV in str(p)]
    assert owned and "is rendered from `rust_core`" in str(owned[0]), "\n".join(map(str, problems))


def test_an_import_moves_it_to_the_environment(tmp_path: Path) -> None:
    for name in "abc":
        (tmp_path / name).mkdir()
    imported = _import(tmp_path / "a", MODEL + 'environment_variables:\n  LITELLM_RUST: "true"\n')
    assert _file(imported, "environments/dev.yaml")["rust_core"] is True
    assert "environment_variables" not in (_file(imported, "litellm.yaml") or {}), "nothing left but the switch"
    assert not _changes(imported, f"environment_variables.{RUST_CORE_ENV}"), "rendered back as it was"
    spelled = _import(tmp_path / "b", MODEL + "environment_variables:\n  LITELLM_RUST: 1\n  OTHER: x\n")
    assert _file(spelled, "environments/dev.yaml")["rust_core"] is True
    change = _one(spelled, f"environment_variables.{RUST_CORE_ENV}")
    assert (change.op, change.value) == (SET, "true") and "LiteLLM reads 1 as true" in change.reason
    absent = _import(tmp_path / "c", MODEL)
    assert "rust_core" not in _file(absent, "environments/dev.yaml"), "the default (off) stays unwritten"
    assert not _changes(absent, "rust_core", ENVIRONMENT)


@pytest.mark.parametrize("value", ["maybe", "[1]"])
def test_an_import_refuses_what_litellm_cannot_read_as_a_switch(tmp_path: Path, value: str) -> None:
    source = tmp_path / "config.yaml"
    source.write_text(MODEL + f"environment_variables:\n  LITELLM_RUST: {value}\n")
    result = convert.import_config(checkout_tree(), source, "dev")
    assert result.imported is None
    assert [p.location.line for p in result.errors if RUST_CORE_ENV in str(p)] == [6]
