from __future__ import annotations

from litellm_bundle import paths

from .conftest import Render, find


def test_configmap_carries_rendered_config_hooks_config_and_hooks_code(render: Render) -> None:
    data = find(render("staging"), "ConfigMap", "-config")["data"]
    assert data["config.yaml"] == (paths.ROOT / "rendered" / "staging" / "config.yaml").read_text()
    assert data["hooks.json"] == (paths.ROOT / "rendered" / "staging" / "hooks.json").read_text()
    assert data["gateway_hooks.entry.py"] == (paths.HOOKS_DIR / "gateway_hooks" / "entry.py").read_text()
    for file in (paths.HOOKS_DIR / "gateway_hooks").glob("*.py"):
        assert f"gateway_hooks.{file.name}" in data
