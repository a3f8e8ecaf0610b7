"""`diff` compares rendered output of the working tree with a git ref."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from litellm_bundle.diff import default_ref, diff_rendered


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def git_repo(repo_copy: Path) -> Path:
    _git(repo_copy, "init", "-q", "-b", "main")
    _git(repo_copy, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", "-A")
    _git(repo_copy, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "base")
    return repo_copy


def test_no_change_shows_no_change(git_repo: Path) -> None:
    out = diff_rendered(git_repo, "HEAD")
    assert out.count("_no change_") == 3


def test_change_shows_per_environment_diff(git_repo: Path) -> None:
    routing = git_repo / "config" / "routing.yaml"
    routing.write_text(routing.read_text().replace("cooldown_time: 30", "cooldown_time: 45"))
    prod = git_repo / "config" / "environments" / "prod.yaml"
    prod.write_text(prod.read_text().replace("replicas: 3", "replicas: 4"))
    out = diff_rendered(git_repo, default_ref(git_repo))
    for env in ("dev", "staging", "prod"):
        section = out.split(f"### {env}")[1].split("###")[0]
        assert "-  cooldown_time: 30\n+  cooldown_time: 45" in section
    prod_section = out.split("### prod")[1]
    assert "+replicaCount: 4" in prod_section
    assert "+replicaCount" not in out.split("### dev")[1].split("###")[0]


def test_unknown_ref_is_a_clear_error(git_repo: Path) -> None:
    with pytest.raises(RuntimeError, match="cannot read config, policies, LITELLM_VERSION at git ref 'nope'"):
        diff_rendered(git_repo, "nope")
    shutil.rmtree(git_repo / ".git")
