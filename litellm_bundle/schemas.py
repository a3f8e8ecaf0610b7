"""JSON Schema validation (draft 2020-12) with messages that say what is wrong and what is allowed."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from .problems import Location, Problem
from .yamlio import PathKey

Locator = Callable[[PathKey], Location]


def dotted(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _custom_message(validator: Draft202012Validator, error: ValidationError) -> str | None:
    """The nearest `x-message` on the schema path of the error (policies and shared defs carry them).

    The schema path does not name `$ref` hops, so a step that is missing from a node that has a
    `$ref` is looked up in the referenced schema."""
    found = None
    node: Any = validator.schema
    resolver = validator._resolver  # noqa: SLF001 - public API has no way to follow a $ref by hand
    for part in list(error.absolute_schema_path) + [None]:
        while isinstance(node, dict):
            if "x-message" in node:
                found = node["x-message"]
            if part is None or part in node or "$ref" not in node:
                break
            resolved = resolver.lookup(node["$ref"])
            node, resolver = resolved.contents, resolved.resolver
        if part is None:
            break
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
    return found


def _describe(value: Any) -> str:
    kind = {bool: "boolean", int: "integer", float: "number", str: "string", list: "list", dict: "mapping", type(None): "null"}
    return kind.get(type(value), type(value).__name__)


def _message(validator: Draft202012Validator, error: ValidationError) -> tuple[PathKey, str]:
    path: PathKey = tuple(error.absolute_path)
    where = dotted(path)
    custom = _custom_message(validator, error)
    v = error.validator
    if v == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extras = sorted(set(error.instance) - set(allowed)) if isinstance(error.instance, dict) else []
        key = extras[0] if extras else "?"
        hint = difflib.get_close_matches(key, allowed, n=1)
        guess = f"; did you mean '{hint[0]}'?" if hint else ""
        return path + (key,), f"unknown key '{key}' in {where}{guess} (allowed: {', '.join(allowed)})"
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        text = f"missing required key '{missing}' in {where}"
        return path, f"{text}: {custom}" if custom else text
    if custom:
        return path, f"{where}: {custom} (got {json.dumps(error.instance)})"
    if v == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return path, f"{where}: expected {expected}, got {_describe(error.instance)} {json.dumps(error.instance)}"
    if v in ("enum", "const"):
        allowed = error.validator_value if v == "enum" else [error.validator_value]
        return path, f"{where}: {json.dumps(error.instance)} is not allowed (allowed: {', '.join(json.dumps(a) for a in allowed)})"
    if v == "pattern":
        return path, f"{where}: {json.dumps(error.instance)} does not match the required pattern {error.validator_value}"
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems", "minLength", "uniqueItems", "minProperties", "maxProperties"):
        return path, f"{where}: {error.message}"
    if v == "propertyNames":
        bad = error.instance if isinstance(error.instance, str) else "?"
        return path, f"{where}: name {json.dumps(bad)} is not allowed ({error.message})"
    return path, f"{where}: {error.message}"


def _error_key(error: ValidationError) -> tuple[str, ...]:
    return tuple(str(p) for p in error.absolute_path)


def check(validator: Draft202012Validator, instance: Any, locate: Locator, env: str | None = None) -> list[Problem]:
    """Validate `instance` with `validator` (Policies.validator); every error becomes a located problem."""
    problems = []
    for error in sorted(validator.iter_errors(instance), key=_error_key):
        if error.validator in ("if", "then", "else", "allOf") and error.context:
            continue
        # propertyNames errors point into the key itself: locate at the offending key
        path, message = _message(validator, error)
        if error.validator == "propertyNames" and isinstance(error.instance, str):
            path = tuple(error.absolute_path) + (error.instance,)
        problems.append(Problem(locate(path), message, env))
    return problems
