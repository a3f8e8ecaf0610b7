"""Command line: validate, render, diff, lint-k8s, scan, import, access, drift, checks, the local stack (up,
down, logs), the boot check (check-config), LiteLLM's surface (litellm-schema), another LiteLLM version
checked before the pin moves (upgrade) and the local Kubernetes (cluster build|up|down). The only place
that prints and sets exit codes: the layers below return results.

Exit codes (docs/validation.md, "Exit codes"): 0 success, 1 problems found (or a tool failed), 2 usage
error, 3 drift found by `access plan` or `drift`, 130 interrupted."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from litellm_bundle.build.diff import DiffError, default_ref, diff_generated, generate_at_ref
from litellm_bundle.build.generate import generate, render_one, rendered_values
from litellm_bundle.build.output import stale, write_areas
from litellm_bundle.checks import validate as validation
from litellm_bundle.cli import report
from litellm_bundle.core import facts
from litellm_bundle.core.problems import Problem, Result, ValidationFailed
from litellm_bundle.core.tree import BundleTree, TreeError, find_root
from litellm_bundle.external import kube, scan
from litellm_bundle.importer import code as team_code_import
from litellm_bundle.importer import convert
from litellm_bundle.importer.report import REPORT_FILE
from litellm_bundle.model.configset import load_config_set
from litellm_bundle.model.versions import committed_surfaces, version_key, versions_in_use
from litellm_bundle.policy import registry
from litellm_bundle.policy.policies import Policies, PolicyError
from litellm_bundle.runtime import access, access_import, live_drift, stack
from litellm_bundle.surface import generator
from litellm_bundle.upgrade import venv as upgrade_venv

VALIDATION_DOC = "docs/validation.md"  # where the exit codes, the output formats and the table of checks are


class UsageError(Exception):
    pass


def _tree(args: argparse.Namespace) -> BundleTree:
    root = args.root or find_root(Path.cwd())
    return BundleTree.at(root, config_dir=getattr(args, "config", None), out_dir=getattr(args, "out", None))


def _emit(outcome: report.Outcome, fmt: str = "text") -> int:
    out, err = report.render(outcome, fmt)
    sys.stdout.write(out)
    sys.stderr.write(err)
    return outcome.exit_code


def _outcome(
    command: str,
    result: Result,
    success: str = "",
    failure: str = "",
    label: str = "",
    strict: bool = False,
    environments: Sequence[str] = (),
) -> report.Outcome:
    """The result as reported, with the registry's severities (the fields: report.Outcome's)."""
    return report.Outcome(
        command,
        result,
        registry.load(),
        strict=strict,
        success=success,
        failure=failure,
        label=label,
        environments=environments,
    )


def _invalid(exc: ValidationFailed, fmt: str, failure: str) -> int:
    """The validation errors that stopped a command that validates first."""
    return _emit(_outcome("validate", Result(exc.problems), label="validation", failure=failure), fmt)


def _environments(policies: Policies, wanted: list[str] | None) -> list[str]:
    """The environments a repeatable --env names (default: all of them)."""
    unknown = sorted(set(wanted or []) - set(policies.environments))
    if unknown:
        raise UsageError(f"unknown environment {', '.join(unknown)} (known: {', '.join(policies.environments)})")
    return wanted or list(policies.environments)


def _validate(args: argparse.Namespace) -> int:
    tree = _tree(args)
    policies = Policies(tree)
    envs = _environments(policies, args.env)
    result = validation.run(policies, args.env or None)
    outcome = _outcome(
        "validate",
        result,
        strict=args.strict,
        success=f"config valid for {', '.join(envs)}",
        label="validation",
        environments=envs,
    )
    return _emit(outcome, args.format)


def _render(args: argparse.Namespace) -> int:
    tree = _tree(args)
    try:
        generated = generate(tree, with_k8s=not args.skip_k8s)
    except ValidationFailed as exc:
        return _invalid(exc, "text", "; nothing was written")
    shown = tree.shown(tree.out_dir) if tree.out_dir != tree.root else "."
    if args.check:
        changed = stale(tree.out_dir, generated.files, generated.areas)
        if changed:
            print(
                f"generated files in {shown} are stale; run `make render` and commit:\n  " + "\n  ".join(changed),
                file=sys.stderr,
            )
            return facts.EXIT_PROBLEMS
        print(f"generated files in {shown} are up to date")
        return facts.EXIT_OK
    write_areas(tree.out_dir, generated.files, generated.areas)
    print(f"rendered {', '.join(generated.config_set.environments)} into {shown}: {', '.join(generated.areas)}")
    return facts.EXIT_OK


def _diff(args: argparse.Namespace) -> int:
    tree = _tree(args)
    ref = args.ref or default_ref(tree.root)
    try:
        new = generate(tree)
    except ValidationFailed as exc:
        return _invalid(exc, "text", "; nothing to compare")
    try:
        old = generate_at_ref(tree, ref)
    except DiffError as exc:
        print(f"diff: {exc}", file=sys.stderr)
        return facts.EXIT_PROBLEMS
    print(diff_generated(old, new, ref))
    return facts.EXIT_OK


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _say(line: str) -> None:
    print(line, flush=True)


def _lint_k8s(args: argparse.Namespace) -> int:
    tree = _tree(args)
    try:
        generated = generate(tree, with_k8s=False)
    except ValidationFailed as exc:
        return _invalid(exc, args.format, "; nothing was linted")
    envs = args.env or generated.config_set.environments
    values = rendered_values(generated)
    problems = kube.lint(tree, values, envs, progress=_progress)
    if args.server:
        problems += _server_validate(tree, values, envs)
    success = "lint-k8s: every environment and scenario passed helm lint and kubeconform -strict on every version"
    return _emit(_outcome("lint-k8s", Result(problems), success=success), args.format)


def _server_validate(tree: BundleTree, values: dict[str, str], envs: list[str]) -> list[Problem]:
    """Every scenario through a real API server: a temporary local control plane with the pinned CRDs."""
    # the local cluster needs httpx (the runtime extra), which `pip install .` leaves out
    from litellm_bundle.cluster import control_plane, crds  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="lint-k8s-") as state:
        plane = control_plane.ControlPlane.start(
            Path(state), facts.DEFAULT_CONTROL_PLANE_VERSION, tree.tools_dir / "kube"
        )
        try:
            crds.install(plane)
            plane.kubectl("create", "namespace", facts.NAMESPACE)
            return kube.server_validate(tree, values, envs, plane.kubectl, progress=_progress)
        finally:
            plane.stop()


def _import(args: argparse.Namespace) -> int:
    """A LiteLLM config.yaml as bundle sources in a new directory (docs/litellm-surface.md)."""
    tree = _tree(args)
    policies = Policies(tree)
    _environments(policies, [args.env])
    if not args.config_file.is_file():
        raise UsageError(f"{args.config_file} is not a file")
    if args.into.exists() and (not args.into.is_dir() or any(args.into.iterdir())):
        raise UsageError(f"{args.into} exists and is not empty; import into a new directory")
    if args.code is not None and not args.code.is_dir():
        raise UsageError(f"--code {args.code} is not a directory")
    brought = team_code_import.collect(policies, args.config_file, args.code)
    result = convert.import_config(
        tree, args.config_file, args.env, args.drop_ignored, code=team_code_import.code_files(brought)
    )
    result = team_code_import.merged(result, brought)
    imported = result.imported
    if imported is None:
        return _emit(_outcome("import", result, failure="; nothing was written"), args.format)
    convert.write(args.into, imported)
    literal = (
        f", {len(imported.literal)} of them literal secrets now references ({', '.join(sorted(imported.literal))})"
        if imported.literal
        else ""
    )
    changes = imported.report.lines()
    success = "\n".join(
        [
            f"imported {args.config_file} as environment {args.env} into {args.into}: "
            f"{len(imported.references)} references declared in secrets.yaml{literal}; "
            f"{len(imported.report.changes)} change(s), in {args.into / REPORT_FILE}:",
            *changes,
            "next: set the references' values (every source is `env: NAME`; use kubernetes_secret or external for "
            f"the clusters), then\n  python -m litellm_bundle validate --config {args.into}\n"
            f"  python -m litellm_bundle render --config {args.into} --out OUT",
        ]
    )
    outcome = report.Outcome(
        "import",
        result,
        registry.load(),
        success=success,
        details={"into": str(args.into), "report": imported.report.data()},
    )
    return _emit(outcome, args.format)


def _scan(args: argparse.Namespace) -> int:
    tree = _tree(args)
    envs = args.env or list(Policies(tree).environments)
    result = Result(scan.gitleaks(tree) + scan.checkov(tree, envs))
    outcome = _outcome(
        "scan",
        result,
        success=f"scan: no leak in the history or the files, no unwaived checkov finding in k8s/ ({', '.join(envs)})",
        failure=" (allowlist: .gitleaks.toml, waivers: policies/checkov-waivers.yaml)",
    )
    return _emit(outcome, args.format)


def _access_import(args: argparse.Namespace) -> int:
    """A live proxy's teams and keys into access.yaml for the environment, adopted (docs/access.md)."""
    if args.prune or args.rotate or args.keys_to:
        raise UsageError("import takes no --prune, --rotate or --keys-to (it never makes or deletes a key)")
    tree = _tree(args)
    _environments(Policies(tree), [args.env])
    into = args.into or tree.config_dir / "access.yaml"
    result = access_import.run(tree, args.env, args.url, into, os.environ)
    return _emit(_outcome("access", result, label="access import"), args.format)


