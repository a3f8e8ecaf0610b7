"""`validate` as people and tools run it: exit codes, --strict, the text / json / github formats,
the shipped config, and the pre-commit entry documented in docs/validation.md (run by pre-commit)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from litellm_bundle.checks import validate as validation
from litellm_bundle.cli import report
from litellm_bundle.core.problems import Location, Problem
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.policy.policies import Policies
from tests.helpers import ROOT

STAGING = "config/environments/staging.yaml"


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "litellm_bundle", "--root", str(root), *args], capture_output=True, text=True, cwd=ROOT
    )


def edit(root: Path, file: str, old: str, new: str) -> None:
    path = root / file
    text = path.read_text()
    assert old in text, f"test bug: {old!r} not in {file}"
    path.write_text(text.replace(old, new, 1))


def test_the_shipped_config_has_no_errors_and_no_warnings() -> None:
    result = validation.run(Policies(BundleTree.at(ROOT)), debug=True)
    assert result.problems == []
    done = run(ROOT, "validate", "--strict")
    assert (done.returncode, done.stdout, done.stderr) == (0, "config valid for dev, staging, prod\n", "")


def test_random_bytes_are_a_located_problem_not_a_traceback(repo_copy: Path) -> None:
    (repo_copy / "config" / "models.yaml").write_bytes(bytes(range(256)) * 4)
    done = run(repo_copy, "validate")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("config/models.yaml:1:1: file is binary"), done.stderr


def test_usage_errors_exit_2(repo_copy: Path) -> None:
    for args, phrase in (
        (["validate", "--env", "qa"], "unknown environment qa (known: dev, staging, prod)"),
        (["validate", "--format", "xml"], "invalid choice: 'xml'"),
        (["validate", "--config", str(repo_copy / "nope")], "does not exist"),
    ):
        done = run(repo_copy, *args)
        assert done.returncode == 2, (args, done.stderr)
        assert phrase in done.stderr and "Traceback" not in done.stderr


def test_warnings_pass_unless_strict(repo_copy: Path) -> None:
    edit(repo_copy, STAGING, "replicas: 2", "replicas: 6")
    relaxed = run(repo_copy, "validate")
    assert relaxed.returncode == 0
    assert relaxed.stdout == "config valid for dev, staging, prod (1 warning(s))\n"
    assert relaxed.stderr.startswith(
        f"{STAGING}:4:11: warning: [staging] replicas 6 is outside the autoscaling range 2–4"
    )
    strict = run(repo_copy, "validate", "--strict")
    assert strict.returncode == 1
    assert strict.stderr.splitlines()[-1] == "validation failed: 0 error(s), 1 warning(s) (--strict: warnings fail)"


def test_json_format(repo_copy: Path) -> None:
    edit(repo_copy, STAGING, "replicas: 2", "replicas: 6")
    edit(repo_copy, "config/routing.yaml", "gpt-4o: [claude-sonnet]", "gpt-4o: [claude-opus]")
    done = run(repo_copy, "validate", "--format", "json")
    assert done.returncode == 1 and done.stderr == ""
    document = json.loads(done.stdout)
    assert (document["valid"], document["errors"], document["warnings"]) == (False, 1, 1)
    first, second = document["problems"]
    assert first == {
        "file": "config/routing.yaml",
        "line": 8,
        "column": 12,
        "severity": "error",
        "check": "unknown-model-group",
        "environments": [],
        "message": "fallback target 'claude-opus' is not a model group "
        "(known: claude-sonnet, gpt-4o, gpt-4o-mini, long-context, text-embedding)",
        "key": "fallbacks.gpt-4o[0]",
        "waived": None,
    }
    assert (second["file"], second["line"], second["severity"], second["environments"]) == (
        STAGING,
        4,
        "warning",
        ["staging"],
    )


def test_github_format(repo_copy: Path) -> None:
    edit(repo_copy, "config/routing.yaml", "gpt-4o: [claude-sonnet]", "gpt-4o: [claude-opus]")
    done = run(repo_copy, "validate", "--format", "github")
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "::error file=config/routing.yaml,line=8,col=12,title=litellm-bundle validate (unknown-model-group)::"
        "fallback target 'claude-opus' is not a model group "
        "(known: claude-sonnet, gpt-4o, gpt-4o-mini, long-context, text-embedding)"
    ]
    assert done.stderr == "validation failed: 1 error(s), 0 warning(s)\n"


def test_github_annotations_escape_what_the_runner_would_misread() -> None:
    problem = Problem(
        Location("config/a,b:c.yaml", 3, 1), "100% broken\nsecond line", "prod", check="unused", severity="warning"
    )
    assert (
        report.annotation(problem) == "::warning file=config/a%2Cb%3Ac.yaml,line=3,col=1,"
        "title=litellm-bundle validate (unused)::[prod] 100%25 broken%0Asecond line"
    )


def test_one_problem_in_several_environments_is_reported_once(repo_copy: Path) -> None:
    edit(
        repo_copy,
        "config/models.yaml",
        "api_key: os.environ/OPENAI_API_KEY\n        rpm: 10000\n        tpm",
        "api_key: os.environ/OPENAI_KEY\n        rpm: 10000\n        tpm",
    )
    done = run(repo_copy, "validate")
    lines = [line for line in done.stderr.splitlines() if "OPENAI_KEY" in line]
    assert len(lines) == 1 and lines[0].startswith(
        "config/models.yaml:63:18: [dev, staging, prod] secret reference OPENAI_KEY is not declared"
    ), done.stderr


def _precommit_config() -> str:
    """The YAML block of the "Pre-commit" section of docs/validation.md."""
    text = (ROOT / "docs" / "validation.md").read_text()
    section = text.split("## Pre-commit", 1)[1]
    found = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert found, "docs/validation.md has no yaml block in its Pre-commit section"
    return found.group(1)


def test_the_documented_pre_commit_hook_passes_and_fails(repo_copy: Path, tmp_path: Path) -> None:
    precommit = shutil.which("pre-commit", path=str(Path(sys.executable).parent))
    assert precommit, "pre-commit is pinned in pyproject.toml's test extra; run `make setup`"
    (repo_copy / ".pre-commit-config.yaml").write_text(_precommit_config())
    (repo_copy / ".venv").symlink_to(ROOT / ".venv")  # the entry runs the repository's .venv (make setup)
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=repo_copy,
            check=True,
            capture_output=True,
            env=env,
        )

    def hook() -> subprocess.CompletedProcess[str]:
        git("add", "-A")
        return subprocess.run(
            [str(precommit), "run", "--all-files", "--color", "never"],
            cwd=repo_copy,
            capture_output=True,
            text=True,
            env=env,
        )

    git("init", "-q")
    passed = hook()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "litellm-bundle validate" in passed.stdout and "Passed" in passed.stdout
    edit(repo_copy, "config/routing.yaml", "gpt-4o: [claude-sonnet]", "gpt-4o: [claude-opus]")
    failed = hook()
    assert failed.returncode == 1
    assert "config/routing.yaml:8:12: fallback target 'claude-opus' is not a model group" in failed.stdout
