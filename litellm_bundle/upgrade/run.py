"""`make upgrade TO=X.Y.Z` (`python -m litellm_bundle upgrade --to X.Y.Z`): the target version installed beside
the current one, its surface generated, then every check of upgrade/steps.py on it, in order, each timed
and each skippable (a skipped step is reported as such and the verdict is at best "incomplete"), and the
markdown report for the pull request (upgrade/report.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Literal

from litellm_bundle.core.tree import BundleTree
from litellm_bundle.policy.policies import LITELLM_SURFACE, PolicyError
from litellm_bundle.upgrade import steps, venv
from litellm_bundle.upgrade.steps import Outcome, Status
from litellm_bundle.upgrade.surface_diff import SurfaceError

# the steps in report order: name -> title
STEPS: dict[str, str] = {
    "install": "The target installed beside the current version, its surface generated",
    "surface": "The surface diff that touches the sources",
    "validate": "Every environment validated against the target's surface",
    "boot": "Every environment booted on the target's proxy",
    "database": "The database: the current version's data migrated to the target, and rolled back",
    "tests": "The hooks and the access reconciler on the target's proxy",
    "bench": "CPU per request, side by side",
}
SKIPPABLE = tuple(name for name in STEPS if name != "install")
REPORTS_DIR = "docs/upgrades"  # under the bundle root: one report per target version
Verdict = Literal["pass", "break", "blocked", "incomplete"]
# what a step failing for reasons of its own raises (reported as an error of that step, never a traceback)
STEP_ERRORS = (
    venv.VenvError,
    SurfaceError,
    PolicyError,
    RuntimeError,
    OSError,
    subprocess.SubprocessError,
    ValueError,
)


class UpgradeUsageError(Exception):
    """The arguments cannot describe an upgrade (a usage error)."""


@dataclass
class Options:
    target: str
    current: str
    report: Path
    skip: frozenset[str] = frozenset()
    write_surface: bool = False
    python: str = sys.executable
    bench_repeats: int = 4
    bench_duration: str = "10s"
    surface: Path | None = None  # the target's surface, already generated (else its venv generates it)

    def command(self) -> str:
        """The command line that reproduces this run (the report shows it)."""
        parts = ["python -m litellm_bundle upgrade", f"--to {self.target}", f"--from {self.current}"]
        parts += [f"--skip {name}" for name in SKIPPABLE if name in self.skip]
        shown = os.path.relpath(self.surface) if self.surface else ""
        parts += [f"--surface {self.surface if shown.startswith('..') else shown}"] if self.surface else []
        return " ".join(parts)


@dataclass
class Step:
    name: str
    title: str
    status: Status = "not run"
    summary: str = ""
    body: list[str] = field(default_factory=list)
    seconds: float | None = None


@dataclass
class Upgrade:
    current: str
    target: str
    steps: list[Step]
    notes: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> Verdict:
        statuses = {step.status for step in self.steps}
        if "blocked" in statuses:
            return "blocked"
        if "break" in statuses:
            return "break"
        if statuses - {"pass"}:
            return "incomplete"
        return "pass"

    @property
    def failed(self) -> bool:
        """Whether the command fails: a break, a block, or a step that could not run (explicit skips do not)."""
        return self.verdict in ("break", "blocked") or any(s.status in ("error", "not run") for s in self.steps)


def options(
    tree: BundleTree,
    target: str,
    current: str | None = None,
    report: Path | None = None,
    skip: list[str] | None = None,
    write_surface: bool = False,
    python: str = sys.executable,
    bench_repeats: int = 4,
    bench_duration: str = "10s",
    surface: Path | None = None,
) -> Options:
    """Checked options (UpgradeUsageError for arguments that cannot describe an upgrade)."""
    current = current or tree.pinned_version()
    for name, value in (("--to", target), ("--from", current)):
        if not venv.VERSION.match(value):
            raise UpgradeUsageError(f"{name} {value!r} is not a LiteLLM version (like 1.108.7)")
    if target == current:
        raise UpgradeUsageError(f"--to {target} is the current version; nothing to upgrade")
    unknown = sorted(set(skip or []) - set(SKIPPABLE))
    if unknown:
        raise UpgradeUsageError(f"--skip {', '.join(unknown)}: no such step (steps: {', '.join(SKIPPABLE)})")
    if surface is not None and not (surface / LITELLM_SURFACE).is_file():
        raise UpgradeUsageError(
            f"--surface {surface}: no {LITELLM_SURFACE} there (a policies/litellm/<version>/ directory)"
        )
    if bench_repeats < 1:
        raise UpgradeUsageError(f"--bench-repeats {bench_repeats}: at least 1")
    return Options(
        target,
        current,
        report or tree.root / REPORTS_DIR / f"{target}.md",
        frozenset(skip or []),
        write_surface,
        python,
        bench_repeats,
        bench_duration,
        surface.resolve() if surface else None,
    )


class _Runner:
    def __init__(self, tree: BundleTree, opts: Options, progress: Callable[[str], None], work: Path):
        self.tree, self.opts, self.progress, self.work = tree, opts, progress, work
        self.steps = {name: Step(name, title) for name, title in STEPS.items()}

    def run(self, name: str, action: Callable[[], Outcome], needs: bool = True) -> None:
        step = self.steps[name]
        if name in self.opts.skip:
            step.status, step.summary = "skipped", f"--skip {name}"
            return
        if not needs:
            step.summary = "what it needs failed above"
            return
        self.progress(f"upgrade: {name}: {step.title} ...")
        started = time.monotonic()
        try:
            outcome = action()
        except STEP_ERRORS as exc:
            outcome = Outcome("error", f"{type(exc).__name__}: {exc}".splitlines()[0][:300], [f"```\n{exc}\n```"])
        step.seconds = time.monotonic() - started
        step.status, step.summary, step.body = outcome.status, outcome.summary, outcome.body
        self.progress(f"upgrade: {name}: {step.status}: {step.summary}")


def _current_venv(tree: BundleTree, opts: Options) -> Path:
    """The venv that runs the current version: this interpreter's (the tooling's .venv) for the pinned version."""
    if opts.current == tree.pinned_version():
        found = installed_version("litellm")
        if found != opts.current:
            raise venv.VenvError(
                f"the tooling's venv {sys.prefix} holds litellm {found}, not {opts.current}: make setup"
            )
        return Path(sys.prefix)
    made = venv.ensure(tree, opts.current, opts.python)
    if isinstance(made, venv.Unresolvable):
        raise venv.VenvError(f"the current version {opts.current} cannot be installed: {made}")
    return made.path


def _committed(tree: BundleTree, version: str) -> Path | None:
    folder = tree.litellm_surface_dir(version)
    return folder if (folder / LITELLM_SURFACE).is_file() else None


def _surface_version(folder: Path) -> str:
    try:
        return str(json.loads((folder / LITELLM_SURFACE).read_text(encoding="utf-8")).get("version"))
    except (OSError, json.JSONDecodeError, AttributeError) as exc:
        raise SurfaceError(f"{folder} holds no LiteLLM surface ({LITELLM_SURFACE}): {exc}") from exc


def _install(tree: BundleTree, opts: Options, work: Path, found: dict[str, Path]) -> Outcome:
    """The target's venv (when a step runs its proxy or its surface must be generated), its surface and the
    current version's (committed, else generated by the current version's venv)."""
    runs_target = bool({"boot", "database", "tests", "bench"} - opts.skip)
    given = opts.surface or (None if runs_target else _committed(tree, opts.target))
    lines: list[str] = []
    summary = ""
    if runs_target or given is None:
        made = venv.ensure(tree, opts.target, opts.python)
        if isinstance(made, venv.Unresolvable):
            body = [
                f"pip cannot install `{venv.litellm_requirement(opts.target)}` from the package index: {made}. "
                "Nothing was installed. Upgrade to an earlier release whose requirements the index serves, or run this "
                "again once it serves them."
            ]
            return Outcome("blocked", str(made), body)
        found["target_venv"] = made.path
        lines += [f"- {note}" for note in made.notes]
        summary = f"{tree.shown(made.path)} ({'reused' if made.reused else 'installed'})"
    else:
        lines.append("- no venv: every step that runs the target is skipped")
    if given is None:
        out = tree.policies_dir / "litellm" if opts.write_surface else work / "surface"
        given = venv.generate_surface(tree, found["target_venv"], out, opts.target)
    got = _surface_version(given)
    if got != opts.target:
        raise SurfaceError(f"{given} is LiteLLM {got}'s surface, not {opts.target}'s")
    found["target_surface"] = given
    if {"database", "bench"} - opts.skip or _committed(tree, opts.current) is None:
        found["current_venv"] = _current_venv(tree, opts)
        lines.append(f"- current: LiteLLM {opts.current} in {tree.shown(found['current_venv'])}")
    found["current_surface"] = _committed(tree, opts.current) or venv.generate_surface(
        tree, found["current_venv"], work / "surface", opts.current
    )
    temporary = found["target_surface"].is_relative_to(work)
    lines.append(
        f"- surfaces: {tree.shown(found['current_surface'])} -> {tree.shown(found['target_surface'])}"
        + (" (temporary; --write-surface writes policies/litellm/)" if temporary else "")
    )
    return Outcome("pass", summary or f"surface {tree.shown(found['target_surface'])}", lines)


def run(tree: BundleTree, opts: Options, progress: Callable[[str], None]) -> Upgrade:
    with tempfile.TemporaryDirectory(prefix="upgrade-") as tmp:
        work = Path(tmp)
        runner = _Runner(tree, opts, progress, work)
        found: dict[str, Path] = {}
        runner.run("install", lambda: _install(tree, opts, work, found))
        has_target_surface = "target_surface" in found
        has_surface = has_target_surface and "current_surface" in found
        has_venv = "target_venv" in found
        has_both = has_venv and "current_venv" in found
        runner.run(
            "surface",
            lambda: steps.surface(tree, found["current_surface"], found["target_surface"]),
            has_surface,
        )
        runner.run("validate", lambda: steps.validate(tree, found["target_surface"], opts.target), has_target_surface)
        runner.run("boot", lambda: steps.boot(tree, found["target_venv"], work / "boot"), has_venv)
        runner.run(
            "database",
            lambda: steps.database(tree, found["current_venv"], found["target_venv"], work / "database"),
            has_both,
        )
        runner.run("tests", lambda: steps.tests(tree, found["target_venv"], work), has_venv)
        runner.run(
            "bench",
            lambda: steps.bench(
                tree,
                {opts.current: found["current_venv"], opts.target: found["target_venv"]},
                work,
                opts.bench_repeats,
                opts.bench_duration,
            ),
            has_both,
        )
        if runner.steps["install"].status == "blocked":
            for step in list(runner.steps.values())[1:]:
                if step.status == "not run":
                    step.summary = "the target cannot be installed"
        return Upgrade(opts.current, opts.target, list(runner.steps.values()))
