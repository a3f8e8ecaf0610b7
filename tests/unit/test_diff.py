"""`diff` compares every generated file of the working tree with the same generation at a git ref;
a second source tree (--config, --out) is handled without touching the working tree."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from litellm_bundle.build.diff import DiffError, default_ref, diff_generated, generate_at_ref
from litellm_bundle.build.generate import generate
from litellm_bundle.cli.main import main
from litellm_bundle.core.tree import BundleTree
from tests.helpers import ROOT


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture
def git_repo(repo_copy: Path) -> Path:
    _git(repo_copy, "init", "-q", "-b", "main")
    _git(repo_copy, "add", "-A")
    _git(repo_copy, "commit", "-qm", "base")
    return repo_copy


def _diff(root: Path, ref: str = "HEAD") -> str:
    tree = BundleTree.at(root)
    return diff_generated(generate_at_ref(tree, ref), generate(tree), ref)


def _section(out: str, name: str) -> str:
    return out.split(f"### {name}\n")[1].split("\n### ")[0]


def test_no_change_shows_no_change(git_repo: Path) -> None:
    out = _diff(git_repo)
    assert out.count("_no change_") == 4  # dev, prod, staging, shared


def test_config_change_shows_rendered_and_k8s_per_environment(git_repo: Path) -> None:
    routing = git_repo / "config" / "routing.yaml"
    routing.write_text(routing.read_text().replace("cooldown_time: 30", "cooldown_time: 45"))
    prod = git_repo / "config" / "environments" / "prod.yaml"
    prod.write_text(prod.read_text().replace("replicas: 3", "replicas: 4"))
    out = _diff(git_repo, default_ref(git_repo))
    for env in ("dev", "staging", "prod"):
        section = _section(out, env)
        assert "-  cooldown_time: 30\n+  cooldown_time: 45" in section
        assert f"+++ b/k8s/{env}/manifests.yaml" in section and "checksum/config" in section
    assert "+replicaCount: 4" in _section(out, "prod")
    assert "+replicaCount" not in _section(out, "dev")
    assert _section(out, "shared").strip() == "_no change_"


def test_secret_declaration_change_shows_in_env_example(git_repo: Path) -> None:
    secrets = git_repo / "config" / "secrets.yaml"
    secrets.write_text(
        secrets.read_text() + "  EXTRA_SETTING:\n    description: An extra setting.\n    secret: false\n"
        "    sources:\n      dev: {env: EXTRA_SETTING}\n"
    )
    shared = _section(_diff(git_repo), "shared")
    assert "+++ b/.env.example" in shared and "+EXTRA_SETTING=" in shared


def test_policy_change_reaches_hooks_values_and_manifests(git_repo: Path) -> None:
    """A detector edited in policies/secret_patterns.json: diff shows it wherever it lands."""
    patterns = git_repo / "policies" / "secret_patterns.json"
    data = json.loads(patterns.read_text())
    data["detectors"]["github_token"]["pattern"] = "\\bgh[pousr]_[A-Za-z0-9]{30,}\\b"
    patterns.write_text(json.dumps(data, indent=2))
    out = _diff(git_repo)
    for env in ("dev", "staging", "prod"):
        section = _section(out, env)
        for path in (f"rendered/{env}/hooks.json", f"rendered/{env}/values.yaml", f"k8s/{env}/manifests.yaml"):
            assert f"+++ b/{path}" in section, (env, path)
        assert "{30,}" in section


def test_version_bump_reaches_compose_values_and_manifests(git_repo: Path) -> None:
    (git_repo / "LITELLM_VERSION").write_text("1.106.3\n")
    out = _diff(git_repo)
    assert "+++ b/compose/compose.yaml" in _section(out, "shared")
    assert "ghcr.io/berriai/litellm:1.106.3" in _section(out, "shared")
    assert "+++ b/k8s/prod/manifests.yaml" in _section(out, "prod")


def test_unknown_ref_is_a_clear_error(git_repo: Path) -> None:
    with pytest.raises(DiffError, match=r"cannot read the bundle at git ref 'nope'.*unknown git ref"):
        generate_at_ref(BundleTree.at(git_repo), "nope")
    shutil.rmtree(git_repo / ".git")
    assert main(["--root", str(git_repo), "diff", "--ref", "HEAD"]) == 1


AUDIT = r"""
import json, os, sys
opened, spawned = [], []
def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.fsdecode(args[0])
        # relative names are opened against a directory descriptor (shutil.rmtree of the staging dir) or the cwd
        opened.append([path if os.path.isabs(path) else os.path.join(os.getcwd(), path), str(args[1])])
    elif event == "subprocess.Popen":
        spawned.append([str(a) for a in args[1]])
    elif event == "os.rename" or event == "os.replace":
        opened.append([os.fspath(args[1]), "rename"])
