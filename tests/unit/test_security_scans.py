"""gitleaks and checkov as gates (`python -m litellm_bundle scan`): clean on this checkout, and each
finds what it should on a broken copy."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from litellm_bundle.core.tree import BundleTree
from litellm_bundle.external import scan
from tests.helpers import ROOT, copy_tree


def test_history_sources_and_generated_files_have_no_leak(checkout: BundleTree) -> None:
    assert scan.gitleaks(checkout) == []


def test_every_checkov_finding_is_waived_with_a_reason(checkout: BundleTree) -> None:
    assert scan.checkov(checkout, ["dev", "staging", "prod"]) == []


@pytest.fixture
def scratch_repo(tmp_path: Path) -> BundleTree:
    root = copy_tree(tmp_path / "bundle")
    for name in ("k8s", "rendered", "compose", ".gitleaks.toml"):
        source = ROOT / name
        (shutil.copytree(source, root / name) if source.is_dir() else shutil.copy(source, root / name))
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=root, check=True)
    return BundleTree.at(root, tools_dir=ROOT / ".tools")


def test_gitleaks_finds_a_key_committed_and_then_removed(scratch_repo: BundleTree) -> None:
    root = scratch_repo.root
    leaked = root / "config" / "notes.txt"
    leaked.write_text(
        "aws_secret=AKIAZQ3DRSTUVWXYZ123 aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY1\n"
    )
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "oops"], cwd=root, check=True)
    leaked.unlink()
    subprocess.run([*git, "commit", "-qam", "remove it again"], cwd=root, check=True)
    findings = scan.gitleaks(scratch_repo)
    assert findings and all("commit" in f.message and f.check == "gitleaks" for f in findings), findings
    assert any(f.location.file == "config/notes.txt" and f.location.line == 1 for f in findings), findings


def test_checkov_finds_an_unwaived_weakness_and_a_stale_waiver(scratch_repo: BundleTree) -> None:
    manifest = scratch_repo.out_dir / "k8s" / "dev" / "manifests.yaml"
    text = manifest.read_text()
    assert "readOnlyRootFilesystem: true" in text
    manifest.write_text(text.replace("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false"))
    waivers = scratch_repo.policies_dir / "checkov-waivers.yaml"
    waivers.write_text(
        waivers.read_text()
        + "  - check: CKV_K8S_22\n    resources: [Deployment/litellm-gateway-old]\n"
        + "    reason: an object that no longer exists\n"
    )
    findings = scan.checkov(scratch_repo, ["dev"])
    assert any(
        f.location.file == "k8s/dev/manifests.yaml"
        and f.location.line > 1
        and f.env == "dev"
        and f.message.startswith("Deployment/litellm-gateway: CKV_K8S_22")
        for f in findings
    ), findings
    assert any(
        str(f).startswith("policies/checkov-waivers.yaml:")
        and "waiver of CKV_K8S_22 matches no finding of Deployment/litellm-gateway-old" in f.message
        and f.check == "checkov-waiver-unused"
        for f in findings
    ), findings
