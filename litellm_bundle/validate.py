"""Validation pipeline: YAML -> JSON Schema -> literal-secret scan -> cross-references -> environment policies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import schemas, secret_scan, semantics
from .configset import ConfigSet, effective_config, load_config_set, schema_name
from .policies import Policies
from .problems import Problem


def validate(policies: Policies, envs: list[str] | None = None) -> tuple[ConfigSet, list[Problem]]:
    """Every problem in the tree's sources for the given environments (default: all), in one pass."""
    tree = policies.tree
    cs = load_config_set(tree, policies.environments)
    problems = list(cs.problems)
    valid: set[str] = set()
    for key, doc in cs.docs.items():
        validator = policies.validator(policies.source_schema(schema_name(key)))
        found = schemas.check(validator, cs.data(key) if doc.data is not None else {}, doc.locate)
        if not isinstance(doc.data, dict):
            found = found or [Problem(doc.locate(()), "the file must hold a mapping at the top level")]
        problems += found
        problems += secret_scan.scan(doc, policies.compiled_detectors)
        if not found:
            valid.add(key)

    schema_ok = len(valid) == len(cs.docs) and not cs.problems
    if schema_ok:
        cs.with_schema_defaults(policies)
    problems += _guarded(schema_ok, semantics.check_global, cs, policies)
    pinned = tree.pinned_version()
    for env in envs or cs.environments:
        if f"env:{env}" not in cs.docs:
            continue
        eff = effective_config(cs, env)
        problems += _guarded(schema_ok, semantics.check_environment, cs, eff, pinned, policies)
        for policy_file in policies.environment_policies(env):
            problems += _guarded(schema_ok, schemas.check, policies.validator(policy_file), eff.data, eff.locate, env)
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
