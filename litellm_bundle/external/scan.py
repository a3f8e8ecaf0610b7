"""Security scanners as gates: gitleaks over the git history and the sources and generated files, and
checkov over the rendered Kubernetes manifests with the waivers in policies/checkov-waivers.yaml."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from litellm_bundle.core.problems import Location, Problem
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.core.yamlio import load_yaml
from litellm_bundle.external.kube import tool

GITLEAKS_CONFIG = ".gitleaks.toml"
WAIVERS = "checkov-waivers.yaml"
# what gitleaks scans besides the history: sources, policies, chart, hooks and every generated file
SCANNED = ("config", "policies", "helm", "hooks", "rendered", "k8s", "compose", ".env.example", "docs")


def gitleaks(tree: BundleTree) -> list[Problem]:
    """Leaks in the whole git history of the tree and in its current files (allowlist: .gitleaks.toml)."""
    binary, config = tool(tree, "gitleaks"), str(tree.root / GITLEAKS_CONFIG)
    problems: list[Problem] = []
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
                file = Path(leak["File"])
                where = Location(
                    tree.shown(file) if file.is_absolute() else file.as_posix(),
                    max(int(leak.get("StartLine") or 1), 1),
                    max(int(leak.get("StartColumn") or 1), 1),
                )
                commit = f" (commit {leak['Commit'][:10]})" if leak.get("Commit") else ""
                problems.append(Problem(where, f"{leak['RuleID']}: {leak['Description']}{commit}", check="gitleaks"))
    return problems


def _waivers(tree: BundleTree) -> dict[tuple[str, str], Location]:
    """(check, kind/name) -> where its waiver names the resource."""
    file = tree.policies_dir / WAIVERS
    doc, problems = load_yaml(file, tree.shown(file))
    if doc is None or problems or not isinstance(doc.data, dict):
        raise RuntimeError(f"{tree.shown(file)} cannot be read: {'; '.join(map(str, problems))}")
    return {
        (waiver["check"], resource): doc.locate_value(("waivers", i, "resources", j))
        for i, waiver in enumerate(doc.data["waivers"])
        for j, resource in enumerate(waiver["resources"])
    }


def checkov(tree: BundleTree, envs: list[str]) -> list[Problem]:
    """Failed checkov checks of k8s/<env>/ that no waiver covers, and waivers no finding uses."""
    binary = str(tree.tools_dir / "checkov" / "bin" / "checkov")
    if not Path(binary).exists():
        binary = tool(tree, "checkov")
    waivers = _waivers(tree)
    used: set[tuple[str, str]] = set()
    problems: list[Problem] = []
    for env in envs:
        folder = tree.out_dir / "k8s" / env
        # --skip-download: no fetch of Prisma Cloud's guidelines (links and BC_* ids the report does not use; offline
        # the fetch retried for seconds before checkov went on)
        result = subprocess.run(
            [binary, "-d", str(folder), "--framework", "kubernetes", "--quiet", "-o", "json", "--skip-download"],
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
                continue
            lines = check.get("file_line_range") or [1]
            where = Location(tree.shown(folder / str(check.get("file_path", "")).lstrip("/")), max(lines[0], 1), 1)
            message = f"{kind}/{name}: {check['check_id']} {check['check_name']}"
            problems.append(Problem(where, message, env, check="checkov"))
    problems += [
        Problem(
            waivers[key], f"waiver of {key[0]} matches no finding of {key[1]}; remove it", check="checkov-waiver-unused"
        )
        for key in sorted(set(waivers) - used)
    ]
    return problems
