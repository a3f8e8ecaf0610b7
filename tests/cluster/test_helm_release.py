"""`helm install`, `upgrade`, `rollback` and `test` of every environment's rendered values against a
real API server (oldest and newest Kubernetes that build here), and the rendered manifests applied
the Argo CD way. kwok plays the kubelets: pods become Ready without running a container, so the
tests check themselves what a real kubelet would refuse (missing Secrets, keys, ServiceAccounts)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from ruamel.yaml import YAML

from litellm_bundle.build.generate import render_one
from litellm_bundle.cluster import crds
from litellm_bundle.cluster.control_plane import FAIL_ANNOTATION, ControlPlane
from litellm_bundle.core import facts
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.core.wait import wait_until
from litellm_bundle.external import kube
from tests.helpers import ROOT, committed, copy_tree

from .release import RELEASE, ExternalSecretsStandIn, Release, create_documented_secrets, missing_references

ENVS = ("dev", "staging", "prod")
# installs and the server-side dry-run run on the oldest and the newest Kubernetes that build here; the
# release lifecycle (upgrade, rollback, hooks, the Argo CD path) on the newest
NEWEST_ONLY = pytest.mark.parametrize("control_plane", [facts.DEFAULT_CONTROL_PLANE_VERSION], indirect=True)


def _values(env: str) -> dict[str, Any]:
    return YAML(typ="safe").load(committed(env, "values.yaml"))


def minimum_replicas(env: str) -> int:
    values = _values(env)
    return int(values["autoscaling"]["minReplicas"] if values["autoscaling"]["enabled"] else values["replicaCount"])


def _time(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


@pytest.fixture(scope="package")
def with_crds(control_plane: ControlPlane) -> ControlPlane:
    """The control plane with the pinned CRDs of ServiceMonitor, PrometheusRule and ExternalSecret."""
    crds.install(control_plane)
    return control_plane


@pytest.fixture
def release(with_crds: ControlPlane, namespace: str) -> Iterator[Release]:
    """An environment's Secrets created as rendered/<env>/secrets.md says, external-secrets' sync
    stood in for, and the release in a fresh namespace."""
    stand_in = ExternalSecretsStandIn(with_crds, namespace)
    with stand_in.running():
        yield Release(with_crds, namespace)


def serving_pods(release: Release) -> set[str]:
    replica_sets = {rs["metadata"]["name"] for rs in release.items("replicasets")}
    return {
        p["metadata"]["name"]
        for p in release.items("pods")
        if any(
            o["kind"] == "ReplicaSet" and o["name"] in replica_sets for o in p["metadata"].get("ownerReferences", [])
        )
    }


def assert_only_gateway_pods_selected(release: Release, env: str) -> None:
    slices = release.plane.kubectl(
        "get", "endpointslices", "-n", release.namespace, "-l", f"kubernetes.io/service-name={RELEASE}", "-o", "json"
    )
    endpoints = {e["targetRef"]["name"] for s in json.loads(slices.stdout)["items"] for e in (s.get("endpoints") or [])}
    assert endpoints and endpoints <= serving_pods(release), endpoints
    if _values(env)["autoscaling"]["enabled"] or _values(env)["replicaCount"] > 1:
        status = release.get("pdb", RELEASE)["status"]
        assert status["expectedPods"] == len(serving_pods(release))
        assert not [c for c in status.get("conditions", []) if c.get("reason") == "SyncFailed"], status


@pytest.mark.parametrize("env", ENVS)
def test_install_each_environment_following_the_readme(release: Release, env: str) -> None:
    created = create_documented_secrets(release.plane, env, release.namespace)
    assert bool(created) == (env != "prod")  # prod's Secrets come from ExternalSecrets
    result = release.install(committed(env, "values.yaml"))
    assert "STATUS: deployed" in result.stdout
    deployment = release.get("deployment", RELEASE)
    # the first install is at the environment's minimum when --wait returns (with autoscaling too)
    assert deployment["status"]["readyReplicas"] == minimum_replicas(env)
    assert missing_references(release) == []
    assert_only_gateway_pods_selected(release, env)
    for obj in json.loads(
        release.plane.kubectl(
            "get",
            "all,configmaps,networkpolicies,serviceaccounts",
            "-n",
            release.namespace,
            "-l",
            "app.kubernetes.io/managed-by=Helm",
            "-o",
            "json",
        ).stdout
    )["items"]:
        assert obj["metadata"]["namespace"] == release.namespace
    tested = release.helm("test", RELEASE, "--timeout", "120s")
    assert f"TEST SUITE:     {RELEASE}-test" in tested.stdout and "Phase:          Succeeded" in tested.stdout, (
        tested.stdout
    )


def _changed_values(tmp_path: Any, env: str) -> str:
    """The values `make render` writes after a real config change (cooldown_time 30 -> 45)."""
    tree = copy_tree(tmp_path / "changed")
    routing = tree / "config" / "routing.yaml"
    routing.write_text(routing.read_text().replace("cooldown_time: 30", "cooldown_time: 45"))
    return render_one(BundleTree.at(tree), env)["values.yaml"]


def _replica_sets(release: Release) -> dict[str, dict[str, Any]]:
    return {rs["metadata"]["name"]: rs for rs in release.items("replicasets")}


def _config(release: Release) -> str:
    return str(release.get("configmap", f"{RELEASE}-config")["data"]["config.yaml"])


def _image(release: Release) -> str:
    return str(release.get("deployment", RELEASE)["spec"]["template"]["spec"]["containers"][0]["image"])


@NEWEST_ONLY
def test_upgrade_rolls_only_on_change_migrates_first_and_rolls_back(release: Release, tmp_path: Any) -> None:
    env = "staging"
    create_documented_secrets(release.plane, env, release.namespace)
    original = committed(env, "values.yaml")
    release.install(original)
    assert release.items("jobs") == [], "no migrations hook on the first install (the pods migrate at start)"
    first = _replica_sets(release)
    assert len(first) == 1

    # an upgrade without a change: the migrations hook runs, no pod rolls
    release.upgrade(original)
    assert _replica_sets(release).keys() == first.keys()

    # a config change and a new image: the checksum changes, a new ReplicaSet rolls out after the Job
    digest = "sha256:" + "ab" * 32
    release.upgrade(_changed_values(tmp_path, env), "--set", f"image.digest={digest}")
    after = _replica_sets(release)
    new = [rs for name, rs in after.items() if name not in first]
    assert len(new) == 1
    annotations = lambda rs: rs["spec"]["template"]["metadata"]["annotations"]["checksum/config"]  # noqa: E731
    assert annotations(new[0]) != annotations(next(iter(first.values())))
    assert "cooldown_time: 45" in _config(release) and _image(release).endswith(f"@{digest}")
    jobs = [e for e in release.items("events") if e["involvedObject"]["kind"] == "Job" and e["reason"] == "Completed"]
    completed = [e for e in jobs if e["involvedObject"]["name"] == f"{RELEASE}-migrations"]
    assert len(completed) == 2, "one migrations Job per upgrade"
    assert len([e for e in jobs if e["involvedObject"]["name"] == f"{RELEASE}-access"]) == 3, (
        "the access Job after the install and each upgrade"
    )
    job_done = max(_time(e.get("lastTimestamp") or e["eventTime"]) for e in completed)
    assert job_done <= _time(new[0]["metadata"]["creationTimestamp"]), (
        "the Deployment changed before the migrations finished"
    )
    assert release.items("jobs") == [], "a succeeded hook Job is deleted"
    assert_only_gateway_pods_selected(release, env)

    # rollback restores the previous ConfigMap and image together
    release.helm("rollback", RELEASE, "2", "--wait", "--timeout", "180s")
    assert "cooldown_time: 30" in _config(release) and "@" not in _image(release)
    assert _config(release) == YAML(typ="safe").load(original)["litellmConfig"]


@NEWEST_ONLY
def test_a_failing_migrations_job_fails_the_upgrade_before_any_pod_changes(release: Release) -> None:
    env = "staging"
    create_documented_secrets(release.plane, env, release.namespace)
    release.install(committed(env, "values.yaml"))
    before = _replica_sets(release)
    generation = release.get("deployment", RELEASE)["metadata"]["generation"]
    fail = FAIL_ANNOTATION.replace(".", "\\.")  # helm --set path syntax
    failed = release.upgrade(
        committed(env, "values.yaml"),
        "--set",
        "database.migrations.backoffLimit=0",
        "--set",
        "image.digest=sha256:" + "cd" * 32,
        "--set-string",
        f"database.migrations.podAnnotations.{fail}=true",
        check=False,
    )
    assert failed.returncode != 0 and "job" in failed.stderr.lower() and "failed" in failed.stderr.lower(), (
        failed.stderr
    )
    assert release.get("deployment", RELEASE)["metadata"]["generation"] == generation
    assert _replica_sets(release).keys() == before.keys()
    status = json.loads(release.helm("status", RELEASE, "-o", "json").stdout)
    assert status["info"]["status"] == "failed"
    job = release.get("job", f"{RELEASE}-migrations")
    assert job["status"].get("failed") == 1, "the failed Job stays for `kubectl logs`"


@NEWEST_ONLY
def test_the_secret_the_pods_read_survives_every_upgrade(release: Release) -> None:
    env = "prod"
    release.install(committed(env, "values.yaml"))
    target = _values(env)["externalSecrets"]["items"][0]["name"]
    uid = wait_until(
        lambda: (release.find("secrets", target) or {}).get("metadata", {}).get("uid"), 60, what="the synced Secret"
    )
    external = release.get("externalsecrets.external-secrets.io", target)["metadata"]["uid"]
    for _ in range(2):
        release.upgrade(committed(env, "values.yaml"))
        assert release.get("secret", target)["metadata"]["uid"] == uid
        assert release.get("externalsecrets.external-secrets.io", target)["metadata"]["uid"] == external
    assert missing_references(release) == []
    release.helm("uninstall", RELEASE, "--wait", "--timeout", "120s")
    # nothing left behind: the ExternalSecret goes with the release, its Secret with it (garbage collection)
    wait_until(
        lambda: target not in {s["metadata"]["name"] for s in release.items("secrets")},
        60,
        what="the owned Secret to be collected",
    )
    assert release.items("externalsecrets.external-secrets.io") == []


def _owned(plane: ControlPlane, manifest: str) -> list[tuple[str, str, str]]:
    """(kind, name, what an apply sets) of every object of a manifest, as stored in the cluster: labels,
    annotations, generation and everything but status. Not compared: resourceVersion and managedFields,
    which controllers (a Job's status) and Kubernetes 1.30 (a no-op server-side apply of a custom resource
    bumps both) move without any field of the object changing."""
    found = plane.kubectl("get", "-f", "-", "-o", "json", input=manifest)
    data = json.loads(found.stdout)
    out = []
    for item in data.get("items", [data]):
        metadata = {k: item["metadata"].get(k) for k in ("labels", "annotations", "generation")}
        body = {k: v for k, v in item.items() if k not in ("status", "metadata")}
        out.append((item["kind"], item["metadata"]["name"], json.dumps({**body, "metadata": metadata}, sort_keys=True)))
    return sorted(out)


@NEWEST_ONLY
@pytest.mark.parametrize("env", ENVS)
def test_rendered_manifests_apply_server_side_into_their_namespace_and_converge(
    with_crds: ControlPlane, env: str
) -> None:
    """The Argo CD path: `kubectl apply --server-side -f k8s/<env>/`, twice."""
    plane = with_crds
    manifest = (ROOT / "k8s" / env / "manifests.yaml").read_text()
    plane.kubectl("create", "namespace", facts.NAMESPACE)
    try:
        with ExternalSecretsStandIn(plane, facts.NAMESPACE).running():
            create_documented_secrets(plane, env, facts.NAMESPACE)
            first = plane.kubectl(
                "apply", "--server-side", "--field-manager", "argocd-test", "-f", str(ROOT / "k8s" / env)
            )
            assert "serverside-applied" in first.stdout
            applied = _owned(plane, manifest)
            assert len(applied) == len(kube.documents(manifest))
            # settled: the HPA (staging, prod) has scaled the Deployment, created without replicas, to its minimum
            # (the controller acts on its own schedule, before or after the first pod is available)
            least = minimum_replicas(env)
            wait_until(
                lambda: (
                    json.loads(plane.kubectl("get", "deployment", RELEASE, "-n", facts.NAMESPACE, "-o", "json").stdout)[
                        "status"
                    ].get("availableReplicas", 0)
                    >= least
                ),
                60,
                what=f"the Deployment to be available with {least} replicas",
            )
            settled = _owned(plane, manifest)
            plane.kubectl("apply", "--server-side", "--field-manager", "argocd-test", "-f", str(ROOT / "k8s" / env))
            assert _owned(plane, manifest) == settled, "a second apply of the same manifests changed objects"
            assert missing_references(Release(plane, facts.NAMESPACE)) == []
    finally:
        plane.kubectl("delete", "namespace", facts.NAMESPACE, "--wait=true", "--timeout=120s", check=False)


@NEWEST_ONLY
def test_the_api_server_refuses_a_selector_change_and_the_chart_never_makes_one(release: Release) -> None:
    create_documented_secrets(release.plane, "dev", release.namespace)
    release.install(committed("dev", "values.yaml"))
    patch = json.dumps(
        {
            "spec": {
                "selector": {"matchLabels": {"app.kubernetes.io/name": "other"}},
                "template": {"metadata": {"labels": {"app.kubernetes.io/name": "other"}}},
            }
        }
    )
    refused = release.plane.kubectl(
        "patch", "deployment", RELEASE, "-n", release.namespace, "--type", "merge", "-p", patch, check=False
    )
    assert refused.returncode != 0 and "field is immutable" in refused.stderr
    # everything an upgrade may change (environment, image, replicas, features) leaves the selector alone
    tree = BundleTree.at(ROOT)
    selectors = set()
    for env in ENVS:
        for sets in (
            [],
            [
                "environment=staging",
                "image.digest=sha256:" + "ef" * 32,
                "replicaCount=5",
                "autoscaling.enabled=true",
                "proxy.workers=4",
            ],
        ):
            docs = kube.documents(kube.helm_template(tree, committed(env, "values.yaml"), sets=sets))
            deployment = next(d for d in docs if d["kind"] == "Deployment")
            selectors.add(json.dumps(deployment["spec"]["selector"], sort_keys=True))
    assert len(selectors) == 1, selectors
    release.upgrade(committed("dev", "values.yaml"), "--set", "environment=staging", "--set", "proxy.workers=2")


def test_every_scenario_passes_server_side_validation(with_crds: ControlPlane) -> None:
    plane = with_crds
    plane.kubectl("create", "namespace", facts.NAMESPACE)
    try:
        values = {env: committed(env, "values.yaml") for env in ENVS}
        tree = BundleTree.at(ROOT)
        assert kube.server_validate(tree, values, list(ENVS), plane.kubectl) == []
        # and it can fail: a field the API server does not know
        broken = values["dev"] + "podSecurityContext:\n  runAsNonRoot: true\n  runAsUserr: 1\n"
        failures = kube.server_validate(tree, {**values, "dev": broken}, ["dev"], plane.kubectl)
        assert failures and "runAsUserr" in failures[0].message and failures[0].check == "api-server"
    finally:
        plane.kubectl("delete", "namespace", facts.NAMESPACE, "--wait=true", "--timeout=120s", check=False)
