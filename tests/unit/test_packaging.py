"""`pip install .` gives a working validate / render / diff without LiteLLM (a GitOps CI job's set-up)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT


def test_the_tooling_installs_and_runs_without_litellm(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    shutil.copy(ROOT / "pyproject.toml", source)
    shutil.copytree(ROOT / "litellm_bundle", source / "litellm_bundle", ignore=shutil.ignore_patterns("__pycache__"))
    venv = tmp_path / "venv"
    # a bare venv, and this interpreter's pip installing into it (`pip --python`): the same install, without the
    # seconds ensurepip takes to put a pip of its own there
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            python,
            "install",
            "--quiet",
            "--disable-pip-version-check",
            str(source),
        ],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr
    missing = subprocess.run(
        [
            python,
            "-c",
            "import importlib.util as u; "
            "print([m for m in ('litellm', 'httpx', 'openai', 'pytest') if u.find_spec(m)])",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert missing.stdout.strip() == "[]", "the tooling pulled in runtime or test dependencies"
    env = {**os.environ, "PYTHONPATH": ""}  # the installed package, not this checkout's

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [python, "-m", "litellm_bundle", "--root", str(ROOT), *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
        )

    validated = run("validate")
    assert validated.returncode == 0 and "config valid for dev, staging, prod" in validated.stdout, validated.stderr
    rendered = run("render", "--out", str(tmp_path / "out"))
    assert rendered.returncode == 0, rendered.stderr
    assert (tmp_path / "out" / "k8s" / "prod" / "manifests.yaml").read_text() == (
        ROOT / "k8s" / "prod" / "manifests.yaml"
    ).read_text()
    diffed = run("diff", "--ref", "HEAD")
    assert diffed.returncode == 0 and "### shared" in diffed.stdout, diffed.stderr
