"""The checks of an upgrade, each on the target version and each returning an `Outcome` (status, a one-line
summary and its markdown): the surface diff that touches the sources, validation of every environment
against the target's surface, the boot check of every environment on the target's proxy, the database
(runtime/migrations.py), the proxy-facing tests of the hooks and the access reconciler against the
target's proxy, and CPU per request of both versions (scripts/bench.py's alternated rotation)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from litellm_bundle.checks import validate as validation
from litellm_bundle.core.facts import PROXY_VENV_ENV
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.model.configset import load_config_set
from litellm_bundle.policy.policies import Policies
from litellm_bundle.runtime import boot_check, launch, migrations
from litellm_bundle.upgrade.surface_diff import Finding, SurfaceDiff, surface_diff
from litellm_bundle.upgrade.usage import combined, rendered_usage, source_usage

Status = Literal["pass", "break", "skipped", "error", "blocked", "not run"]

# the proxy-facing tests of the hooks and of the access reconciler (they start the proxy of PROXY_VENV_ENV)
PROXY_TESTS: dict[str, tuple[str, ...]] = {
    "hooks": ("tests/integration/test_hooks_in_proxy.py", "tests/integration/test_redaction_in_proxy.py"),
    "access reconciler": ("tests/database/test_access.py",),
}
BENCH_SCRIPT = "scripts/bench.py"
TESTS_TIMEOUT = 3600.0
BENCH_TIMEOUT = 1800.0
# validate's warning that the sources were checked against another version than the pinned one: here on purpose
OTHER_SURFACE_CHECK = "litellm-surface-missing"


@dataclass
class Outcome:
    status: Status
    summary: str
    body: list[str] = field(default_factory=list)


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(cell(c) for c in row) + " |" for row in rows),
    ]


def _finding_rows(findings: list[Finding]) -> list[tuple[str, ...]]:
    """One row per change, with every place it touches (in the findings' order)."""
    places: dict[tuple[str, str, str], list[str]] = {}
    for f in findings:
        places.setdefault((f.what, f.change, f.detail), []).append(
            f"`{f.where}`" + (" (rendered)" if f.rendered else "")
        )
    return [(", ".join(where), f"`{what}`", change, detail) for (what, change, detail), where in places.items()]


def surface_markdown(diff: SurfaceDiff) -> list[str]:
    lines = [
        f"{diff.keys_checked} LiteLLM keys and {diff.names_checked} names the sources use (and the renderer "
        f"writes: rendered/) checked against LiteLLM {diff.target}'s surface.",
        "",
    ]
    breaks = diff.breaks
    others = [f for f in diff.findings if not f.breaks]
    lines += ["#### What breaks", ""]
    lines += (
        [*_table(("where", "key or name", "change", "detail"), _finding_rows(breaks)), ""]
        if breaks
        else [
            "Nothing: every key and name the sources use means the same in LiteLLM " + diff.target + ".",
            "",
        ]
    )
    lines += ["#### Other changes to what the sources use", ""]
    lines += (
        [*_table(("where", "key or name", "change", "detail"), _finding_rows(others)), ""] if others else ["None.", ""]
    )
    lines += ["#### Secret-bearing parameters", ""]
    if diff.secret_params:
        for section, (now, gone) in diff.secret_params.items():
            parts = ([f"now secret: {', '.join(f'`{k}`' for k in now)}"] if now else []) + (
                [f"no longer: {', '.join(f'`{k}`' for k in gone)}"] if gone else []
            )
            lines.append(f"- {section}: " + "; ".join(parts))
    else:
        lines.append("No change in the sections the sources use.")
    lines.append(
        "- LiteLLM's sensitive-key rule: " + ("; ".join(diff.rule_changes) if diff.rule_changes else "unchanged")
    )
    lines += ["", "#### New keys in the sections the sources use", ""]
    if diff.new_keys:
        for section, keys in diff.new_keys.items():
            lines.append(f"- {section} ({len(keys)}): " + ", ".join(f"`{k}`" for k in keys))
    else:
        lines.append("None.")
    return lines


def surface(tree: BundleTree, current_dir: Path, target_dir: Path) -> Outcome:
    policies = Policies(tree)
    cs = load_config_set(tree, policies.environments)
    usage = combined(source_usage(cs), rendered_usage(tree, cs.environments))
    diff = surface_diff(current_dir, target_dir, usage, Policies(tree, target_dir))
    breaks = diff.breaks
    summary = (
        f"{len(breaks)} break(s): "
        + ", ".join(f"{f.what} ({f.change}, {f.where})" for f in breaks[:3])
        + (", ..." if len(breaks) > 3 else "")
        if breaks
        else f"nothing the sources use breaks ({len(diff.findings)} other change(s))"
    )
    return Outcome("break" if breaks else "pass", summary, surface_markdown(diff))


def validate(tree: BundleTree, target_dir: Path, target: str) -> Outcome:
    """Every environment validated against the target's surface, as `make validate` does (--strict)."""
    policies = Policies(tree, target_dir)
    result = validation.run(policies)
    problems = [p for p in result.problems if p.check != OTHER_SURFACE_CHECK]
    failing = [p for p in problems if not p.waived]
    envs = ", ".join(policies.environments)
    if not failing:
        return Outcome("pass", f"{envs} valid against LiteLLM {target} (strict)", [f"{envs}: no problem."])
    errors = sum(p.severity == "error" for p in failing)
    summary = f"{errors} error(s), {len(failing) - errors} warning(s) against LiteLLM {target}"
    return Outcome("break", summary, ["```", *(str(p) for p in failing), "```"])


def boot(tree: BundleTree, target_venv: Path, work: Path) -> Outcome:
    """Every rendered environment booted on the target's proxy (make check-config's boot)."""
    binary = launch.venv_proxy(target_venv)
    results = []
    for env in Policies(tree).environments:
        config, hooks, shown = boot_check.rendered(tree, env)
        results.append(boot_check.boot(env, config, hooks, tree, work / env, shown, binary=binary))
    failed = [r.name for r in results if r.failures]
    body = ["```", *(str(r) for r in results), "```"]
    if failed:
        return Outcome("break", f"{', '.join(failed)} did not boot cleanly", body)
    return Outcome("pass", f"{', '.join(r.name for r in results)} booted", body)


def database(tree: BundleTree, current_venv: Path, target_venv: Path, work: Path) -> Outcome:
    """The current version's data migrated to the target as the chart's Job migrates it (runtime/migrations.py)."""
    check = migrations.database_upgrade_check(tree, current_venv, target_venv, work)
    return Outcome("pass" if check.ok else "break", check.summary, [check.markdown.rstrip()])


@dataclass
class TestCounts:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    failures: list[str] = field(default_factory=list)


def junit_counts(xml: Path, groups: dict[str, tuple[str, ...]]) -> dict[str, TestCounts]:
    """Counts per group from pytest's JUnit XML (a test belongs to the group of its file)."""
    counts = {name: TestCounts() for name in groups}
    modules = {f.removesuffix(".py").replace("/", "."): name for name, files in groups.items() for f in files}
    for case in ElementTree.parse(xml).getroot().iter("testcase"):
        classname = case.get("classname", "")
        group = next((g for module, g in modules.items() if classname.startswith(module)), None)
        if group is None:
            continue
        count = counts[group]
        if case.find("failure") is not None or case.find("error") is not None:
            count.failed += 1
            count.failures.append(f"{classname.rsplit('.', 1)[-1]}::{case.get('name')}")
        elif case.find("skipped") is not None:
            count.skipped += 1
        else:
            count.passed += 1
    return counts


def tests(tree: BundleTree, target_venv: Path, work: Path) -> Outcome:
    """The hooks' and the access reconciler's proxy-facing tests with the target's proxy (PROXY_VENV_ENV)."""
    groups = {name: tuple(f for f in files if (tree.root / f).is_file()) for name, files in PROXY_TESTS.items()}
    files = [f for fs in groups.values() for f in fs]
    if not files:
        return Outcome("error", "this tree has none of the proxy-facing tests", [])
    xml = work / "tests.xml"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={xml}", *files],
        cwd=tree.root,
        env={**os.environ, PROXY_VENV_ENV: str(target_venv)},
        capture_output=True,
        text=True,
        timeout=TESTS_TIMEOUT,
    )
    if not xml.is_file():
        tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
        return Outcome("error", f"pytest exited {done.returncode} without results", ["```", *tail, "```"])
    counts = junit_counts(xml, groups)
    rows = [
        (name, ", ".join(f"`{f}`" for f in groups[name]), str(c.passed), str(c.failed), str(c.skipped))
        for name, c in counts.items()
    ]
    body = [
        f"`{PROXY_VENV_ENV}={tree.shown(target_venv)} python -m pytest {' '.join(files)}`",
        "",
        *_table(("tests of", "files", "passed", "failed", "skipped"), rows),
    ]
    failures = [f for c in counts.values() for f in c.failures]
    if failures:
        body += ["", "Failed:", *(f"- `{f}`" for f in failures)]
    summary = "; ".join(f"{name}: {c.passed} passed, {c.failed} failed" for name, c in counts.items())
    if not failures and done.returncode != 0:  # no test ran, or pytest itself failed: nothing was shown
        return Outcome("error", f"pytest exited {done.returncode}: {summary}", body)
    return Outcome("break" if failures else "pass", summary, body)


