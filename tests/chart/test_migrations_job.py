from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from litellm_bundle.build.generate import render_one
from litellm_bundle.core.facts import DEFAULT_KUBE_VERSION, NAMESPACE, RELEASE
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.external import kube
from litellm_bundle.runtime.migration_job import SCHEMA_UPDATE_SWITCH
from tests.helpers import ROOT, copy_tree

from .conftest import CI_BASE, Render, find, kinds, values_for


def test_migrations_job_is_a_pre_upgrade_hook_that_waits_for_the_db(render: Render) -> None:
    job = find(render("prod"), "Job", "-migrations")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-upgrade"
    script = job["spec"]["template"]["spec"]["containers"][0]["args"][0]
    assert "FATAL: database" in script and "sys.exit(1)" in script
    assert "prisma_migration.py" in script
    assert job["spec"]["backoffLimit"] <= 2
    assert job["spec"]["ttlSecondsAfterFinished"] > 0


def test_migrations_job_reads_only_the_database_url(render: Render) -> None:
    job = find(render("prod"), "Job", "-migrations")
    env = job["spec"]["template"]["spec"]["containers"][0]["env"]
    assert [e["name"] for e in env] == ["DATABASE_URL"]
    assert env[0]["valueFrom"]["secretKeyRef"]["name"] == "litellm-gateway-vault-backend"


