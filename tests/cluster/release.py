"""Helpers for the Helm tests against the local control plane: the real helm and kubectl, what the
README tells a user to do (rendered/<env>/secrets.md), what a real kubelet would check, and a
stand-in for external-secrets' sync (the operator itself cannot run here: no container runtime)."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litellm_bundle.cluster.control_plane import ControlPlane
from litellm_bundle.core import facts
from litellm_bundle.external import kube
from tests.helpers import ROOT, checkout_tree

RELEASE = facts.RELEASE
CHART = checkout_tree().chart_dir
HELM = kube.tool(checkout_tree(), "helm")


@dataclass
class Release:
    plane: ControlPlane
    namespace: str
    name: str = RELEASE

    def helm(
        self, *args: str, values: str | None = None, check: bool = True, timeout: float = 240
    ) -> subprocess.CompletedProcess[str]:
        cmd = [HELM, *args, "--namespace", self.namespace]
        if values is not None:
            cmd += ["-f", "-"]
        result = subprocess.run(
            cmd, input=values, capture_output=True, text=True, env=self.plane.env(), timeout=timeout
        )
        if check and result.returncode != 0:
            raise AssertionError(f"helm {' '.join(args[:2])} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def install(self, values: str, *extra: str) -> subprocess.CompletedProcess[str]:
        return self.helm("install", self.name, str(CHART), "--wait", "--timeout", "180s", *extra, values=values)

    def upgrade(self, values: str, *extra: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.helm(
            "upgrade", self.name, str(CHART), "--wait", "--timeout", "180s", *extra, values=values, check=check
        )

    def get(self, kind: str, name: str | None = None) -> Any:
        args = ["get", kind, *([name] if name else []), "-n", self.namespace, "-o", "json"]
        return json.loads(self.plane.kubectl(*args).stdout)

    def items(self, kind: str) -> list[dict[str, Any]]:
        return list(self.get(kind)["items"])

    def find(self, kind: str, name: str) -> dict[str, Any] | None:
        """The object, or None while it does not exist (for polling: a controller may not have made it yet)."""
        return next((item for item in self.items(kind) if item["metadata"]["name"] == name), None)


def secrets_script(env: str, namespace: str) -> str:
    """The shell block of rendered/<env>/secrets.md (what the README tells a user to run), for `namespace`."""
    text = (ROOT / "rendered" / env / "secrets.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    return "".join(blocks).replace(f"-n {facts.NAMESPACE} ", f"-n {namespace} ")


def create_documented_secrets(plane: ControlPlane, env: str, namespace: str) -> list[str]:
    """Run the documented commands with a value for every variable they read; returns the Secrets created."""
    script = secrets_script(env, namespace)
    variables = set(re.findall(r'"\$([A-Z][A-Z0-9_]*)"', script))
    values = {name: f"value-of-{name.lower()}" for name in variables}
    kubectl_dir = str(Path(plane.kubectl_path).parent)
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        env={**plane.env(), **values, "PATH": f"{kubectl_dir}:/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return re.findall(r"create secret generic (\S+)", script)


def _pod_specs(release: Release) -> Iterator[tuple[str, dict[str, Any]]]:
    for pod in release.items("pods"):
        yield f"pod {pod['metadata']['name']}", pod["spec"]
    for kind in ("deployments", "jobs"):
        for obj in release.items(kind):
            yield f"{kind[:-1]} {obj['metadata']['name']}", obj["spec"]["template"]["spec"]


def missing_references(release: Release) -> list[str]:
    """What a real kubelet would refuse to start: every ServiceAccount, Secret (and key) and ConfigMap
    (and key) a pod or pod template references must exist (kwok does not check this)."""
    secrets = {s["metadata"]["name"]: set(s.get("data") or {}) for s in release.items("secrets")}
    configmaps = {c["metadata"]["name"]: set(c.get("data") or {}) for c in release.items("configmaps")}
    accounts = {a["metadata"]["name"] for a in release.items("serviceaccounts")}
    missing: list[str] = []

    def need(where: str, kind: str, store: dict[str, set[str]], name: str, key: str | None) -> None:
        if name not in store:
            missing.append(f"{where}: {kind} {name} does not exist")
        elif key is not None and key not in store[name]:
            missing.append(f"{where}: {kind} {name} has no key {key}")

    for where, spec in _pod_specs(release):
        account = spec.get("serviceAccountName", "default")
        if account not in accounts:
            missing.append(f"{where}: ServiceAccount {account} does not exist")
        for container in [*spec.get("initContainers", []), *spec["containers"]]:
            for entry in container.get("env", []):
                source = entry.get("valueFrom", {})
                for ref, kind, store in (
                    ("secretKeyRef", "Secret", secrets),
                    ("configMapKeyRef", "ConfigMap", configmaps),
                ):
                    if ref in source and not source[ref].get("optional"):
                        need(where, kind, store, source[ref]["name"], source[ref]["key"])
            for source in container.get("envFrom", []):
                for ref, kind, store in (("secretRef", "Secret", secrets), ("configMapRef", "ConfigMap", configmaps)):
                    if ref in source and not source[ref].get("optional"):
                        need(where, kind, store, source[ref]["name"], None)
        for volume in spec.get("volumes", []):
            if "configMap" in volume:
                for item in volume["configMap"].get("items") or [{"key": None}]:
                    need(where, "ConfigMap", configmaps, volume["configMap"]["name"], item["key"])
            if "secret" in volume:
                for item in volume["secret"].get("items") or [{"key": None}]:
                    need(where, "Secret", secrets, volume["secret"]["secretName"], item["key"])
    return missing


class ExternalSecretsStandIn:
    """Stands in for external-secrets' controller (which cannot run here): for every ExternalSecret of
    a namespace it creates the target Secret, owned by the ExternalSecret (creationPolicy Owner), with
    a placeholder value per declared key, as the operator would from the store. Garbage collection of
    the owned Secret, the ExternalSecret's lifetime and every reference stay the real API server's."""

    def __init__(self, plane: ControlPlane, namespace: str):
        self.plane, self.namespace = plane, namespace
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.created: list[str] = []

    def _sync_once(self) -> None:
        found = self.plane.kubectl(
            "get", "externalsecrets.external-secrets.io", "-n", self.namespace, "-o", "json", check=False
        )
        if found.returncode != 0:
            return
        existing = json.loads(self.plane.kubectl("get", "secrets", "-n", self.namespace, "-o", "json").stdout)["items"]
        names = {s["metadata"]["name"] for s in existing}
        for es in json.loads(found.stdout)["items"]:
            target = es["spec"]["target"]["name"]
            if target in names or es["metadata"].get("deletionTimestamp"):
                continue
            secret = {
                "apiVersion": "v1",
                "kind": "Secret",
                "type": "Opaque",
                "metadata": {
                    "name": target,
                    "namespace": self.namespace,
                    "ownerReferences": [
                        {
                            "apiVersion": es["apiVersion"],
                            "kind": "ExternalSecret",
                            "name": es["metadata"]["name"],
                            "uid": es["metadata"]["uid"],
                            "controller": True,
                            "blockOwnerDeletion": True,
                        }
                    ],
                },
                "data": {
                    d["secretKey"]: base64.b64encode(f"synced-{d['secretKey'].lower()}".encode()).decode()
                    for d in es["spec"]["data"]
                },
            }
            if self.plane.kubectl("create", "-f", "-", input=json.dumps(secret), check=False).returncode == 0:
                self.created.append(target)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sync_once()
            self._stop.wait(0.3)

    @contextmanager
    def running(self) -> Iterator[ExternalSecretsStandIn]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join(timeout=10)