def _bench_row(name: str, row: dict[str, Any]) -> tuple[str, ...]:
    def ms(value: Any) -> str:
        return f"{value:.2f}" if isinstance(value, (int, float)) else "n/a"

    return (
        name,
        ms(row.get("cpu_ms_per_request")),
        f"{ms(row.get('cpu_min'))}-{ms(row.get('cpu_max'))}",
        str(row.get("runs", "")),
        ms(row.get("p50")),
        ms(row.get("overhead_p50")),
    )


def bench(tree: BundleTree, versions: dict[str, Path], work: Path, repeats: int, duration: str) -> Outcome:
    """CPU per request of each version's proxy on the bundle's dev config, in one alternated rotation."""
    out = work / "bench"
    done = subprocess.run(
        [
            sys.executable,
            str(tree.root / BENCH_SCRIPT),
            "--compare",
            *(f"{name}={venv}" for name, venv in versions.items()),
            "--repeats",
            str(repeats),
            "--rotation-duration",
            duration,
            "--out",
            str(out),
        ],
        cwd=tree.root,
        capture_output=True,
        text=True,
        timeout=BENCH_TIMEOUT,
    )
    result = out / "compare.json"
    if done.returncode != 0 or not result.is_file():
        tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
        return Outcome("error", f"the bench exited {done.returncode}", ["```", *tail, "```"])
    data = json.loads(result.read_text(encoding="utf-8"))
    rotation: dict[str, dict[str, Any]] = data["rotation"]
    rows = [_bench_row(name, rotation[name]) for name in versions if name in rotation]
    body = [
        f"The bundle's dev config on each version's proxy, {data['rate']} req/s, {data['duration']} runs alternated "
        f"(A B, B A, ...) {repeats} times each on {data['cpus']} CPUs; medians.",
        "",
        *_table(("LiteLLM", "CPU ms/request", "runs' range", "runs", "p50 ms", "overhead p50 ms"), rows),
        "",
        noise(versions, rotation),
    ]
    return Outcome("pass", noise(versions, rotation), body)


def noise(versions: dict[str, Path], rotation: dict[str, dict[str, Any]]) -> str:
    names = [n for n in versions if isinstance(rotation.get(n, {}).get("cpu_ms_per_request"), (int, float))]
    if len(names) != 2:
        return "no CPU figure for both versions"
    (a, b) = (rotation[n] for n in names)
    change = b["cpu_ms_per_request"] - a["cpu_ms_per_request"]
    spread = max(a["cpu_max"] - a["cpu_min"], b["cpu_max"] - b["cpu_min"])
    verdict = "within the noise" if abs(change) <= spread else f"beyond it: {'more' if change > 0 else 'less'} CPU"
    return (
        f"{names[1]} uses {change:+.2f} ms CPU per request against {names[0]} "
        f"({change / a['cpu_ms_per_request']:+.0%}); the noise (the widest range of one version's runs) is "
        f"{spread:.2f} ms: {verdict}"
    )