def _access(args: argparse.Namespace) -> int:
    """Render the environment's access.json in memory and run gateway_access (the Job's code) with it."""
    if args.action == "import":
        return _access_import(args)
    if args.into:
        raise UsageError("--into is for import")
    if args.action == "apply" and not args.keys_to:
        raise UsageError("apply needs --keys-to (-, env-file:PATH or k8s-secret:NAME): where new key values go")
    tree = _tree(args)
    try:
        files = render_one(tree, args.env)
    except ValidationFailed as exc:
        return _invalid(exc, args.format, "; nothing was planned")
    with tempfile.TemporaryDirectory(prefix="access-") as work:
        desired = Path(work) / "access.json"
        desired.write_text(files["access.json"], encoding="utf-8")
        result = access.reconcile(
            tree,
            args.env,
            args.action,
            args.url,
            desired,
            os.environ,
            prune=args.prune,
            rotate=tuple(args.rotate),
            keys_to=args.keys_to or "-",
        )
    return _emit(_outcome("access", result, label=f"access {args.action}"), args.format)


def _drift(args: argparse.Namespace) -> int:
    """The running proxy against the environment's rendered config.yaml: models, settings, callbacks."""
    tree = _tree(args)
    policies = Policies(tree)
    _environments(policies, [args.env])
    if not live_drift.http_url(args.url):
        raise UsageError(f"--url {args.url} is not an http(s) URL")
    config = live_drift.rendered_config(tree, args.env)
    if not config.is_file():
        raise UsageError(f"{tree.shown(config)} does not exist; run `python -m litellm_bundle render`")
    result, findings, doc = live_drift.check(tree, policies, args.url, os.environ, config)
    result.notes.append(f"teams and keys: python -m litellm_bundle access plan --env {args.env} --url {args.url}")
    against = f"the proxy at {args.url} against {doc.file}"
    outcome = report.Outcome(
        "drift",
        result,
        registry.load(),
        success=f"drift: {len(findings)} difference(s), {against}" if findings else f"no drift: {against}",
        environments=[args.env],
        details=live_drift.details(findings, doc, args.url),
    )
    return _emit(outcome, args.format)


