"""The CustomResourceDefinitions the chart's optional objects need (ServiceMonitor, PrometheusRule,
ExternalSecret), pinned once: the CRD files of pinned Go modules, fetched through the Go module
proxy. `make crd-schemas` turns them into kubeconform schemas; the cluster tests install them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from litellm_bundle.cluster.control_plane import ControlPlane


@dataclass(frozen=True)
class CrdSource:
    module: str
    version: str
    files: tuple[str, ...]  # paths inside the module


SOURCES = (
    CrdSource(
        "github.com/prometheus-operator/prometheus-operator",
        "v0.85.0",
        (
            "example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml",
            "example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml",
        ),
    ),
    CrdSource(
        "github.com/external-secrets/external-secrets",
        "v0.18.2",
        ("config/crds/bases/external-secrets.io_externalsecrets.yaml",),
    ),
)


def crd_files() -> list[Path]:
    """The pinned CRD files, from the Go module cache (downloaded through the module proxy on first use)."""
    go = shutil.which("go") or "/usr/local/go/bin/go"
    found = []
    for source in SOURCES:
        result = subprocess.run(
            [go, "mod", "download", "-json", f"{source.module}@{source.version}"], capture_output=True, text=True
        )
        try:
            directory = Path(json.loads(result.stdout)["Dir"])
        except (json.JSONDecodeError, KeyError) as exc:
            why = result.stderr.strip() or result.stdout.strip()
            raise RuntimeError(
                f"cannot download {source.module}@{source.version} through the Go module proxy: {why}"
            ) from exc
        found += [directory / file for file in source.files]
    return found


def install(plane: ControlPlane) -> None:
    """Apply the pinned CRDs to a control plane and wait until they are established."""
    names = []
    for file in crd_files():
        plane.kubectl("apply", "--server-side", "-f", str(file))
        names += re.findall(r"(?m)^  name: (\S+)$", file.read_text())
    plane.kubectl("wait", "--for", "condition=established", "--timeout", "60s", *[f"crd/{n}" for n in names])
