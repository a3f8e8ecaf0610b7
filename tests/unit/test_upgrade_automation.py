"""The automation around `make upgrade`: Renovate's custom managers (renovate.json) find each pin they bump,
exactly once, at the value the bundle pins; `make upgrade` hands its variables to the command; the CI job
for the bump pull request is a valid script that runs it (docs/upgrading.md, Automation)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import ROOT

RENOVATE = json.loads((ROOT / "renovate.json").read_text(encoding="utf-8"))
MANAGERS = RENOVATE["customManagers"]


def _python_regex(pattern: str) -> re.Pattern[str]:
    """A Renovate (JavaScript) pattern as Python's: named groups are (?P<name>...)."""
    return re.compile(pattern.replace("(?<", "(?P<"), re.MULTILINE)


def _files(manager: dict[str, object]) -> list[Path]:
    patterns = [_python_regex(str(p).strip("/")) for p in manager["managerFilePatterns"]]  # type: ignore[attr-defined]
    candidates = ["LITELLM_VERSION", "Makefile", "helm/litellm-gateway/Chart.yaml", "pyproject.toml"]
    return [ROOT / name for name in candidates if any(p.search(name) for p in patterns)]


@pytest.mark.parametrize("manager", MANAGERS, ids=lambda m: str(m["description"])[:40])
def test_each_custom_manager_finds_its_pin_once(manager: dict[str, object]) -> None:
    files = _files(manager)
    assert files, f"{manager['description']}: no file matches {manager['managerFilePatterns']}"
    for pattern in manager["matchStrings"]:  # type: ignore[attr-defined]
        found = [m.group("currentValue") for f in files for m in _python_regex(pattern).finditer(f.read_text())]
        assert len(found) == 1, f"{pattern} matches {found} in {[f.name for f in files]}"


def test_litellm_is_bumped_in_lockstep_with_the_chart_and_labelled_for_the_upgrade_job() -> None:
    pinned = (ROOT / "LITELLM_VERSION").read_text().strip()
    litellm = [m for m in MANAGERS if m["depNameTemplate"] == "litellm"]
    values = {
        _python_regex(p).search(f.read_text()).group("currentValue")  # type: ignore[union-attr]
        for m in litellm
        for p in m["matchStrings"]
        for f in _files(m)
    }
    assert values == {pinned} and len(litellm) == 2
    assert all(m["datasourceTemplate"] == "pypi" for m in litellm)
    rule = next(r for r in RENOVATE["packageRules"] if r.get("matchDepNames") == ["litellm"])
    assert rule["labels"] == ["litellm-upgrade"] and "litellm-upgrade" in (ROOT / "docs/upgrading.md").read_text()


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_upgrade_passes_its_variables_to_the_command() -> None:
    shown = subprocess.run(
        ["make", "-n", "upgrade", "TO=1.2.3", "SKIP=bench database", "WRITE_SURFACE=1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "-m litellm_bundle upgrade --to 1.2.3" in shown
    assert "--skip bench --skip database --write-surface" in shown
    # without TO (its prerequisites taken as made: -o, nothing is installed)
    refused = subprocess.run(
        ["make", "-o", ".venv/.stamp", "-o", ".venv/.prisma", "upgrade"], cwd=ROOT, capture_output=True, text=True
    )
    assert refused.returncode != 0 and "usage: make upgrade TO=X.Y.Z" in refused.stderr


def test_the_bump_job_is_a_script_that_runs_make_upgrade_from_the_base_pin() -> None:
    job = ROOT / ".ci" / "upgrade"
    assert job.stat().st_mode & 0o111, ".ci/upgrade must be executable"
    assert subprocess.run(["bash", "-n", str(job)], capture_output=True).returncode == 0
    text = job.read_text()
    assert 'make upgrade TO="$to" WRITE_SURFACE=1' in text and 'git show "$base:LITELLM_VERSION"' in text
