from __future__ import annotations

from tests.helpers import ROOT, committed

from .conftest import Render, find


def test_configmap_carries_rendered_config_hooks_config_and_hooks_code(render: Render) -> None:
    data = find(render("staging"), "ConfigMap", "-config")["data"]
    assert data["config.yaml"] == committed("staging", "config.yaml")
    assert data["hooks.json"] == committed("staging", "hooks.json")
    package = ROOT / "hooks" / "gateway_hooks"
    assert data["gateway_hooks.entry.py"] == (package / "entry.py").read_text()
    # the hooks validate hooks.json against their contract at start: it travels with the code
    assert data["gateway_hooks.hooks.schema.json"] == (ROOT / "policies" / "schemas" / "hooks.schema.json").read_text()
    for file in [*package.glob("*.py"), *package.glob("*.json")]:
        assert f"gateway_hooks.{file.name}" in data
