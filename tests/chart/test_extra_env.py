"""proxy.extraEnv cannot name a variable the chart's Deployment sets itself (values.schema.json refuses it,
so `helm install` with a hand-written values file cannot either), and the refused names are exactly the
ones the Deployment sets with every option on."""

from __future__ import annotations

import json

import pytest

from litellm_bundle.core.tree import BundleTree
from litellm_bundle.external import kube
from tests.helpers import ROOT

from .conftest import Render, find, values_for

SCHEMA = json.loads((ROOT / "helm" / "litellm-gateway" / "values.schema.json").read_text())
REFUSED = sorted(SCHEMA["properties"]["proxy"]["properties"]["extraEnv"]["properties"])
EVERY_OPTION = [  # on top of prod's values: every variable the Deployment can set
    "proxy.separateHealthApp.enabled=true",
    "proxy.adminUI=false",
    "proxy.apiDocs=false",
    "metrics.enabled=true",
    "proxy.workers=2",
    "database.enabled=true",
    "database.migrations.enabled=true",
    "proxy.maxStreamingDurationSeconds=300",
]


@pytest.mark.parametrize("name", REFUSED)
def test_extra_env_naming_a_chart_variable_is_refused(checkout: BundleTree, name: str) -> None:
    with pytest.raises(RuntimeError) as info:
        kube.helm_template(checkout, values_for("prod"), sets=[f"proxy.extraEnv.{name}=x"])
    assert f"at '/proxy/extraEnv/{name}'" in str(info.value)


def test_other_extra_env_is_rendered(render: Render) -> None:
    env = find(render("prod", sets=["proxy.extraEnv.SERVER_ROOT_PATH=/gateway"]), "Deployment")
    [container] = env["spec"]["template"]["spec"]["containers"]
    assert {"name": "SERVER_ROOT_PATH", "value": "/gateway"} in container["env"]


def test_the_refused_names_are_the_ones_the_deployment_sets(render: Render) -> None:
    deployment = find(render("prod", sets=EVERY_OPTION), "Deployment")
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    secrets = {e["name"] for e in container["env"] if "secretKeyRef" in e.get("valueFrom", {})}
    assert sorted({e["name"] for e in container["env"]} - secrets) == REFUSED
