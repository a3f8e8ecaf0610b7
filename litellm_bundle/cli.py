"""Command line: validate, render, diff, docs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import compose, kube, paths, stack
from .diff import default_ref, diff_rendered
from .docs import config_reference
from .output import read_tree, write_text_atomically, write_tree_atomically
from .render import render_all
from .validate import validate


def _validate(args: argparse.Namespace) -> int:
    _, problems = validate(args.root, args.env or None)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"validation failed: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"config valid for {', '.join(args.env or paths.ENVIRONMENTS)}")
    return 0


def _render(args: argparse.Namespace) -> int:
    cs, problems = validate(args.root)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"validation failed: {len(problems)} problem(s); nothing was written", file=sys.stderr)
        return 1
    rendered = render_all(cs, args.root)
    out_dir = args.root / "rendered"
    if args.check:
        stale = []
        for env, files in rendered.items():
            on_disk = read_tree(out_dir / env)
            stale += [f"rendered/{env}/{name}" for name in sorted(set(files) | set(on_disk)) if files.get(name) != on_disk.get(name)]
        for name, text in compose_files(args.root).items():
            target = args.root / "compose" / name
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                stale.append(f"compose/{name}")
        example = args.root / ".env.example"
        if not example.exists() or example.read_text(encoding="utf-8") != compose.env_example(cs):
            stale.append(".env.example")
        if not args.skip_k8s:
            for env in rendered:
                target = args.root / "k8s" / env / "manifests.yaml"
                expected = kube.manifests(env, root=args.root) if (out_dir / env / "values.yaml").exists() else None
                if not target.exists() or target.read_text(encoding="utf-8") != expected:
                    stale.append(f"k8s/{env}/manifests.yaml")
        if stale:
            print("rendered output is stale; run `make render` and commit:\n  " + "\n  ".join(stale), file=sys.stderr)
            return 1
        print("rendered output is up to date")
        return 0
    for env, files in rendered.items():
        write_tree_atomically(out_dir / env, files)
    write_tree_atomically(args.root / "compose", compose_files(args.root))
    write_text_atomically(args.root / ".env.example", compose.env_example(cs))
    print(f"rendered {', '.join(rendered)} into rendered/, compose/ and .env.example")
    if not args.skip_k8s:
        try:
            k8s = {env: kube.manifests(env, root=args.root) for env in rendered}
        except RuntimeError as exc:
            print(f"render: {exc}; k8s/ was not written", file=sys.stderr)
            return 1
        for env, text in k8s.items():
            write_tree_atomically(args.root / "k8s" / env, {"manifests.yaml": text})
        print(f"rendered {', '.join(k8s)} into k8s/ (helm template, Kubernetes {kube.DEFAULT_KUBE_VERSION})")
    return 0


def compose_files(root: Path) -> dict[str, str]:
    return {"compose.yaml": compose.compose_file(paths.pinned_litellm_version(root)), "prometheus.yml": compose.PROMETHEUS_CONFIG}


def _lint_k8s(args: argparse.Namespace) -> int:
    try:
        failures = kube.lint(args.env or list(paths.ENVIRONMENTS), root=args.root)
    except RuntimeError as exc:
        print(f"lint-k8s: {exc}", file=sys.stderr)
        return 1
    for failure in failures:
        print(failure, file=sys.stderr)
    if failures:
        print(f"lint-k8s failed: {len(failures)} problem(s)", file=sys.stderr)
        return 1
    print("lint-k8s: every environment and scenario passed helm lint and kubeconform -strict on every version")
    return 0


def _diff(args: argparse.Namespace) -> int:
    try:
        print(diff_rendered(args.root, args.ref or default_ref(args.root)))
    except RuntimeError as exc:
        print(f"diff: {exc}", file=sys.stderr)
        return 1
    return 0


def _docs(args: argparse.Namespace) -> int:
    text = config_reference(args.root)
    target = args.root / "docs" / "config-reference.md"
    if args.check:
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            print("docs/config-reference.md is stale; run `make docs`", file=sys.stderr)
            return 1
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(f"wrote {paths.rel(target, args.root)}")
    return 0


def _stack_paths(args: argparse.Namespace) -> stack.StackPaths:
    return stack.StackPaths(state=args.state_dir or args.root / ".run", env_file=args.env_file or args.root / ".env")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="litellm-bundle", description=__doc__)
    parser.add_argument("--root", type=Path, default=paths.ROOT, help="repository root (default: this checkout)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="validate config/ for every environment")
    p.add_argument("--env", action="append", choices=paths.ENVIRONMENTS, help="only this environment (repeatable)")
    p.set_defaults(func=_validate)
    p = sub.add_parser("render", help="validate, then write rendered/<env>/")
    p.add_argument("--check", action="store_true", help="fail when the committed rendered files are stale")
    p.add_argument("--skip-k8s", action="store_true", help="only rendered/ (no helm template into k8s/)")
    p.set_defaults(func=_render)
    p = sub.add_parser("lint-k8s", help="helm lint, helm template and kubeconform for every environment and Kubernetes version")
    p.add_argument("--env", action="append", choices=paths.ENVIRONMENTS)
    p.set_defaults(func=_lint_k8s)
    p = sub.add_parser("diff", help="rendered changes against a git ref")
    p.add_argument("--ref", help="git ref to compare with (default: merge base with main)")
    p.set_defaults(func=_diff)
    p = sub.add_parser("docs", help="write docs/config-reference.md from the schemas")
    p.add_argument("--check", action="store_true")
    p.set_defaults(func=_docs)
    for name, helptext in (("up", "start the local gateway (compose, or native without a Docker engine)"), ("down", "stop what `up` started"), ("logs", "show the local stack's logs")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--state-dir", type=Path, help="pid files, logs, staged config (default: .run)")
        p.add_argument("--env-file", type=Path, help="environment file (default: .env, created from .env.example)")
        if name == "up":
            p.add_argument("--native", action="store_true", help="native stack even when a Docker engine is available")
            p.set_defaults(func=lambda a: stack.up(_stack_paths(a), native=a.native))
        elif name == "down":
            p.set_defaults(func=lambda a: stack.down(_stack_paths(a)))
        else:
            p.add_argument("--no-follow", action="store_true")
            p.set_defaults(func=lambda a: stack.logs(_stack_paths(a), follow=not a.no_follow))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
