"""The acceptance corpus from LiteLLM itself: every example config the pinned wheel ships
(litellm/proxy/example_config_yaml/*.yaml, litellm/proxy/*.yaml), read from the installed package,
imports, validates and renders with the bundle's command line, and each environment's rendering is the
original changed by exactly the import report's changes, or it is listed in
tests/corpus/wheel/known-errors.yaml with its genuine error and exactly the bundle's messages.
(Booting them: tests/integration/test_boot_check.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.wheel_corpus import (
    PROXY_DIR,
    changed,
    configs,
    differences,
    is_config,
    known,
    listed,
    name,
    path_of,
    run,
    yaml_files,
)


def test_the_corpus_is_every_config_the_wheel_ships() -> None:
    """Every YAML file of the wheel's config directories is a config by the data file's rule or listed
    as not one; every file the data file names still ships (the list cannot rot)."""
    data = known()
    not_configs = data["not_configs"] or {}
    assert len(configs()) >= 20, f"{PROXY_DIR}: {len(configs())} configs found"
    assert [name(p) for p in yaml_files() if is_config(p) == (name(p) in not_configs)] == []
    assert [f for f in [*data["errors"], *not_configs] if not (PROXY_DIR / f).is_file()] == []
    for entry in data["errors"].values():
        assert entry["stage"] in ("import", "boot") and len(entry["genuine"]) > 40 and entry["problems"]


@pytest.mark.parametrize("source", configs(), ids=name)
def test_imports_validates_and_renders_or_is_listed(source: Path, tmp_path: Path) -> None:
    into = tmp_path / "config"
    imported = run("import", str(source), "--into", str(into), "--format", "json")
    expected = listed(source, "import")
    if expected is not None:
        assert imported.code != 0 and imported.problems() == expected, imported.report
        return
    assert imported.code == 0, "\n".join(f"{p['line']}: {p['message']} [{p['check']}]" for p in imported.problems())
    validated = run("validate", "--config", str(into), "--strict", "--format", "json")
    assert validated.code == 0, validated.report
    rendered = run("render", "--config", str(into), "--out", str(tmp_path / "out"), "--skip-k8s")
    assert rendered.code == 0, rendered.report
    # the round trip, read as LiteLLM reads both files (PyYAML): every environment's rendering is the
    # original changed by exactly the import report's changes for it
    original = yaml.safe_load(source.read_text(encoding="utf-8"))
    report = imported.report["report"]
    for env in report["environments"]:
        changes = [c for c in report["changes"] if c["space"] == "config" and env in c["environments"]]
        want, added = changed(original, changes)
        config = yaml.safe_load((tmp_path / "out" / "rendered" / env / "config.yaml").read_text(encoding="utf-8"))
        assert differences(want, config, added) == [], env


def test_the_round_trip_reads_the_reports_paths_against_the_config() -> None:
    """The report writes paths dotted; a key may hold a dot itself (a model group `gpt-3.5-turbo`)."""
    config = {"router_settings": {"model_group_alias": {"gpt-3.5-turbo": "gpt-4o"}}, "model_list": [{"a": {}}]}
    assert path_of(config, "router_settings.model_group_alias.gpt-3.5-turbo") == [
        "router_settings",
        "model_group_alias",
        "gpt-3.5-turbo",
    ]
    assert path_of(config, "model_list[0].model_info.id") == ["model_list", 0, "model_info", "id"]
    original = {"model_list": [{"model_name": "a", "litellm_params": {}}], "litellm_settings": {"callbacks": ["x"]}}
    report = [
        {"op": "set", "path": "model_list[0].model_info.id", "value": "a-1"},
        {"op": "add_item", "path": "litellm_settings.callbacks", "value": "hooks"},
        {"op": "drop", "path": "litellm_settings.nothing", "value": None},
    ]
    want, added = changed(original, report)
    rendered = {
        "litellm_settings": {"callbacks": ["hooks", "x"]},  # an added item may come first
        "model_list": [{"model_name": "a", "litellm_params": {}, "model_info": {"id": "a-1"}}],
    }
    assert differences(want, rendered, added) == []
    rendered["model_list"][0]["litellm_params"] = {"input_cost_per_token": "5e-06"}
    assert differences(want, rendered, added) == [
        'model_list.a.0.litellm_params.input_cost_per_token: expected "(absent)", rendered "5e-06"'
    ]