def _checks(args: argparse.Namespace) -> int:
    """The registry of checks (litellm_bundle/policy/checks.yaml); with --write-docs, its table in the docs."""
    checks = registry.load()
    if args.write_docs:
        doc = _tree(args).root / VALIDATION_DOC
        text = doc.read_text(encoding="utf-8")
        written = registry.with_table(text, checks)
        if written != text:
            doc.write_text(written, encoding="utf-8")
        print(f"{VALIDATION_DOC}: the table of checks is {'rewritten' if written != text else 'up to date'}")
        return facts.EXIT_OK
    width = max(len(c.id) for c in checks.checks.values())
    for c in checks.checks.values():
        where = f"{c.command}:{c.stage}" if c.command == "validate" else c.command
        waivable = " (waivable)" if c.waivable else ""
        print(f"{c.id:<{width}}  {c.severity:<7}  {where:<16}  {c.title}{waivable}")
    return facts.EXIT_OK


def _versions(args: argparse.Namespace) -> int:
    """Versions in use: `make test` runs the proxy-facing tests once more on each of --others' versions,
    and the migration tests from --previous to the pinned one."""
    tree = _tree(args)
    order = Policies(tree).environments
    used = versions_in_use(load_config_set(tree, order), order)
    pinned = tree.pinned_version()
    if not (args.others or args.previous):
        for version, envs in used.items():
            print(f"{version}: {', '.join(envs)}{' (LITELLM_VERSION)' if version == pinned else ''}")
        return facts.EXIT_OK
    if args.others:
        wanted = [v for v in used if v != pinned]
    else:
        older = [v for v in committed_surfaces(tree) if version_key(v) < version_key(pinned)]
        if not older:
            print(
                f"no committed surface older than {pinned} in {tree.shown(tree.policies_dir / 'litellm')}",
                file=sys.stderr,
            )
            return facts.EXIT_PROBLEMS
        wanted = older[-1:]
    for version in wanted:
        if not args.venv:
            print(version)
            continue
        made = upgrade_venv.ensure(tree, version)
        if isinstance(made, upgrade_venv.Unresolvable):
            print(f"LiteLLM {version}: {made}", file=sys.stderr)
            return facts.EXIT_PROBLEMS
        print(made.path)
    return facts.EXIT_OK


