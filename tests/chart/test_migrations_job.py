from __future__ import annotations

from tests.helpers import ROOT

from .conftest import CI_BASE, Render, find, kinds


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
    role = find(docs, "Role", "-access")
    assert role["rules"][0] == {
        "apiGroups": [""],
        "resources": ["secrets"],
        "resourceNames": ["litellm-gateway-keys"],
        "verbs": ["get", "patch"],
    }
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
