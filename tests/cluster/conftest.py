"""A real local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager,
kube-scheduler; kwok as the kubelets of 3 fake nodes), one per pinned version per test session.

    def test_something(control_plane: ControlPlane) -> None:     # runs once per version in VERSIONS
        control_plane.kubectl("get", "nodes")
        subprocess.run([helm, "install", ...], env=control_plane.env())

    @pytest.mark.parametrize("control_plane", ["v1.35.4"], indirect=True)   # only this version
    def test_newest_only(control_plane: ControlPlane) -> None: ...

The binaries are built on first use (tools/kube/build.sh: about 10 minutes on a fresh machine, then
skipped); pytest orders the tests by version, so only one control plane runs at a time.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from litellm_bundle.cluster import VERSIONS, ControlPlane, build

ROOT = Path(__file__).resolve().parent.parent.parent
KUBE_TOOLS = ROOT / ".tools" / "kube"


def _announce(config: pytest.Config, message: str) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(message)


@pytest.fixture(scope="session", params=VERSIONS)
def control_plane(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    version: str = request.param
    _announce(request.config, f"\nlocal Kubernetes {version}: building if needed (tools/kube/build.sh), then starting")
    build(ROOT, [version])
    plane = ControlPlane.start(tmp_path_factory.mktemp(f"kube-{version}"), version, KUBE_TOOLS)
    _announce(request.config, f"local Kubernetes {version}: up in {plane.started_in:.1f}s ({plane.kubeconfig})")
    try:
        yield plane
    finally:
        plane.stop()


@pytest.fixture
def namespace(control_plane: ControlPlane, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace for one test, deleted afterwards (without waiting for it to go)."""
    name = re.sub(r"[^a-z0-9-]+", "-", request.node.originalname.lower()).strip("-")[:40] + "-" + uuid.uuid4().hex[:6]
    control_plane.kubectl("create", "namespace", name)
    yield name
    control_plane.kubectl("delete", "namespace", name, "--wait=false", check=False)