def test_only_gateway_pods_are_selected_by_service_pdb_and_network_policy(render: Render) -> None:
    docs = render("prod")
    selectors = [
        find(docs, "Service")["spec"]["selector"],
        find(docs, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"],
        find(docs, "NetworkPolicy", "litellm-gateway")["spec"]["podSelector"]["matchLabels"],
    ]
    gateway = find(docs, "Deployment")["spec"]["template"]["metadata"]["labels"]
    others = [
        find(docs, "Job", "-migrations")["spec"]["template"]["metadata"]["labels"],
        find(docs, "Pod", "-test")["metadata"]["labels"],
    ]
    for selector in selectors:
        assert selector.items() <= gateway.items()
        for labels in others:
            assert not selector.items() <= labels.items(), (selector, labels)


def test_no_job_without_database(render: Render) -> None:
    assert "Job" not in kinds(render("dev", CI_BASE))  # database and access off
    assert "Job" in kinds(render("dev"))


def test_access_job_runs_after_install_and_upgrade_with_least_privilege(render: Render) -> None:
    docs = render("prod")
    job = find(docs, "Job", "-access")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "post-install,post-upgrade"
    pod = job["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["command"] == ["python", "-m", "gateway_access", "apply"]
    assert "k8s-secret:litellm-gateway-keys" in container["args"] and "--prune" not in container["args"]
    # the master key, and the value of the one key that comes from a secret (the Prometheus scraper's)
    assert [e["name"] for e in container["env"] if "valueFrom" in e] == ["LITELLM_MASTER_KEY", "LITELLM_METRICS_KEY"], (
        "no provider key, no database URL"
    )
    mounted = {
        i["path"] for i in find(docs, "Job", "-access")["spec"]["template"]["spec"]["volumes"][0]["configMap"]["items"]
    }
    assert {"access.json", "gateway_access/__main__.py", "gateway_access/access-state.schema.json"} <= mounted
    # the one Secret it writes, created empty by the chart, and nothing else: no `create` (which RBAC
    # cannot limit by name, so it would allow any Secret)
    role = find(docs, "Role", "-access")
    assert role["rules"] == [
        {
            "apiGroups": [""],
            "resources": ["secrets"],
            "resourceNames": ["litellm-gateway-keys"],
            "verbs": ["get", "update", "patch"],
        }
    ]
    keys = find(docs, "Secret", "litellm-gateway-keys")
    assert "data" not in keys and "stringData" not in keys
    assert keys["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert not any(k.startswith("helm.sh/hook") for k in keys["metadata"]["annotations"]), "created before the Job"
    assert pod["serviceAccountName"] == "litellm-gateway-access" and pod["automountServiceAccountToken"] is True
    config = find(docs, "ConfigMap", "-access")["data"]
    assert config["access.json"] == (ROOT / "rendered" / "prod" / "access.json").read_text()
    # the gateway lets exactly these pods in, and they reach only DNS, the gateway and the API server
    gateway = find(docs, "NetworkPolicy", "litellm-gateway")["spec"]
    selectors = [
        f["podSelector"]["matchLabels"]
        for rule in gateway["ingress"]
        for f in rule.get("from", [])
        if "podSelector" in f
    ]
    assert {"app.kubernetes.io/instance": "litellm-gateway", "app.kubernetes.io/component": "access"} in selectors
    own = find(docs, "NetworkPolicy", "-access")["spec"]
    assert {p["port"] for rule in own["egress"] for p in rule["ports"]} == {53, 4000, 443, 6443}
    # every rule names where it goes: the API server's ports only towards its addresses, never anywhere
    assert all(rule.get("to") for rule in own["egress"]), own["egress"]
    api = next(rule for rule in own["egress"] if {p["port"] for p in rule["ports"]} == {443, 6443})
    assert [peer["ipBlock"]["cidr"] for peer in api["to"]] == ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]


def test_the_access_job_reaches_the_api_server_addresses_an_environment_declares(
    render: Render, tmp_path: Path
) -> None:
    """`network.api_server` of an environment (a public control plane) becomes the access Job's egress."""
    tree = copy_tree(tmp_path / "tree")
    overlay = tree / "config" / "environments" / "prod.yaml"
    overlay.write_text(overlay.read_text() + "network:\n  api_server: [203.0.113.10/32]\n")
    values = tmp_path / "values.yaml"
    values.write_text(render_one(BundleTree.at(tree), "prod")["values.yaml"])
    own = find(render("prod", values), "NetworkPolicy", "-access")["spec"]
    api = next(rule for rule in own["egress"] if {p["port"] for p in rule["ports"]} == {443, 6443})
    assert api["to"] == [{"ipBlock": {"cidr": "203.0.113.10/32"}}]


def _switch(docs: list[dict[str, Any]]) -> dict[str, Any] | None:
    env = find(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]["env"]
    found = [e for e in env if e["name"] == SCHEMA_UPDATE_SWITCH]
    assert len(found) <= 1
    return found[0] if found else None


def _upgrade_render(checkout: BundleTree, env: str, *sets: str) -> list[dict[str, Any]]:
    """`helm template --is-upgrade`: the chart as `helm upgrade` renders it (.Release.IsUpgrade)."""
    cmd = [kube.tool(checkout, "helm"), "template", RELEASE, str(checkout.chart_dir), "--namespace", NAMESPACE]
    cmd += ["--kube-version", DEFAULT_KUBE_VERSION, "--is-upgrade", "-f", "-"]
    cmd += [arg for item in sets for arg in ("--set", item)]
    done = subprocess.run(cmd, input=values_for(env), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return kube.documents(done.stdout)


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_serving_pods_migrate_on_the_first_install_and_never_on_an_upgrade(
    render: Render, checkout: BundleTree, env: str
) -> None:
    """LiteLLM's switch comes from a ConfigMap that says "false" on the first install (the pods migrate the
    empty database; no hook can run before the release exists) and "true" on every upgrade (the Job owns the
    migrations); the pod template is the same in both, so flipping it rolls no pod."""
    install, upgrade = render(env), _upgrade_render(checkout, env)
    assert _switch(install) == {
        "name": SCHEMA_UPDATE_SWITCH,
        "valueFrom": {"configMapKeyRef": {"name": "litellm-gateway-schema-updates", "key": SCHEMA_UPDATE_SWITCH}},
    }
    mode = {
        "install": find(install, "ConfigMap", "-schema-updates")["data"],
        "upgrade": find(upgrade, "ConfigMap", "-schema-updates")["data"],
    }
    assert mode == {"install": {SCHEMA_UPDATE_SWITCH: "false"}, "upgrade": {SCHEMA_UPDATE_SWITCH: "true"}}
    assert find(install, "Deployment")["spec"]["template"] == find(upgrade, "Deployment")["spec"]["template"]
    assert find(upgrade, "Job", "-migrations")["metadata"]["annotations"]["helm.sh/hook"] == "pre-upgrade"


def test_without_the_job_the_pods_keep_litellms_default(render: Render, checkout: BundleTree) -> None:
    """No migrations Job: the pods migrate at start, on upgrades too (LiteLLM's default, nothing set)."""
    for docs in (
        render("prod", sets=["database.migrations.enabled=false"]),
        _upgrade_render(checkout, "prod", "database.migrations.enabled=false"),
    ):
        assert _switch(docs) is None
        assert not [d for d in docs if d["metadata"]["name"].endswith("-schema-updates")]
        assert "Job" not in {d["kind"] for d in docs if d["metadata"]["name"].endswith("-migrations")}