def _litellm_schema(args: argparse.Namespace) -> int:
    """policies/litellm/<LITELLM_VERSION>/ from the installed litellm (or OUT/<installed version>/ with
    --out, for any installed version), or with --check whether it is stale."""
    tree = _tree(args)
    try:
        files = generator.generate(tree, any_version=args.out is not None)
    except RuntimeError as exc:
        print(str(exc), file=sys.stderr)
        return facts.EXIT_USAGE
    changed = generator.stale(tree, files, args.out)
    shown = tree.shown(generator.output_dir(tree, args.out))
    version = generator.installed_version()
    if args.check:
        if changed:
            print(
                f"{shown} is stale for litellm {version}: {', '.join(changed)}; run `make litellm-schema`",
                file=sys.stderr,
            )
            return facts.EXIT_PROBLEMS
        print(f"{shown} is up to date")
        return facts.EXIT_OK
    generator.write(tree, files, args.out)
    print(f"wrote {shown}: {len(files)} files ({', '.join(changed) or 'no change'})")
    return facts.EXIT_OK


def _check_config(args: argparse.Namespace) -> int:
    """The pinned proxy booted once on each rendered environment (docs/litellm-surface.md, "Boot check")."""
    # the boot check needs httpx (the runtime extra), which `pip install .` leaves out
    from litellm_bundle.runtime import boot_check  # noqa: PLC0415

    tree = _tree(args)
    envs = _environments(Policies(tree), args.env)
    with tempfile.TemporaryDirectory(prefix="check-config-") as tmp:
        results = boot_check.check_environments(tree, envs, args.keep or Path(tmp))
        for result in results:
            print(result, file=sys.stderr if result.failures else sys.stdout)
    return facts.EXIT_PROBLEMS if any(r.failures for r in results) else facts.EXIT_OK


