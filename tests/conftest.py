"""Shared fixtures. In CI (CI=true) a skipped test fails the run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if os.environ.get("CI") == "true" and skipped and exitstatus == 0:
        session.exitstatus = 1
        if reporter:
            reporter.write_line(f"CI=true: {skipped} skipped test(s) fail the run", red=True)


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """A scratch copy of the bundle's source of truth (config, policies, version) to break."""
    for name in ("config", "policies"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "LITELLM_VERSION", tmp_path / "LITELLM_VERSION")
    return tmp_path
