from __future__ import annotations

from litellm_bundle.external import kube
from tests.helpers import ROOT, checkout_tree

from .conftest import Render, find


def container(docs: list) -> dict:
    return find(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]


def test_hardened_security_context(render: Render) -> None:
    for env in ("dev", "staging", "prod"):
        docs = render(env)
        pod = find(docs, "Deployment")["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        sc = pod["containers"][0]["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True
        assert sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"]["drop"] == ["ALL"]
        mounts = {m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
        assert {"/tmp", "/.cache", "/etc/litellm"} <= mounts
        assert pod["containers"][0]["resources"]["limits"]["memory"]


def test_probes_on_litellm_health_endpoints(render: Render) -> None:
    c = container(render("prod"))
    assert c["livenessProbe"] == {**c["livenessProbe"], "tcpSocket": {"port": "http"}}
    assert "httpGet" not in c["livenessProbe"]
    assert c["readinessProbe"]["httpGet"] == {"path": "/health/readiness", "port": "http"}
    assert c["startupProbe"]["httpGet"]["path"] == "/health/liveliness"
    assert "SEPARATE_HEALTH_APP" not in {e["name"] for e in c["env"]}


def test_separate_health_app_moves_the_probes(render: Render) -> None:
    c = container(render("prod", sets=["proxy.separateHealthApp.enabled=true"]))
    assert c["livenessProbe"]["httpGet"] == {"path": "/health/liveliness", "port": "health"}
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert env["SEPARATE_HEALTH_APP"] == "1" and env["SEPARATE_HEALTH_PORT"] == "4001"
    assert {"name": "health", "containerPort": 4001, "protocol": "TCP"} in c["ports"]


def test_image_is_pinned_official_image(render: Render) -> None:
    pinned = checkout_tree().pinned_version()
    assert container(render("prod"))["image"] == f"ghcr.io/berriai/litellm-database:{pinned}"
    assert container(render("dev"))["image"] == f"ghcr.io/berriai/litellm:{pinned}"
    digest = "sha256:" + "a" * 64
    assert container(render("prod", sets=[f"image.digest={digest}"]))["image"].endswith(f":{pinned}@{digest}")


def test_config_and_hooks_mounted_next_to_each_other(render: Render) -> None:
    docs = render("prod")
    c = container(docs)
    assert c["args"][:2] == ["--config", "/etc/litellm/config.yaml"]
    volume = find(docs, "Deployment")["spec"]["template"]["spec"]["volumes"][0]
    paths_ = {item["path"] for item in volume["configMap"]["items"]}
    assert {
        "config.yaml",
        "hooks.json",
        "gateway_hooks/entry.py",
        "gateway_hooks/__init__.py",
        "gateway_hooks/hooks.schema.json",
    } <= paths_


def test_graceful_termination_and_spread(render: Render) -> None:
    pod = find(render("prod"), "Deployment")["spec"]["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] >= 30
    assert pod["containers"][0]["lifecycle"]["preStop"]["exec"]["command"][0] == "sleep"
    assert pod["topologySpreadConstraints"][0]["topologyKey"] == "kubernetes.io/hostname"


def test_checksum_changes_when_config_changes(render: Render, tmp_path) -> None:
    base = find(render("prod"), "Deployment")["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
    changed_file = tmp_path / "changed.yaml"
    changed_file.write_text("hooksConfig: '{\"changed\": true}'\n")
    changed = find(render("prod", changed_file), "Deployment")["spec"]["template"]["metadata"]["annotations"][
        "checksum/config"
    ]
    same = find(render("prod"), "Deployment")["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
    assert base == same and base != changed


def test_replicas_with_autoscaling_start_at_the_minimum_and_stay_with_the_hpa(render: Render) -> None:
    # `helm install`: no live Deployment to look up -> the first install starts at minReplicas
    assert find(render("prod"), "Deployment")["spec"]["replicas"] == 3
    # the rendered manifests for kubectl / Argo CD leave replicas to the HPA
    assert "replicas" not in find(render("prod", sets=["autoscaling.startAtMinReplicas=false"]), "Deployment")["spec"]
    committed = [
        d for d in kube.documents((ROOT / "k8s" / "prod" / "manifests.yaml").read_text()) if d["kind"] == "Deployment"
    ]
    assert "replicas" not in committed[0]["spec"]
    assert find(render("dev"), "Deployment")["spec"]["replicas"] == 1


def test_every_object_lands_in_the_release_namespace(render: Render) -> None:
    for env in ("dev", "staging", "prod"):
        for doc in render(env):
            assert doc["metadata"]["namespace"] == "llm-gateway", (env, doc["kind"], doc["metadata"]["name"])