def _upgrade(args: argparse.Namespace) -> int:
    """Another LiteLLM version checked against this bundle; the markdown report for the pull request
    (docs/upgrading.md). Exit 1 on a break, a blocked install or a check that could not run."""
    # the upgrade boots proxies and PostgreSQL (httpx, the runtime extra), which `pip install .` leaves out
    from litellm_bundle.upgrade import report as upgrade_report  # noqa: PLC0415
    from litellm_bundle.upgrade import run as upgrade_run  # noqa: PLC0415

    tree = _tree(args)
    skip = [name for value in args.skip for name in value.replace(",", " ").split()]
    try:
        opts = upgrade_run.options(
            tree,
            args.to,
            args.from_version,
            args.report,
            skip,
            write_surface=args.write_surface,
            python=args.python,
            bench_repeats=args.bench_repeats,
            bench_duration=args.bench_duration,
            surface=args.surface,
        )
    except upgrade_run.UpgradeUsageError as exc:
        raise UsageError(str(exc)) from exc
    result = upgrade_run.run(tree, opts, _progress)
    opts.report.parent.mkdir(parents=True, exist_ok=True)
    opts.report.write_text(upgrade_report.markdown(result, opts.command()), encoding="utf-8")
    lines = upgrade_report.short(result)
    print("\n".join(lines), file=sys.stderr if result.failed else sys.stdout)
    print(f"report: {tree.shown(opts.report)}")
    return facts.EXIT_PROBLEMS if result.failed else facts.EXIT_OK


def _cluster(args: argparse.Namespace) -> int:
    """The local Kubernetes control plane (docs/local-kubernetes.md): build its binaries, start it detached,
    stop it."""
    # the local cluster needs httpx (the runtime extra), which `pip install .` leaves out
    from litellm_bundle.cluster import control_plane  # noqa: PLC0415

    tree = _tree(args)
    if args.cluster_action == "build":
        control_plane.build(tree.root, args.versions)
        return facts.EXIT_OK
    state_dir: Path = args.state_dir or tree.run_dir / "cluster"
    tools = tree.tools_dir / "kube"
    if args.cluster_action == "down":
        down = control_plane.down(state_dir, tools)
        if not down.stopped:
            print(f"no local Kubernetes running in {state_dir}")
        else:
            print(f"stopped {', '.join(down.stopped)} in {down.seconds:.1f}s (state kept in {state_dir})")
        return facts.EXIT_OK
    up = control_plane.up(state_dir, args.version, tools, args.timeout)
    state = up.plane.state_dir
    if up.already:
        print(f"local Kubernetes already running in {state} ({', '.join(up.already)})")
    else:
        zones = control_plane.ZONES
        print(
            f"local Kubernetes {args.version} is up in {up.plane.started_in:.1f}s: {up.plane.server}, "
            f"{len(zones)} kwok nodes (zones {', '.join(zones)})"
        )
        print(f"logs: {state / 'logs'}; stop with: python -m litellm_bundle cluster down --state-dir {state}")
    print(f"export KUBECONFIG={up.plane.kubeconfig}")
    return facts.EXIT_OK


def _stack_paths(args: argparse.Namespace) -> stack.StackPaths:
    tree = _tree(args)
    return stack.StackPaths(tree, state=args.state_dir or tree.run_dir, env_file=args.env_file or tree.env_file)


def _up(args: argparse.Namespace) -> int:
    stack.up(_stack_paths(args), _say, native=args.native)
    return facts.EXIT_OK


def _down(args: argparse.Namespace) -> int:
    stopped = stack.down(_stack_paths(args))
    print(f"stopped {', '.join(stopped)}" if stopped else "nothing was running")
    return facts.EXIT_OK


def _logs(args: argparse.Namespace) -> int:
    return stack.logs(_stack_paths(args), follow=not args.no_follow)


