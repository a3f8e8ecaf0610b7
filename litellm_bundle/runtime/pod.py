"""One workload's pod sandbox as a rendered manifest (`k8s/<env>/manifests.yaml`) declares it: the user and
group it runs as, its read-only root, dropped capabilities, its emptyDirs (the only writable paths), its
configMap/secret mounts and the literal environment of its container. runtime/sandbox.py runs a native
command inside it; this module only reads the manifest, so a new emptyDir or a removed one changes what the
tests allow."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from ruamel.yaml import YAML

from litellm_bundle.core.facts import K8S_AREA
from litellm_bundle.core.tree import BundleTree

# the workloads the tests run in their pod's sandbox: name -> (kind, container name) in the rendered manifests
WORKLOADS: Final = {
    "proxy": ("Deployment", "litellm"),
    "migrations": ("Job", "migrations"),
    "access": ("Job", "access"),
}
MANIFESTS: Final = "manifests.yaml"
# what a container has without its own settings (Kubernetes' defaults): HOME is / when the image's
# /etc/passwd has no home for the uid (the chart's /.cache and /.npm emptyDirs are HOME's)
POD_HOME: Final = "/"


class ManifestError(ValueError):
    """The manifest has no such workload, or its pod lacks what a sandbox needs."""


@dataclass(frozen=True)
class PodSandbox:
    workload: str  # "Deployment litellm-gateway, container litellm"
    container: str  # the container's name ("litellm", "migrations", "access")
    uid: int | None  # runAsUser (None: the image's user)
    gid: int | None  # runAsGroup
    read_only_root: bool  # readOnlyRootFilesystem
    drop_all: bool  # capabilities.drop: [ALL]
    no_privilege_escalation: bool  # allowPrivilegeEscalation: false
    empty_dirs: tuple[str, ...]  # mount paths of emptyDir volumes: the only writable paths
    read_only_mounts: tuple[str, ...]  # mount paths of configMap/secret volumes
    env: Mapping[str, str] = field(default_factory=dict)  # the container's literal env values
    env_refs: tuple[str, ...] = ()  # names filled from secrets and configMaps (the test supplies them)

    def writable(self, path: str) -> bool:
        """Whether `path` (absolute, in the pod) lies in one of the emptyDirs."""
        return any(path == mount or path.startswith(mount.rstrip("/") + "/") for mount in self.empty_dirs)

    def environment(self, native: Mapping[str, str], keep: Iterable[str] = ()) -> dict[str, str]:
        """The process environment: `native` (what the native run needs: PATH, the secrets, the engines)
        with the container's literal values over it, except the names in `keep` (a test's own setting, e.g.
        its log level), and HOME as the pod has it; TMPDIR and XDG_* of the caller dropped (they name host
        paths outside the sandbox)."""
        kept = {k: v for k, v in native.items() if k != "TMPDIR" and not k.startswith("XDG_")}
        declared = {k: v for k, v in self.env.items() if k not in set(keep) or k not in native}
        return {**kept, **declared, "HOME": self.env.get("HOME", POD_HOME)}


def committed(tree: BundleTree, env: str, workload: str) -> PodSandbox:
    """`workload`'s pod sandbox in an environment's committed manifests (`python -m litellm_bundle render`)."""
    return load(tree.out_dir / f"{K8S_AREA}{env}" / MANIFESTS, workload)


def load(manifests: Path, workload: str) -> PodSandbox:
    """The pod sandbox of `workload` (a WORKLOADS name) in a rendered manifests file."""
    kind, container_name = WORKLOADS[workload]
    documents = [d for d in YAML(typ="safe").load_all(manifests.read_text(encoding="utf-8")) if d]
    for document in documents:
        if document.get("kind") != kind:
            continue
        pod = document["spec"]["template"]["spec"]
        for container in pod.get("containers", []):
            if container.get("name") == container_name:
                label = f"{kind} {document['metadata']['name']}, container {container_name}"
                return from_pod(label, pod, container)
    raise ManifestError(f"{manifests}: no {kind} with a container {container_name!r}")


def from_pod(label: str, pod: Mapping[str, Any], container: Mapping[str, Any]) -> PodSandbox:
    pod_context = pod.get("securityContext") or {}
    context = {**pod_context, **(container.get("securityContext") or {})}
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    empty, read_only = [], []
    for mount in container.get("volumeMounts", []):
        volume = volumes.get(mount["name"])
        if volume is None:
            raise ManifestError(f"{label}: volumeMount {mount['name']!r} names no volume")
        if "emptyDir" in volume and not mount.get("readOnly"):
            empty.append(mount["mountPath"])
        else:
            read_only.append(mount["mountPath"])
    literal = {e["name"]: str(e["value"]) for e in container.get("env", []) if "value" in e}
    refs = tuple(e["name"] for e in container.get("env", []) if "valueFrom" in e)
    return PodSandbox(
        workload=label,
        container=str(container["name"]),
        uid=context.get("runAsUser"),
        gid=context.get("runAsGroup"),
        read_only_root=bool(context.get("readOnlyRootFilesystem")),
        drop_all="ALL" in ((context.get("capabilities") or {}).get("drop") or []),
        no_privilege_escalation=context.get("allowPrivilegeEscalation") is False,
        empty_dirs=tuple(empty),
        read_only_mounts=tuple(read_only),
        env=literal,
        env_refs=refs,
    )
