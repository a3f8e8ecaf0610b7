"""Shared fixtures. In CI (CI=true) a skipped test fails the run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from litellm_bundle.policies import Policies
from litellm_bundle.tree import BundleTree

from .helpers import ROOT, checkout_tree, copy_tree


def pytest_configure(config: pytest.Config) -> None:
    """Like `make`: the checkout's tools (helm, kubeconform) on PATH, also for scratch copies of the tree."""
    os.environ["PATH"] = os.pathsep.join([str(ROOT / ".tools" / "bin"), os.environ.get("PATH", "")])


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if os.environ.get("CI") == "true" and skipped and exitstatus == 0:
        session.exitstatus = 1
        if reporter:
            reporter.write_line(f"CI=true: {skipped} skipped test(s) fail the run", red=True)


@pytest.fixture(scope="session")
def checkout() -> BundleTree:
    return checkout_tree()


@pytest.fixture(scope="session")
def checkout_policies(checkout: BundleTree) -> Policies:
    return Policies(checkout)


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """A scratch copy of the bundle tree to break."""
    return copy_tree(tmp_path / "bundle")
