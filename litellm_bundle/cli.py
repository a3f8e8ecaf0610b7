"""Command line: validate, render, diff, lint-k8s and the local stack (up, down, logs).

Exit codes: 0 success, 1 problems found (or a tool failed), 2 usage errors."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from . import kube, stack
from .diff import DiffError, default_ref, diff_generated, generate_at_ref
from .generate import generate, rendered_values
from .output import stale, write_areas
from .policies import Policies, PolicyError
from .problems import ValidationFailed
from .tree import BundleTree, TreeError, find_root
from .validate import validate


class UsageError(Exception):
    pass


def _tree(args: argparse.Namespace) -> BundleTree:
    root = args.root or find_root(Path.cwd())
    return BundleTree.at(root, config_dir=getattr(args, "config", None), out_dir=getattr(args, "out", None))


def _report(exc: ValidationFailed) -> int:
    print(exc.report(), file=sys.stderr)
    return 1


def _validate(args: argparse.Namespace) -> int:
    tree = _tree(args)
    policies = Policies(tree)
    unknown = sorted(set(args.env or []) - set(policies.environments))
    if unknown:
        raise UsageError(f"unknown environment {', '.join(unknown)} (known: {', '.join(policies.environments)})")
    _, problems = validate(policies, args.env or None)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"validation failed: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"config valid for {', '.join(args.env or policies.environments)}")
    return 0


def _render(args: argparse.Namespace) -> int:
    tree = _tree(args)
    try:
        generated = generate(tree, with_k8s=not args.skip_k8s)
    except ValidationFailed as exc:
        return _report(exc)
    shown = tree.shown(tree.out_dir) if tree.out_dir != tree.root else "."
    if args.check:
        changed = stale(tree.out_dir, generated.files, generated.areas)
        if changed:
            print(f"generated files in {shown} are stale; run `make render` and commit:\n  " + "\n  ".join(changed), file=sys.stderr)
            return 1
        print(f"generated files in {shown} are up to date")
        return 0
    write_areas(tree.out_dir, generated.files, generated.areas)
    print(f"rendered {', '.join(generated.config_set.environments)} into {shown}: {', '.join(generated.areas)}")
    return 0


def _diff(args: argparse.Namespace) -> int:
    tree = _tree(args)
    ref = args.ref or default_ref(tree.root)
    try:
        new = generate(tree)
    except ValidationFailed as exc:
        print(exc.report().replace("nothing was written", "nothing to compare"), file=sys.stderr)
        return 1
    try:
        old = generate_at_ref(tree, ref)
    except DiffError as exc:
        print(f"diff: {exc}", file=sys.stderr)
        return 1
    print(diff_generated(old, new, ref))
    return 0


def _lint_k8s(args: argparse.Namespace) -> int:
    tree = _tree(args)
    try:
        generated = generate(tree, with_k8s=False)
    except ValidationFailed as exc:
        return _report(exc)
    envs = args.env or generated.config_set.environments
    values = rendered_values(generated)
    failures = kube.lint(tree, values, envs)
    if args.server:
        failures += _server_validate(tree, values, envs)
    for failure in failures:
        print(failure, file=sys.stderr)
    if failures:
        print(f"lint-k8s failed: {len(failures)} problem(s)", file=sys.stderr)
        return 1
    print("lint-k8s: every environment and scenario passed helm lint and kubeconform -strict on every version")
    return 0


def _server_validate(tree: BundleTree, values: dict[str, str], envs: list[str]) -> list[str]:
    """Every scenario through a real API server: a temporary local control plane with the pinned CRDs."""
    from . import cluster, crds

    with tempfile.TemporaryDirectory(prefix="lint-k8s-") as state:
        plane = cluster.ControlPlane.start(Path(state), cluster.DEFAULT_VERSION, tree.tools_dir / "kube")
        try:
            crds.install(plane)
            plane.kubectl("create", "namespace", kube.NAMESPACE)
            return kube.server_validate(tree, values, envs, plane.kubectl)
        finally:
            plane.stop()


def _scan(args: argparse.Namespace) -> int:
    from . import scan

    tree = _tree(args)
    envs = args.env or list(Policies(tree).environments)
    findings = scan.gitleaks(tree) + scan.checkov(tree, envs)
    for finding in findings:
        print(finding, file=sys.stderr)
    if findings:
        print(f"scan failed: {len(findings)} finding(s) (allowlist: .gitleaks.toml, waivers: policies/checkov-waivers.yaml)", file=sys.stderr)
        return 1
    print(f"scan: no leak in the history or the files, no unwaived checkov finding in k8s/ ({', '.join(envs)})")
    return 0


def _stack_paths(args: argparse.Namespace) -> stack.StackPaths:
    tree = _tree(args)
    return stack.StackPaths(tree, state=args.state_dir or tree.root / ".run", env_file=args.env_file or tree.root / ".env")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="litellm-bundle", description=__doc__)
    parser.add_argument("--root", type=Path, help="bundle root: policies, chart, hooks (default: the nearest one at or above the working directory)")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_config(p: argparse.ArgumentParser) -> None:
        p.add_argument("--config", type=Path, help="read the YAML sources from DIR (default: ROOT/config); policies and chart stay the root's")

    p = sub.add_parser("validate", help="validate the sources for every environment")
    with_config(p)
    p.add_argument("--env", action="append", help="only this environment (repeatable)")
    p.set_defaults(func=_validate)
    p = sub.add_parser("render", help="validate, then write every generated file (rendered/, k8s/, compose/, .env.example, docs/config-reference.md)")
    with_config(p)
    p.add_argument("--out", type=Path, help="write the generated tree under DIR (default: ROOT)")
    p.add_argument("--check", action="store_true", help="write nothing; fail when a generated file differs from the one on disk")
    p.add_argument("--skip-k8s", action="store_true", help="leave k8s/ alone (no helm template)")
    p.set_defaults(func=_render)
    p = sub.add_parser("diff", help="what the working tree changes in every generated file, against a git ref")
    with_config(p)
    p.add_argument("--ref", help="git ref to compare with (default: merge base with main)")
    p.set_defaults(func=_diff)
    p = sub.add_parser("lint-k8s", help="helm lint, helm template and kubeconform for every environment, chart CI scenario and Kubernetes version")
    p.add_argument("--env", action="append")
    p.add_argument("--server", action="store_true", help="also `kubectl apply --dry-run=server` each of them against a local control plane (make cluster-build)")
    p.set_defaults(func=_lint_k8s)
    p = sub.add_parser("scan", help="gitleaks over the history and the files, checkov over k8s/<env>/ (waivers: policies/checkov-waivers.yaml)")
    p.add_argument("--env", action="append")
    p.set_defaults(func=_scan)
    actions: dict[str, tuple[str, Callable[[argparse.Namespace], int]]] = {
        "up": ("start the local gateway (compose, or native without a Docker engine)", lambda a: stack.up(_stack_paths(a), native=a.native)),
        "down": ("stop what `up` started", lambda a: stack.down(_stack_paths(a))),
        "logs": ("show the local stack's logs", lambda a: stack.logs(_stack_paths(a), follow=not a.no_follow)),
    }
    for name, (helptext, func) in actions.items():
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--state-dir", type=Path, help="pid files, logs, staged config (default: ROOT/.run)")
        p.add_argument("--env-file", type=Path, help="environment file (default: ROOT/.env, created from .env.example)")
        if name == "up":
            p.add_argument("--native", action="store_true", help="native stack even when a Docker engine is available")
        if name == "logs":
            p.add_argument("--no-follow", action="store_true")
        p.set_defaults(func=func)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (TreeError, UsageError) as exc:
        print(f"{args.command}: {exc}", file=sys.stderr)
        return 2
    except (PolicyError, kube.ToolMissing, RuntimeError) as exc:
        print(f"{args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
