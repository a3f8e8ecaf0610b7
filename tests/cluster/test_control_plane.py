"""The local control plane is a real Kubernetes: the pinned server version, the real controllers and
scheduler converge workloads onto the kwok nodes, and the API server validates strictly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from litellm_bundle.cluster.control_plane import FAIL_ANNOTATION, ZONES, ControlPlane
from litellm_bundle.core.facts import DEFAULT_CONTROL_PLANE_VERSION
from litellm_bundle.runtime.processes import group_alive

ROOT = Path(__file__).resolve().parent.parent.parent


def deployment(replicas: int) -> str:
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
      - name: web
        image: registry.invalid/web:1
        resources: {{requests: {{cpu: "1", memory: 1Gi}}}}
"""


def job(name: str, annotations: dict[str, str] | None = None) -> str:
    return f"""
apiVersion: batch/v1
kind: Job
metadata: {{name: {name}}}
spec:
  backoffLimit: 0
  template:
    metadata: {{annotations: {json.dumps(annotations or {})}}}
    spec:
      restartPolicy: Never
      containers: [{{name: main, image: registry.invalid/migrate:1}}]
"""


def get(control_plane: ControlPlane, namespace: str, *what: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(control_plane.kubectl("get", "-n", namespace, *what, "-o", "json").stdout)
    return found


def wait(control_plane: ControlPlane, namespace: str, what: str, condition: str) -> None:
    control_plane.kubectl("wait", "-n", namespace, what, f"--for=condition={condition}", "--timeout=60s")


def test_server_reports_the_pinned_version(control_plane: ControlPlane) -> None:
    versions = json.loads(control_plane.kubectl("version", "-o", "json").stdout)
    assert versions["serverVersion"]["gitVersion"] == control_plane.version


def test_fake_nodes_are_ready_one_per_zone(control_plane: ControlPlane) -> None:
    nodes = json.loads(control_plane.kubectl("get", "nodes", "-o", "json").stdout)["items"]
    ready = {
        n["metadata"]["labels"]["topology.kubernetes.io/zone"]
        for n in nodes
        if any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"]["conditions"])
    }
    assert ready == set(ZONES)


def test_deployment_becomes_available_on_the_fake_nodes(control_plane: ControlPlane, namespace: str) -> None:
    control_plane.kubectl("apply", "-n", namespace, "-f", "-", input=deployment(2))
    wait(control_plane, namespace, "deployment/web", "Available")
    assert get(control_plane, namespace, "deployment/web")["status"]["readyReplicas"] == 2
    pods = get(control_plane, namespace, "pods", "-l", "app=web")["items"]
    assert len(pods) == 2
    assert all(p["spec"]["nodeName"].startswith("kwok-node-") for p in pods)  # placed by the real scheduler
    assert all(p["status"]["phase"] == "Running" for p in pods)


def test_job_completes(control_plane: ControlPlane, namespace: str) -> None:
    control_plane.kubectl("apply", "-n", namespace, "-f", "-", input=job("migrate"))
    wait(control_plane, namespace, "job/migrate", "Complete")
    (pod,) = get(control_plane, namespace, "pods", "-l", "job-name=migrate")["items"]
    assert pod["status"]["phase"] == "Succeeded"
    assert pod["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 0


def test_job_with_the_fail_annotation_fails(control_plane: ControlPlane, namespace: str) -> None:
    control_plane.kubectl("apply", "-n", namespace, "-f", "-", input=job("migrate", {FAIL_ANNOTATION: "true"}))
    wait(control_plane, namespace, "job/migrate", "Failed")
    status = get(control_plane, namespace, "job/migrate")["status"]
    assert status.get("succeeded", 0) == 0 and status["failed"] == 1
    (pod,) = get(control_plane, namespace, "pods", "-l", "job-name=migrate")["items"]
    assert pod["status"]["phase"] == "Failed"
    assert pod["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 1


def test_strict_server_validation_rejects_an_unknown_field(control_plane: ControlPlane, namespace: str) -> None:
    apply = ("apply", "-n", namespace, "--dry-run=server", "--validate=strict", "-f", "-")
    assert control_plane.kubectl(*apply, input=deployment(1), check=False).returncode == 0
    broken = deployment(1).replace("  replicas: 1\n", "  replicas: 1\n  replicaz: 2\n")
    result = control_plane.kubectl(*apply, input=broken, check=False)
    assert result.returncode != 0
    assert 'unknown field "spec.replicaz"' in result.stderr


@pytest.mark.parametrize("control_plane", [DEFAULT_CONTROL_PLANE_VERSION], indirect=True)
def test_cli_up_runs_detached_and_down_stops_every_process(control_plane: ControlPlane, tmp_path: Path) -> None:
    # control_plane: built, and tests ordered with the other newest-version ones; this starts a second one
    state = tmp_path / "cluster"
    cli = [sys.executable, "-m", "litellm_bundle", "cluster"]
    up = subprocess.run(
        [*cli, "up", "--state-dir", str(state)], check=False, cwd=ROOT, capture_output=True, text=True, timeout=180
    )
    pids = {p.stem: int(p.read_text()) for p in (state / "pids").glob("*.pid")}
    try:
        assert up.returncode == 0, up.stderr
        assert f"export KUBECONFIG={state.resolve() / 'kubeconfig'}" in up.stdout
        assert set(pids) == {"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"}
        assert all(group_alive(pid) for pid in pids.values())  # outlived the command
    finally:
        down = subprocess.run(
            [*cli, "down", "--state-dir", str(state)], check=False, cwd=ROOT, capture_output=True, text=True, timeout=60
        )
    assert down.returncode == 0, down.stderr
    assert not list((state / "pids").glob("*.pid"))
    assert not [pid for pid in pids.values() if group_alive(pid)]  # exited (at most a zombie until init reaps it)
