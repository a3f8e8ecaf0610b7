"""Security scanners as gates: gitleaks over the git history and the sources and generated files, and
checkov over the rendered Kubernetes manifests with the waivers in policies/checkov-waivers.yaml."""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML

from litellm_bundle.core.tree import BundleTree
from litellm_bundle.external.kube import tool

GITLEAKS_CONFIG = ".gitleaks.toml"
WAIVERS = "checkov-waivers.yaml"
# what gitleaks scans besides the history: sources, policies, chart, hooks and every generated file
SCANNED = ("config", "policies", "helm", "hooks", "rendered", "k8s", "compose", ".env.example", "docs")


@dataclass(frozen=True)
class Finding:
    scanner: str
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.scanner}: {self.where}: {self.what}"


def gitleaks(tree: BundleTree) -> list[Finding]:
    """Leaks in the whole git history of the tree and in its current files (allowlist: .gitleaks.toml)."""
    binary, config = tool(tree, "gitleaks"), str(tree.root / GITLEAKS_CONFIG)
    findings: list[Finding] = []
    runs = [["git", str(tree.root)]] + [["dir", str(tree.root / p)] for p in SCANNED if (tree.root / p).exists()]
    for args in runs:
        with tempfile.NamedTemporaryFile(suffix=".json") as report:
            result = subprocess.run(
                [
                    binary,
                    *args,
                    "--no-banner",
                    "--no-color",
                    "-c",
                    config,
                    "--report-format",
                    "json",
                    "--report-path",
                    report.name,
                    "--exit-code",
                    "3",
                ],
                capture_output=True,
                text=True,
            )
            if result.returncode not in (0, 3):
                raise RuntimeError(f"gitleaks {args[0]} failed: {result.stderr.strip()[-500:]}")
            for leak in json.loads(Path(report.name).read_text() or "[]"):
                where = f"{leak['File']}:{leak['StartLine']}" + (
                    f" (commit {leak['Commit'][:10]})" if leak.get("Commit") else ""
                )
                findings.append(Finding("gitleaks", where, f"{leak['RuleID']}: {leak['Description']}"))
    return findings


def _waivers(tree: BundleTree) -> dict[tuple[str, str], str]:
    data = YAML(typ="safe").load((tree.policies_dir / WAIVERS).read_text(encoding="utf-8"))
    return {(w["check"], resource): w["reason"] for w in data["waivers"] for resource in w["resources"]}


def checkov(tree: BundleTree, envs: list[str]) -> list[Finding]:
    """Failed checkov checks of k8s/<env>/ that no waiver covers, and waivers no finding uses."""
    binary = str(tree.tools_dir / "checkov" / "bin" / "checkov")
    if not Path(binary).exists():
        binary = tool(tree, "checkov")
    waivers = _waivers(tree)
    used: set[tuple[str, str]] = set()
    findings: list[Finding] = []
    for env in envs:
        result = subprocess.run(
            [binary, "-d", str(tree.out_dir / "k8s" / env), "--framework", "kubernetes", "--quiet", "-o", "json"],
            capture_output=True,
            text=True,
        )
        try:
            report = json.loads(result.stdout)
        except json.JSONDecodeError as exc:
            raise RuntimeError(f"checkov gave no report for k8s/{env}: {result.stderr.strip()[-500:]}") from exc
        for check in report.get("results", {}).get("failed_checks", []) if isinstance(report, dict) else []:
            kind, _, name = check["resource"].split(".", 2)
            key = (check["check_id"], f"{kind}/{name}")
            if key in waivers:
                used.add(key)
            else:
                findings.append(
                    Finding("checkov", f"k8s/{env}: {kind}/{name}", f"{check['check_id']} {check['check_name']}")
                )
    findings += [
        Finding("checkov", f"{WAIVERS}: {resource}", f"waiver of {check} matches no finding; remove it")
        for check, resource in sorted(set(waivers) - used)
    ]
    return findings
