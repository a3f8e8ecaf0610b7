"""Validation pipeline: YAML -> JSON Schema -> literal-secret scan -> cross-references -> environment policies."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import paths, schemas, secret_scan, semantics
from .configset import ConfigSet, effective_config, load_config_set
from .problems import Problem


def validate(root: Path = paths.ROOT, envs: list[str] | None = None) -> tuple[ConfigSet, list[Problem]]:
    """Every problem in config/ for the given environments (default: all), in one pass."""
    cs = load_config_set(root)
    problems = list(cs.problems)
    schemas_dir = root / "policies" / "schemas"
    valid: set[str] = set()
    for key, doc in cs.docs.items():
        schema_file = schemas_dir / (paths.ENVIRONMENT_SCHEMA if key.startswith("env:") else paths.CONFIG_FILES[key])
        found = schemas.check(schema_file, cs.data(key) if doc.data is not None else {}, doc.locate)
        if not isinstance(doc.data, dict):
            found = found or [Problem(doc.locate(()), "the file must hold a mapping at the top level")]
        problems += found
        problems += secret_scan.scan(doc)
        if not found:
            valid.add(key)

    schema_ok = len(valid) == len(cs.docs) and not cs.problems
    problems += _guarded(schema_ok, semantics.check_global, cs)
    pinned = paths.pinned_litellm_version(root)
    for env in envs or cs.environments:
        if f"env:{env}" not in cs.docs:
            continue
        eff = effective_config(cs, env)
        problems += _guarded(schema_ok, semantics.check_environment, cs, eff, pinned)
        for policy in ("base", env):
            policy_file = root / "policies" / "environments" / f"{policy}.policy.json"
            if policy_file.exists():
                problems += _guarded(schema_ok, schemas.check, policy_file, eff.data, eff.locate, env)
    return cs, sorted(set(problems))


def _guarded(schema_ok: bool, check: Callable[..., list[Problem]], *args: Any) -> list[Problem]:
    """Run a later-stage check. When a schema already failed, data may have any shape: a check
    that trips over it is skipped (the schema problem is reported); on schema-valid data it is a bug."""
    if schema_ok:
        return check(*args)
    try:
        return check(*args)
    except (AttributeError, KeyError, TypeError, ValueError, IndexError):
        return []
