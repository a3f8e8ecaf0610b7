"""The team's own code (values `teamCode`, rendered from config/code/): a ConfigMap of its own, projected into the
config volume next to config.yaml, hooks.json and the hooks package, and a pod roll when it changes."""

from __future__ import annotations

from typing import Any

from litellm_bundle.core.facts import CONFIG_MOUNT
from litellm_bundle.model.team_code import configmap_key
from tests.helpers import ROOT

from .conftest import Render, find

SCENARIO = ROOT / "helm" / "litellm-gateway" / "ci" / "team-code-values.yaml"
FILES = ("prompts/hello.prompt", "team_callbacks.py", "team_helpers.py")


def _pod(docs: list[dict[str, Any]]) -> dict[str, Any]:
    spec: dict[str, Any] = find(docs, "Deployment")["spec"]["template"]
    return spec


def test_the_teams_code_is_projected_next_to_config_yaml(render: Render) -> None:
    docs = render("prod", SCENARIO)
    data = find(docs, "ConfigMap", "-code")["data"]
    assert (
        sorted(data)
        == sorted(configmap_key(f) for f in FILES)
        == sorted(["prompts.hello.prompt", "team_callbacks.py", "team_helpers.py"])
    )
    # byte for byte as the values carry it (block scalars keep blank lines and the final newline)
    assert data["team_callbacks.py"] == "from team_helpers import tag\n\nhandler = tag\n"
    pod = _pod(docs)
    container = pod["spec"]["containers"][0]
    mount = next(m for m in container["volumeMounts"] if m["name"] == "config")
    assert mount == {"name": "config", "mountPath": CONFIG_MOUNT, "readOnly": True}
    assert container["args"][:2] == ["--config", f"{CONFIG_MOUNT}/config.yaml"]
    volume = next(v for v in pod["spec"]["volumes"] if v["name"] == "config")
    bundle, team = volume["projected"]["sources"]
    assert bundle["configMap"]["name"].endswith("-config")
    paths = [i["path"] for i in bundle["configMap"]["items"]]
    assert paths[:2] == ["config.yaml", "hooks.json"] and "gateway_hooks/entry.py" in paths
    assert team["configMap"]["name"].endswith("-code")
    assert [(i["key"], i["path"]) for i in team["configMap"]["items"]] == [(configmap_key(f), f) for f in FILES]
    # a change of the team's code rolls the pods
    assert "checksum/code" in pod["metadata"]["annotations"]
    changed = render("prod", SCENARIO, sets=["teamCode.team_helpers\\.py=def tag(value): return value"])
    assert _pod(changed)["metadata"]["annotations"]["checksum/code"] != pod["metadata"]["annotations"]["checksum/code"]


def test_without_team_code_the_config_volume_is_the_bundles_configmap_alone(render: Render) -> None:
    docs = render("prod")
    assert not [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("-code")]
    pod = _pod(docs)
    volume = next(v for v in pod["spec"]["volumes"] if v["name"] == "config")
    assert "projected" not in volume and volume["configMap"]["name"].endswith("-config")
    assert "checksum/code" not in pod["metadata"]["annotations"]
