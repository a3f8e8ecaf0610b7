"""A real local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager,
kube-scheduler; kwok as the kubelets of 3 fake nodes), one per pinned version, stopped once the tests of
this package are done (a package fixture: they run one after the other in one xdist worker, tests/conftest.py;
a session fixture kept the last version's control plane busy until the session's end).

    def test_something(control_plane: ControlPlane) -> None:     # runs once per CONTROL_PLANE_VERSIONS
        control_plane.kubectl("get", "nodes")
        subprocess.run([helm, "install", ...], env=control_plane.env())

    @pytest.mark.parametrize("control_plane", [DEFAULT_CONTROL_PLANE_VERSION], indirect=True)   # only this one
    def test_newest_only(control_plane: ControlPlane) -> None: ...

The binaries are built on first use (tools/kube/build.sh: about 10 minutes on a fresh machine, then
skipped); pytest orders the tests by version, so only one control plane runs at a time.
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from litellm_bundle.cluster.control_plane import ControlPlane, build
from litellm_bundle.core.facts import CONTROL_PLANE_VERSIONS

ROOT = Path(__file__).resolve().parent.parent.parent
KUBE_TOOLS = ROOT / ".tools" / "kube"


@contextmanager
def _uncaptured(config: pytest.Config) -> Iterator[None]:
    """Show output while a session fixture runs: the first build takes minutes."""
    capture = config.pluginmanager.get_plugin("capturemanager")
    if capture is None:
        yield
        return
    with capture.global_and_fixture_disabled():
        yield


@pytest.fixture(scope="package", params=CONTROL_PLANE_VERSIONS)
def control_plane(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    version: str = request.param
    with _uncaptured(request.config):
        print(f"\nlocal Kubernetes {version}: tools/kube/build.sh (skips what is up to date), then start", flush=True)
        build(ROOT, [version])
    plane = ControlPlane.start(tmp_path_factory.mktemp(f"kube-{version}-"), version, KUBE_TOOLS)
    with _uncaptured(request.config):
        print(f"local Kubernetes {version}: up in {plane.started_in:.1f}s, KUBECONFIG={plane.kubeconfig}", flush=True)
    try:
        yield plane
    finally:
        plane.stop()
        shutil.rmtree(plane.state_dir / "etcd", ignore_errors=True)  # ~100 MB preallocated; logs stay for debugging


@pytest.fixture
def namespace(control_plane: ControlPlane, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace for one test, deleted afterwards (without waiting for it to go)."""
    name = re.sub(r"[^a-z0-9-]+", "-", request.node.originalname.lower()).strip("-")[:40] + "-" + uuid.uuid4().hex[:6]
    control_plane.kubectl("create", "namespace", name)
    yield name
    control_plane.kubectl("delete", "namespace", name, "--wait=false", check=False)