def _with_format(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--format",
        choices=report.FORMATS,
        default="text",
        help="text (default), json (one document on stdout), github (workflow annotations) or sarif "
        f"(SARIF 2.1.0 on stdout, for code scanning); {VALIDATION_DOC}",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="litellm-bundle",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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

    p = sub.add_parser("validate", help=f"validate the sources for every environment ({VALIDATION_DOC})")
    with_config(p)
    p.add_argument("--env", action="append", help="only this environment (repeatable)")
    _with_format(p)
    p.add_argument("--strict", action="store_true", help="warnings fail too (CI)")
    p.set_defaults(func=_validate)
    p = sub.add_parser(
        "render",
        help="validate, then write every generated file (rendered/, k8s/, compose/, .env.example, "
        "docs/config-reference.md)",
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
    _with_format(p)
    p.set_defaults(func=_lint_k8s)
    p = sub.add_parser(
        "access",
        help=f"teams and keys of config/access.yaml against a live proxy: plan (exit {facts.EXIT_DRIFT} on drift), "
        "apply, or import (the proxy's users, teams and keys into access.yaml, adopted)",
    )
    with_config(p)
    p.add_argument("action", choices=("plan", "apply", "import"))
    p.add_argument("--url", required=True, help="the proxy (its master key in $LITELLM_MASTER_KEY)")
    p.add_argument(
        "--into",
        type=Path,
        help="import: the access.yaml to add the proxy's users, teams and keys to (default: the config's access.yaml)",
    )
    p.add_argument("--env", default="dev", help="environment whose access to reconcile (default: dev)")
    p.add_argument("--prune", action="store_true", help="delete managed teams and keys no longer declared")
    p.add_argument("--rotate", action="append", default=[], help="give this key alias a new value (repeatable)")
    p.add_argument(
        "--keys-to", help="apply (required): where new key values go: - (stdout), env-file:PATH, k8s-secret:NAME"
    )
    _with_format(p)
    p.set_defaults(func=_access)
    p = sub.add_parser(
        "drift",
        help="a running proxy against the environment's rendered config.yaml: models added or changed in its "
        f"database or UI, settings changed at runtime, callbacks (exit {facts.EXIT_DRIFT} on drift; "
        "docs/operations.md)",
    )
    p.add_argument("--url", required=True, help="the proxy (its master key in the variable the render names)")
    p.add_argument("--env", default="dev", help="environment whose rendered config.yaml to compare (default: dev)")
    _with_format(p)
    p.set_defaults(func=_drift)
    p = sub.add_parser(
        "import", help="turn a LiteLLM config.yaml into bundle sources in a new directory (docs/litellm-surface.md)"
    )
    p.add_argument("config_file", type=Path, metavar="CONFIG.yaml")
    p.add_argument("--into", type=Path, required=True, help="the new config directory (must not exist or be empty)")
    p.add_argument(
        "--code",
        type=Path,
        metavar="DIR",
        help="where the team's modules and files the config names are (looked up before the config's own "
        "directory); they go to config/code/ (docs/team-code.md)",
    )
    p.add_argument(
        "--env", default="dev", help="the environment the config is (default: dev); the others start as copies"
    )
    p.add_argument(
        "--drop-ignored",
        action="store_true",
        help="drop the keys LiteLLM would silently ignore (unknown settings and sections) instead of failing; "
        "each is listed in the import report",
    )
    _with_format(p)
    p.set_defaults(func=_import)
    p = sub.add_parser(
        "scan",
        help=(
            "gitleaks over the history and the files, checkov over k8s/<env>/ (waivers: policies/checkov-waivers.yaml)"
        ),
    )
    p.add_argument("--env", action="append")
    _with_format(p)
    p.set_defaults(func=_scan)
    p = sub.add_parser(
        "checks", help=f"list the checks by id (litellm_bundle/policy/checks.yaml; waivers name them: {VALIDATION_DOC})"
    )
    p.add_argument("--write-docs", action="store_true", help=f"write the table of checks into {VALIDATION_DOC} instead")
    p.set_defaults(func=_checks)
    p = sub.add_parser(
        "versions", help="the LiteLLM version each environment runs (litellm_version, else LITELLM_VERSION)"
    )
    with_config(p)
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--others", action="store_true", help="only the versions in use besides the pinned one, one per line"
    )
    which.add_argument(
        "--previous",
        action="store_true",
        help="the newest committed surface older than the pinned version (the rollback target the migration tests use)",
    )
    p.add_argument(
        "--venv",
        action="store_true",
        help="create or reuse the venv of each version printed (.tools/litellm/<version>) and print its path instead",
    )
    p.set_defaults(func=_versions)
    actions: dict[str, tuple[str, Callable[[argparse.Namespace], int]]] = {
        "up": ("start the local gateway (compose, or native without a Docker engine)", _up),
        "down": ("stop what `up` started", _down),
        "logs": ("show the local stack's logs", _logs),
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
    p = sub.add_parser(
        "check-config",
        help="boot the pinned proxy on every rendered environment (no network, placeholders for secrets): "
        "models, callbacks, guardrails, clean stop",
    )
    with_config(p)
    p.add_argument("--env", action="append", help="only this environment (repeatable)")
    p.add_argument("--keep", type=Path, help="keep the staged configs and logs in DIR")
    p.set_defaults(func=_check_config)
    p = sub.add_parser(
        "upgrade",
        help="install another LiteLLM version beside the pinned one and check the bundle on it: the surface diff "
        "that touches the sources, validation and boot of every environment, the database, the hooks' and the "
        "access reconciler's tests, CPU per request; writes the report (docs/upgrading.md)",
    )
    p.add_argument("--to", required=True, metavar="X.Y.Z", help="the LiteLLM version to upgrade to")
    p.add_argument(
        "--from", dest="from_version", metavar="X.Y.Z", help="the version upgraded from (default: LITELLM_VERSION)"
    )
    p.add_argument("--report", type=Path, help="where the markdown report goes (default: docs/upgrades/X.Y.Z.md)")
    p.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="STEP",
        help="skip a step (repeatable or comma-separated: surface, validate, boot, database, tests, bench); the "
        "report shows it skipped and the verdict is at best incomplete",
    )
    p.add_argument(
        "--write-surface",
        action="store_true",
        help="write the target's surface to policies/litellm/X.Y.Z/ (to commit it) instead of a temporary directory",
    )
    p.add_argument(
        "--surface",
        type=Path,
        metavar="DIR",
        help="the target's surface, already generated (e.g. policies/litellm/X.Y.Z/): with boot, database, tests and "
        "bench skipped, no venv is installed",
    )
    p.add_argument("--python", default=sys.executable, help="the interpreter the target's venv is created with")
    p.add_argument("--bench-repeats", type=int, default=4, help="alternated runs per version in the bench step")
    p.add_argument("--bench-duration", default="10s", help="length of one bench run (k6 duration)")
    p.set_defaults(func=_upgrade)
    p = sub.add_parser(
        "litellm-schema",
        help="regenerate policies/litellm/<LITELLM_VERSION>/ (LiteLLM's config surface) from the installed, "
        "pinned litellm",
    )
    p.add_argument("--check", action="store_true", help="write nothing; fail when the committed schemas are stale")
    p.add_argument(
        "--out",
        type=Path,
        help="write DIR/<installed litellm version>/ instead, for any installed version (another version's venv)",
    )
    p.set_defaults(func=_litellm_schema)
    _cluster_parser(sub.add_parser("cluster", help="a local Kubernetes control plane with kwok nodes"))
    return parser


def _cluster_parser(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="cluster_action", metavar="{build,up,down}", required=True)

    def with_state(p: argparse.ArgumentParser) -> None:
        p.add_argument("--state-dir", type=Path, help="pid files, logs, PKI, etcd data (default: ROOT/.run/cluster)")

    p = actions.add_parser("up", help="start it detached; prints the KUBECONFIG line")
    with_state(p)
    p.add_argument("--version", choices=facts.CONTROL_PLANE_VERSIONS, default=facts.DEFAULT_CONTROL_PLANE_VERSION)
    p.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for readiness")
    p = actions.add_parser("down", help="stop what `up` started (by the pid files)")
    with_state(p)
    p = actions.add_parser("build", help="build the pinned binaries into .tools/kube (tools/kube/build.sh)")
    p.add_argument(
        "versions", nargs="*", metavar="VERSION", help=f"default: all of {', '.join(facts.CONTROL_PLANE_VERSIONS)}"
    )
    parser.set_defaults(func=_cluster)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    name = " ".join(filter(None, (args.command, getattr(args, "cluster_action", None))))
    try:
        return int(args.func(args))
    except (TreeError, UsageError) as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return facts.EXIT_USAGE
    except access.LeaseHeld as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return facts.EXIT_LOCKED
    except (PolicyError, kube.ToolMissing, RuntimeError) as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return facts.EXIT_PROBLEMS
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return facts.EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
