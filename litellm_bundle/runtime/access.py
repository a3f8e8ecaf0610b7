"""The access reconciler of a bundle tree, loaded in this process: the gateway_access package the
chart's access Job runs from the official image (`make access-*`, the database tests), and `access
plan|apply` through it, as a result the CLI reports."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

from litellm_bundle.core.facts import ACCESS_PACKAGE
from litellm_bundle.core.problems import Location, Problem, Result
from litellm_bundle.core.tree import BundleTree


class LeaseHeld(RuntimeError):
    """Another run holds the environment's access lease (the CLI exits EXIT_LOCKED)."""


def reconciler(tree: BundleTree) -> ModuleType:
    """The gateway_access package of the tree (the same code the in-cluster Job runs)."""
    hooks = str(tree.root / "hooks")
    if hooks not in sys.path:
        sys.path.insert(0, hooks)
    return importlib.import_module(f"{ACCESS_PACKAGE}.__main__")


def reconcile(
    tree: BundleTree,
    env: str,
    action: str,
    url: str,
    desired: Path,
    environ: Mapping[str, str],
    prune: bool = False,
    rotate: tuple[str, ...] = (),
    keys_to: str = "-",
    wait: float = 0,
) -> Result:
    """`plan` (the changes that would make the proxy at `url` match the environment's rendered access.json
    `desired`: notes, drift) or `apply` (them, made). What the reconciler refuses to do is a problem at
    config/access.yaml; a failure to run (no master key, the proxy unreachable) raises RuntimeError, another
    run holding the lease LeaseHeld. `wait`: seconds to wait for the proxy to be ready first."""
    main = reconciler(tree)
    master_key = environ.get(main.MASTER_KEY_ENV)
    if not master_key:
        raise RuntimeError(f"${main.MASTER_KEY_ENV} is not set (the proxy's master key)")
    try:
        sink = main.sinks.sink(keys_to)
        plan, api = main.prepare(url, desired, master_key, environ, prune=prune, rotate=rotate, wait=wait)
        notes = plan.report().splitlines()
        if action == "plan":
            return Result(notes=notes, drift=plan.drift)
        done = main.planning.apply(plan, api, environ, sink)
    except main.planning.PlanError as exc:
        where = Location(tree.shown(tree.config_dir / "access.yaml"), 1, 1)
        return Result([Problem(where, str(exc), env, check="access-refused")])
    except main.LeaseHeld as exc:
        raise LeaseHeld(str(exc)) from exc
    except main.FAILURES as exc:
        raise RuntimeError(str(exc)) from exc
    return Result(notes=[*notes, f"applied: {len(done)} change(s)"])