sys.addaudithook(hook)
from litellm_bundle.cli.main import main
code = main(sys.argv[1:])
record = json.dumps({"code": code, "opened": list(opened), "spawned": spawned})
with open(os.environ["AUDIT_LOG"], "w") as out:
    out.write(record)
sys.exit(code)
"""

# the working tree's own sources and generated files: never read or written when told another
WORKING_TREE = [ROOT / p for p in ("config", "rendered", "k8s", "compose", ".env.example", "docs")]


def _audited(tmp: Path, *args: str) -> dict:
    log = tmp / f"audit-{args[0] if args[0] != '--root' else args[2]}.json"
    result = subprocess.run(
        [sys.executable, "-c", AUDIT, *args],
        cwd=tmp,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "AUDIT_LOG": str(log), "PYTHONPATH": str(ROOT)},
    )
    data = json.loads(log.read_text())
    data["stdout"], data["stderr"] = result.stdout, result.stderr
    return data


def _inside(path: str, bases: list[Path]) -> bool:
    resolved = Path(path).resolve()
    return any(resolved == b or b in resolved.parents for b in bases)


def test_a_second_source_tree_never_touches_the_working_tree(tmp_path: Path) -> None:
    sources = tmp_path / "team-config"
    shutil.copytree(ROOT / "config", sources)
    routing = sources / "routing.yaml"
    routing.write_text(routing.read_text().replace("cooldown_time: 30", "cooldown_time: 90"))
    out = tmp_path / "out"
    before = {p: p.stat().st_mtime_ns for base in WORKING_TREE for p in ([base] if base.is_file() else base.rglob("*"))}

    runs = {
        "validate": _audited(tmp_path, "--root", str(ROOT), "validate", "--config", str(sources)),
        "render": _audited(tmp_path, "--root", str(ROOT), "render", "--config", str(sources), "--out", str(out)),
        "diff": _audited(tmp_path, "--root", str(ROOT), "diff", "--config", str(sources), "--ref", "HEAD"),
    }
    for name, run in runs.items():
        assert run["code"] == 0, (name, run["stderr"])
        touched = [p for p, _ in run["opened"] if _inside(p, WORKING_TREE)]
        assert touched == [], f"{name} opened files of the working tree: {touched}"
        for cmd in run["spawned"]:
            assert not any(_inside(a, WORKING_TREE) for a in cmd if a.startswith("/")), (name, cmd)
        assert any(_inside(p, [sources]) for p, _ in run["opened"]), f"{name} did not read the given sources"
    writes = [p for p, mode in runs["render"]["opened"] if any(c in mode for c in "wax") or mode == "rename"]
    assert writes and [p for p in writes if not _inside(p, [out])] == []
    assert "cooldown_time: 90" in (out / "rendered" / "prod" / "config.yaml").read_text()
    assert "cooldown_time: 90" in (out / "k8s" / "prod" / "manifests.yaml").read_text()
    assert (out / "compose" / "compose.yaml").exists() and (out / ".env.example").exists()
    assert "+  cooldown_time: 90" in runs["diff"]["stdout"]
    after = {p: p.stat().st_mtime_ns for base in WORKING_TREE for p in ([base] if base.is_file() else base.rglob("*"))}
    assert after == before
