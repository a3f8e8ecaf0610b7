"""Command line: validate, render, diff, lint-k8s and the local stack (up, down, logs).

Exit codes: 0 success, 1 problems found (or a tool failed), 2 usage errors."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from litellm_bundle.build.diff import DiffError, default_ref, diff_generated, generate_at_ref
from litellm_bundle.build.generate import generate, rendered_values
from litellm_bundle.build.output import stale, write_areas
from litellm_bundle.checks import validate as validation
from litellm_bundle.cli import report
from litellm_bundle.core import facts
from litellm_bundle.core.problems import ValidationFailed
from litellm_bundle.core.tree import BundleTree, TreeError, find_root
from litellm_bundle.external import kube
from litellm_bundle.policy.policies import Policies, PolicyError
from litellm_bundle.runtime import stack


class UsageError(Exception):
    pass


def _tree(args: argparse.Namespace) -> BundleTree:
    root = args.root or find_root(Path.cwd())
    return BundleTree.at(root, config_dir=getattr(args, "config", None), out_dir=getattr(args, "out", None))


def _report(exc: ValidationFailed) -> int:
    print(exc.report(), file=sys.stderr)
    return 1


def _validate(args: argparse.Namespace) -> int:
    """Exit 0: no errors (and with --strict no warnings); 1: problems; 2: usage errors."""
    tree = _tree(args)
    policies = Policies(tree)
    unknown = sorted(set(args.env or []) - set(policies.environments))
    if unknown:
        raise UsageError(f"unknown environment {', '.join(unknown)} (known: {', '.join(policies.environments)})")
    result = validation.run(policies, args.env or None)
    outcome = report.Outcome(result.problems, args.env or policies.environments, args.strict)
    out, err = report.render(outcome, args.format)
    sys.stdout.write(out)
    sys.stderr.write(err)
    return 1 if outcome.failed else 0


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
            print(
                f"generated files in {shown} are stale; run `make render` and commit:\n  " + "\n  ".join(changed),
                file=sys.stderr,
            )
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
    from litellm_bundle.cluster import control_plane, crds

    with tempfile.TemporaryDirectory(prefix="lint-k8s-") as state:
        plane = control_plane.ControlPlane.start(Path(state), control_plane.DEFAULT_VERSION, tree.tools_dir / "kube")
        try:
            crds.install(plane)
            plane.kubectl("create", "namespace", facts.NAMESPACE)
            return kube.server_validate(tree, values, envs, plane.kubectl)
        finally:
            plane.stop()


def _import(args: argparse.Namespace) -> int:
    """A LiteLLM config.yaml as bundle sources in a new directory (docs/litellm-surface.md)."""
    from litellm_bundle.importer import convert

    tree = _tree(args)
    policies = Policies(tree)
    if args.env not in policies.environments:
        raise UsageError(f"unknown environment {args.env} (known: {', '.join(policies.environments)})")
    if not args.config_file.is_file():
        raise UsageError(f"{args.config_file} is not a file")
    if args.into.exists() and (not args.into.is_dir() or any(args.into.iterdir())):
        raise UsageError(f"{args.into} exists and is not empty; import into a new directory")
    try:
        imported = convert.import_config(tree, args.config_file, args.env)
    except convert.ImportFailed as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"import failed: {len(exc.problems)} problem(s); nothing was written", file=sys.stderr)
        return 1
    convert.write(args.into, imported)
    for note in imported.notes:
        print(f"note: {note}")
    literal = (
        f", {len(imported.literal)} of them literal secrets now references ({', '.join(sorted(imported.literal))})"
        if imported.literal
        else ""
    )
    print(
        f"imported {args.config_file} as environment {args.env} into {args.into}: {len(imported.references)} references declared in secrets.yaml{literal}"
    )
    print(
        "next: set their values (every source is `env: NAME`; use kubernetes_secret or external for the clusters), then\n"
        f"  python -m litellm_bundle validate --config {args.into}\n  python -m litellm_bundle render --config {args.into} --out OUT"
    )
    return 0


def _scan(args: argparse.Namespace) -> int:
    from litellm_bundle.external import scan

    tree = _tree(args)
    envs = args.env or list(Policies(tree).environments)
    findings = scan.gitleaks(tree) + scan.checkov(tree, envs)
    for finding in findings:
        print(finding, file=sys.stderr)
    if findings:
        print(
            f"scan failed: {len(findings)} finding(s) (allowlist: .gitleaks.toml, waivers: policies/checkov-waivers.yaml)",
            file=sys.stderr,
        )
        return 1
    print(f"scan: no leak in the history or the files, no unwaived checkov finding in k8s/ ({', '.join(envs)})")
    return 0


def _access(args: argparse.Namespace) -> int:
    """Render the environment's access.json in memory and run gateway_access (the Job's code) with it."""
    from litellm_bundle.build.generate import render_one
    from litellm_bundle.runtime import access

    tree = _tree(args)
    try:
        files = render_one(tree, args.env)
    except ValidationFailed as exc:
        return _report(exc)
    with tempfile.TemporaryDirectory(prefix="access-") as work:
        desired = Path(work) / "access.json"
        desired.write_text(files["access.json"], encoding="utf-8")
        argv = [args.action, "--url", args.url, "--desired", str(desired), "--keys-to", args.keys_to]
        argv += ["--prune"] if args.prune else []
        for alias in args.rotate:
            argv += ["--rotate", alias]
        return int(access.reconciler(tree).main(argv))


def _stack_paths(args: argparse.Namespace) -> stack.StackPaths:
    tree = _tree(args)
    return stack.StackPaths(
        tree, state=args.state_dir or tree.root / ".run", env_file=args.env_file or tree.root / ".env"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="litellm-bundle", description=__doc__)
    parser.add_argument(
        "--root",
        type=Path,
        help="bundle root: policies, chart, hooks (default: the nearest one at or above the working directory)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def with_config(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--config",
            type=Path,
            help="read the YAML sources from DIR (default: ROOT/config); policies and chart stay the root's",
        )

    p = sub.add_parser("validate", help="validate the sources for every environment (docs/validation.md)")
    with_config(p)
    p.add_argument("--env", action="append", help="only this environment (repeatable)")
    p.add_argument(
        "--format",
        choices=report.FORMATS,
        default="text",
        help="text (default), json (one document on stdout) or github (workflow annotations)",
    )
    p.add_argument("--strict", action="store_true", help="warnings fail too (CI)")
    p.set_defaults(func=_validate)
    p = sub.add_parser(
        "render",
        help="validate, then write every generated file (rendered/, k8s/, compose/, .env.example, docs/config-reference.md)",
    )
    with_config(p)
    p.add_argument("--out", type=Path, help="write the generated tree under DIR (default: ROOT)")
    p.add_argument(
        "--check", action="store_true", help="write nothing; fail when a generated file differs from the one on disk"
    )
    p.add_argument("--skip-k8s", action="store_true", help="leave k8s/ alone (no helm template)")
    p.set_defaults(func=_render)
    p = sub.add_parser("diff", help="what the working tree changes in every generated file, against a git ref")
    with_config(p)
    p.add_argument("--ref", help="git ref to compare with (default: merge base with main)")
    p.set_defaults(func=_diff)
    p = sub.add_parser(
        "lint-k8s",
        help="helm lint, helm template and kubeconform for every environment, chart CI scenario and Kubernetes version",
    )
    p.add_argument("--env", action="append")
    p.add_argument(
        "--server",
        action="store_true",
        help="also `kubectl apply --dry-run=server` each of them against a local control plane (make cluster-build)",
    )
    p.set_defaults(func=_lint_k8s)
    p = sub.add_parser(
        "access", help="teams and keys of config/access.yaml against a live proxy: plan (exit 2 on drift) or apply"
    )
    with_config(p)
    p.add_argument("action", choices=("plan", "apply"))
    p.add_argument("--url", required=True, help="the proxy (its master key in $LITELLM_MASTER_KEY)")
    p.add_argument("--env", default="dev", help="environment whose access to reconcile (default: dev)")
    p.add_argument("--prune", action="store_true", help="delete managed teams and keys no longer declared")
    p.add_argument("--rotate", action="append", default=[], help="give this key alias a new value (repeatable)")
    p.add_argument(
        "--keys-to", default="stdout", help="where new key values go: stdout, env-file:PATH, k8s-secret:NAME"
    )
    p.set_defaults(func=_access)
    p = sub.add_parser(
        "import", help="turn a LiteLLM config.yaml into bundle sources in a new directory (docs/litellm-surface.md)"
    )
    p.add_argument("config_file", type=Path, metavar="CONFIG.yaml")
    p.add_argument("--into", type=Path, required=True, help="the new config directory (must not exist or be empty)")
    p.add_argument(
        "--env", default="dev", help="the environment the config is (default: dev); the others start as copies"
    )
    p.set_defaults(func=_import)
    p = sub.add_parser(
        "scan",
        help="gitleaks over the history and the files, checkov over k8s/<env>/ (waivers: policies/checkov-waivers.yaml)",
    )
    p.add_argument("--env", action="append")
    p.set_defaults(func=_scan)
    actions: dict[str, tuple[str, Callable[[argparse.Namespace], int]]] = {
        "up": (
            "start the local gateway (compose, or native without a Docker engine)",
            lambda a: stack.up(_stack_paths(a), native=a.native),
        ),
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
