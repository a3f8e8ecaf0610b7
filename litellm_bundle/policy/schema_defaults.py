"""Fill the `default`s a JSON Schema declares into an instance that is valid against it.

Defaults live in the schemas only; the renderer applies them instead of repeating them in code.
Follows `$ref` (through the tree's registry), `allOf`, `if`/`then`/`else`, `properties`,
`additionalProperties` and `items`. `if` subschemas are evaluated on their own (they hold `const`s
and `required`s here, never a `$ref`)."""

from __future__ import annotations

import copy
from typing import Any, TypeVar, cast

from jsonschema import Draft202012Validator
from referencing import Registry

Resolver = Any  # referencing's Resolver (not exported by the package)

_MISSING = object()
T = TypeVar("T")


def _default(node: Any, resolver: Resolver) -> Any:
    while isinstance(node, dict):
        if "default" in node:
            return node["default"]
        if "$ref" not in node:
            return _MISSING
        resolved = resolver.lookup(node["$ref"])
        node, resolver = resolved.contents, resolved.resolver
    return _MISSING


def _apply(node: Any, instance: Any, resolver: Resolver) -> Any:
    if not isinstance(node, dict):
        return instance
    if "$ref" in node:
        resolved = resolver.lookup(node["$ref"])
        instance = _apply(resolved.contents, instance, resolved.resolver)
    for sub in node.get("allOf", []):
        instance = _apply(sub, instance, resolver)
    if "if" in node:
        branch = node.get("then") if Draft202012Validator(node["if"]).is_valid(instance) else node.get("else")
        instance = _apply(branch, instance, resolver)
    if isinstance(instance, dict):
        instance = dict(instance)
        properties = node.get("properties") or {}
        for key, sub in properties.items():
            if key not in instance:
                value = _default(sub, resolver)
                if value is not _MISSING:
                    instance[key] = copy.deepcopy(value)
            if key in instance:
                instance[key] = _apply(sub, instance[key], resolver)
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            for key in instance:
                if key not in properties:
                    instance[key] = _apply(extra, instance[key], resolver)
    elif isinstance(instance, list) and isinstance(node.get("items"), dict):
        instance = [_apply(node["items"], item, resolver) for item in instance]
    return instance


def with_defaults(schema: dict[str, Any], instance: T, registry: Registry) -> T:
    """A copy of `instance` with every default of `schema` filled in where the key is missing."""
    return cast(T, _apply(schema, instance, registry.resolver(base_uri=schema.get("$id", ""))))
