"""JSON Schema validation (draft 2020-12) with messages that say what is wrong and what is allowed.

Schema data drives the wording: `x-message` (a sentence, or keyword -> sentence, with `{name}`
placeholders filled from the run's context, e.g. `{detectors}`), `title` (how an alternative of a
oneOf is named), `description` (what a pattern means) and the `if` of an `if`/`then` (when a key is
required, and which key a policy rule is about). The nearest `x-check` names the check of a problem
(litellm_bundle/policy/checks.yaml; e.g. a policy rule with an id of its own), else the caller's `check`."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from litellm_bundle.core.problems import Location, PathKey, Problem, Ref, Where

Resolver = Any  # referencing's Resolver (not exported by the package)
TYPE_NAMES = {
    "object": "mapping",
    "array": "list",
    "integer": "integer",
    "number": "number",
    "string": "string",
    "boolean": "boolean",
    "null": "null",
}
_KEYWORD_LIMITS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "multipleOf")
_YAML11_BOOLS = {"yes", "no", "on", "off", "y", "n"}


@dataclass
class _PlainLocator:
    """A bare `path -> Location` function as a Where (about nothing in particular)."""

    fn: Callable[[PathKey], Location]

    def locate(self, path: PathKey) -> Location:
        return self.fn(path)

    def subject(self, path: PathKey) -> Ref | None:
        return None

    def because(self, path: PathKey) -> tuple[Ref, ...]:
        return ()


def dotted(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def show(value: Any, limit: int = 60) -> str:
    """A value as a message shows it: scalars as JSON, containers in brief, never a whole object."""
    if isinstance(value, (str, bool, int, float)) or value is None:
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= limit else text[: limit - 4] + '..."'
    if isinstance(value, list):
        if all(isinstance(v, (str, bool, int, float)) or v is None for v in value):
            text = json.dumps(value, ensure_ascii=False)
            if len(text) <= limit:
                return text
        names = [str(v["name"]) for v in value if isinstance(v, dict) and isinstance(v.get("name"), str)]
        if names and len(names) == len(value):
            return "[" + ", ".join(names) + "]"
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, dict):
        keys = ", ".join(str(k) for k in list(value)[:6]) + (", ..." if len(value) > 6 else "")
        return f"a mapping ({keys})" if value else "an empty mapping"
    return type(value).__name__


def _kind(value: Any) -> str:
    kinds = {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        list: "list",
        dict: "mapping",
        type(None): "null",
    }
    return kinds.get(type(value), type(value).__name__)


@dataclass
class _Step:
    via: str | int | None  # the schema path part that led here (None: the root, "$ref": a reference)
    node: Any
    resolver: Resolver
    ipath: PathKey  # the instance path this schema node applies to


def _value(error: ValidationError) -> Any:
    """The failing keyword's value (jsonschema types it as possibly unset; a reported error has it)."""
    return error.validator_value


def _schema(error: ValidationError) -> dict[str, Any]:
    """The schema holding the failing keyword (an object schema for the keywords it is read for)."""
    return dict(error.schema) if isinstance(error.schema, Mapping) else {}


def _deref(node: Any, resolver: Resolver) -> tuple[Any, Resolver]:
    while isinstance(node, dict) and "$ref" in node:
        resolved = resolver.lookup(node["$ref"])
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        node, resolver = (
            ({**resolved.contents, **siblings} if isinstance(resolved.contents, dict) else resolved.contents),
            resolved.resolver,
        )
    return node, resolver


def _walk(validator: Draft202012Validator, error: ValidationError) -> list[_Step]:
    """The schema nodes from the root to the one holding the failing keyword, `$ref`s followed
    (the schema path does not name them), each with the instance path it applies to. A node with both its
    own keyword and a `$ref` beside it is ambiguous (the path names the keyword, not which of the two held
    it): the node's own comes first, the `$ref`'s where the own branch does not end at the failing keyword."""
    steps, forks = _walk_once(validator, error, None)
    for fork in reversed(forks):
        if _holds_keyword(steps, error):
            break
        steps = _walk_once(validator, error, fork)[0]
    return steps if _holds_keyword(steps, error) else _walk_once(validator, error, None)[0]


def _holds_keyword(steps: list[_Step], error: ValidationError) -> bool:
    parts = list(error.absolute_schema_path)
    return not parts or (isinstance(steps[-1].node, dict) and parts[-1] in steps[-1].node)


def _walk_once(
    validator: Draft202012Validator, error: ValidationError, ref_at: int | None
) -> tuple[list[_Step], list[int]]:
    """One walk of `_walk`: at part index `ref_at` the sibling `$ref` is taken; also the part indexes where
    a node had both (the forks)."""
    resolver = validator._resolver  # type: ignore[attr-defined]  # jsonschema keeps its referencing resolver private
    node: Any = validator.schema
    forks: list[int] = []
    instance = list(error.absolute_path)
    ipath: list[str | int] = []
    parts = list(error.absolute_schema_path)
    steps = [_Step(None, node, resolver, ())]
    index = 0

    def follow(wanted: Any) -> None:
        nonlocal node, resolver
        while isinstance(node, dict) and "$ref" in node and wanted not in node:
            resolved = resolver.lookup(node["$ref"])
            node, resolver = resolved.contents, resolved.resolver
            steps.append(_Step("$ref", node, resolver, tuple(ipath)))

    def via_ref() -> bool:
        """The part is not here but in the schema this node's `$ref` (next to its own keywords) names."""
        nonlocal node, resolver
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
            return False
        resolved = resolver.lookup(node["$ref"])
        node, resolver = resolved.contents, resolved.resolver
        steps.append(_Step("$ref", node, resolver, tuple(ipath)))
        return True

    while index < len(parts) - 1:
        part = parts[index]
        follow(part)
        if isinstance(node, dict) and isinstance(node.get("$ref"), str) and part in node:
            forks.append(index)
            if index == ref_at and via_ref():
                ref_at = None  # once: the referenced schema may fork again (its own walk, its own fork)
                continue
        if not isinstance(node, (dict, list)):
            break
        container: Any = node  # a list indexed by a string part raises TypeError, as wanted
        try:
            child = container[part]
        except (KeyError, IndexError, TypeError):
            if via_ref():
                continue
            break
        if (
            part in ("properties", "patternProperties", "prefixItems", "dependentSchemas")
            and isinstance(node, dict)
            and index + 1 < len(parts) - 1
        ):
            try:
                child = child[parts[index + 1]]
            except (KeyError, IndexError, TypeError):
                if via_ref():
                    continue
                break
            index += 2
            if part != "dependentSchemas" and len(ipath) < len(instance):
                ipath.append(instance[len(ipath)])
        else:
            index += 1
            if (
                part in ("items", "additionalProperties", "contains", "unevaluatedItems", "unevaluatedProperties")
                and isinstance(node, dict)
                and len(ipath) < len(instance)
            ):
                ipath.append(instance[len(ipath)])
        node = child
        steps.append(_Step(part, node, resolver, tuple(ipath)))
    if parts:
        follow(parts[-1])
    return steps, forks


def _custom_message(steps: list[_Step], keyword: str, context: Mapping[str, str]) -> str | None:
    """The nearest `x-message` on the schema path: a sentence, or keyword -> sentence ("*": any)."""
    for step in reversed(steps):
        message = step.node.get("x-message") if isinstance(step.node, dict) else None
        if isinstance(message, dict):
            message = message.get(keyword, message.get("*"))
        if isinstance(message, str):
            for name, value in context.items():
                message = message.replace("{" + name + "}", value)
            return message
    return None


def _check_id(steps: list[_Step], default: str) -> str:
    """The nearest `x-check` on the schema path (a rule or a whole policy file with an id of its own)."""
    for step in reversed(steps):
        named = step.node.get("x-check") if isinstance(step.node, dict) else None
        if isinstance(named, str):
            return named
    return default


def _condition(if_schema: Any, resolver: Resolver) -> tuple[PathKey, str] | None:
    """What an `if` tests, as (path relative to the instance, words): the key a rule is about."""
    path: list[str | int] = []
    node, resolver = _deref(if_schema, resolver)
    while isinstance(node, dict):
        props = node.get("properties")
        required = node.get("required") or []
        if isinstance(props, dict) and len(props) == 1:
            key = next(iter(props))
            path.append(key)
            node, resolver = _deref(props[key], resolver)
            continue
        if len(required) == 1:
            return tuple(path) + (required[0],), f"{required[0]} is set"
        break
    if not path or not isinstance(node, dict):
        return None
    name = str(path[-1])
    if "const" in node:
        return tuple(path), f"{name} is {json.dumps(node['const'])}"
    if "enum" in node:
        return tuple(path), f"{name} is one of {', '.join(json.dumps(v) for v in node['enum'])}"
    for keyword, op in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="), ("exclusiveMaximum", "<")):
        if keyword in node:
            return tuple(path), f"{name} {op} {node[keyword]}"
    return tuple(path), f"{name} is set"


def _branch(steps: list[_Step]) -> tuple[str, PathKey, PathKey, str] | None:
    """For an error inside the nearest `then`/`else`: (branch, instance path of the rule, path the
    `if` tests relative to it, words)."""
    for position in range(len(steps) - 1, 0, -1):
        step = steps[position]
        parent = steps[position - 1]
        if step.via in ("then", "else") and isinstance(parent.node, dict) and "if" in parent.node:
            found = _condition(parent.node["if"], parent.resolver)
            if found is None:
                return None
            subpath, words = found
            return str(step.via), parent.ipath, subpath, words
    return None


def describe(node: Any, resolver: Resolver) -> str:
    """A schema in words, for listing what is allowed (`title` first, then its constraints)."""
    if isinstance(node, dict) and "title" in node:
        return str(node["title"])
    node, resolver = _deref(node, resolver)
    if not isinstance(node, dict):
        return "anything" if node is True else "nothing"
    if "title" in node:
        return str(node["title"])
    if "enum" in node:
        return "one of " + ", ".join(json.dumps(v) for v in node["enum"])
    if "const" in node:
        return json.dumps(node["const"])
    for key in ("oneOf", "anyOf"):
        if key in node:
            return " or ".join(describe(sub, resolver) for sub in node[key])
    kind = node.get("type")
    if isinstance(kind, list):
        return " or ".join(describe({**node, "type": k}, resolver) for k in kind)
    if kind in ("integer", "number"):
        low = node.get("minimum", node.get("exclusiveMinimum"))
        high = node.get("maximum", node.get("exclusiveMaximum"))
        noun = "an integer" if kind == "integer" else "a number"
        if low is not None and high is not None:
            return f"{noun} {low}–{high}"
        if low is not None:
            return f"{noun} {'>' if 'exclusiveMinimum' in node else '>='} {low}"
        if high is not None:
            return f"{noun} {'<' if 'exclusiveMaximum' in node else '<='} {high}"
        return noun
    if kind == "string":
        if "pattern" in node:
            return f"a string matching {node['pattern']}"
        return "a non-empty string" if node.get("minLength") else "a string"
    if kind == "boolean":
        return "true or false"
    return {"array": "a list", "object": "a mapping", "null": "null"}.get(str(kind), "a value")


def _type_hint(expected: list[str], value: Any) -> str:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if "boolean" in expected and lowered in _YAML11_BOOLS:
            return " (write true or false; YAML reads yes/no/on/off as text)"
        if "boolean" in expected and lowered in ("true", "false"):
            return " (a quoted boolean is text: remove the quotes)"
        if {"integer", "number"} & set(expected):
            try:
                float(value)
                return " (a quoted number is text: remove the quotes)"
            except ValueError:
                pass
    if "string" in expected and isinstance(value, (bool, int, float)):
        return " (YAML reads it as a " + _kind(value) + "; quote it to mean text)"
    return ""


def _messages(
    validator: Draft202012Validator, error: ValidationError, context: Mapping[str, str], steps: list[_Step]
) -> list[tuple[PathKey, str]]:
    """(where the problem is, what it says) for one schema error; several for several unknown keys."""
    path: PathKey = tuple(error.absolute_path)
    resolver = steps[-1].resolver
    v = str(error.validator)
    custom = _custom_message(steps, v, context)
    branch = _branch(steps)
    instance = error.instance

    if "propertyNames" in error.absolute_schema_path and isinstance(instance, str):
        # the key itself is wrong: point at the key, say what a key may be
        where = dotted(path)
        key_path = path + (instance,)
        allowed = custom or describe(steps[-1].node, resolver)
        description = steps[-1].node.get("description") if isinstance(steps[-1].node, dict) else None
        if v == "enum":
            hint = difflib.get_close_matches(instance, [str(a) for a in _value(error)], n=1)
            guess = f"; did you mean {json.dumps(hint[0])}?" if hint else ""
            return [
                (
                    key_path,
                    f"{where}: key {json.dumps(instance)} is not allowed (allowed: "
                    f"{', '.join(json.dumps(a) for a in _value(error))}){guess}",
                )
            ]
        detail = f" ({description.rstrip('.')})" if description and not custom else ""
        return [(key_path, f"{where}: key {json.dumps(instance)} is not allowed: must be {allowed}{detail}")]

    where = dotted(path)
    if v == "additionalProperties" and isinstance(instance, dict):
        known_keys = sorted(k for k, s in (_schema(error).get("properties") or {}).items() if s is not False)
        extras = [k for k in instance if k not in known_keys]
        out = []
        for key in extras:
            hint = difflib.get_close_matches(key, known_keys, n=1)
            guess = f"; did you mean '{hint[0]}'?" if hint else ""
            out.append(
                (
                    path + (key,),
                    f"unknown key '{key}' in {where}{guess} (allowed: {_listed(known_keys, _schema(error), 'keys')})",
                )
            )
        return out
    if v == "unevaluatedProperties" and isinstance(instance, dict):
        known_keys = _evaluated_keys(steps[-1].node, resolver)
        out = []
        for key in [k for k in instance if k not in known_keys]:
            hint = difflib.get_close_matches(key, known_keys, n=1)
            guess = f"; did you mean '{hint[0]}'?" if hint else ""
            out.append(
                (
                    path + (key,),
                    f"unknown key '{key}' in {where}{guess} (allowed: {_listed(known_keys, steps[-1].node, 'keys')})",
                )
            )
        return out
    if v in ("anyOf", "oneOf") and branch is not None and branch[0] == "then" and custom:
        # a rule "if X then one of Y or Z" is about X, like a required key in a then
        _, rule_path, subpath, _words = branch
        subject = rule_path + subpath
        value = _value_at(instance, subpath, rule_path, path)
        got = f" (got {show(value)})" if value is not None and not isinstance(value, (dict, list)) else ""
        return [(subject, f"{dotted(subject)}: {custom}{got}")]
    if v == "required":
        key = _required_key(error)
        if branch is not None and branch[0] == "then" and custom:
            # a policy rule (if X then Y is required) is about X: point there
            _, rule_path, subpath, _words = branch
            subject = rule_path + subpath
            value = _value_at(instance, subpath, rule_path, path)
            got = f" (got {show(value)})" if value is not None and not isinstance(value, (dict, list)) else ""
            return [(subject, f"{dotted(subject)}: {custom}{got}")]
        text = f"missing required key '{key}' in {where}"
        if branch is not None and branch[0] == "then":
            text += f" (required when {branch[3]})"
        return [(path, f"{text}: {custom}" if custom else text)]
    if v == "not" and isinstance(_value(error), dict) and list(_value(error)) == ["required"]:
        keys = [k for k in _value(error)["required"] if isinstance(instance, dict) and k in instance] or list(
            _value(error)["required"]
        )
        when = f" only when {branch[3]}" if branch is not None and branch[0] == "else" else " here"
        return [(path + (keys[0],), f"{where}: key '{keys[0]}' is allowed{when}" + (f": {custom}" if custom else ""))]
    if custom:
        got = f" (got {show(instance)})" if not isinstance(instance, dict) else ""
        return [(path, f"{where}: {custom}{got}")]
    if v == "type":
        expected = _value(error) if isinstance(_value(error), list) else [_value(error)]
        names = " or ".join(TYPE_NAMES.get(str(t), str(t)) for t in expected)
        return [
            (
                path,
                f"{where}: expected {names}, got {_kind(instance)} "
                f"{show(instance)}{_type_hint([str(t) for t in expected], instance)}",
            )
        ]
    if v in ("enum", "const"):
        values = list(_value(error)) if v == "enum" else [_value(error)]
        hint = (
            difflib.get_close_matches(instance, [a for a in values if isinstance(a, str)], n=1)
            if isinstance(instance, str)
            else []
        )
        guess = f"; did you mean {json.dumps(hint[0])}?" if hint else ""
        return [
            (
                path,
                f"{where}: {show(instance)} is not allowed (allowed: "
                f"{_listed([json.dumps(a) for a in values], steps[-1].node, 'values')}){guess}",
            )
        ]
    if v == "pattern":
        description = steps[-1].node.get("description") if isinstance(steps[-1].node, dict) else None
        meaning = f" ({description.rstrip('.')})" if description else ""
        return [(path, f"{where}: {show(instance)} does not match the required pattern {_value(error)}{meaning}")]
    if v in ("oneOf", "anyOf"):
        alternatives = [describe(sub, resolver) for sub in _value(error)]
        if not error.context:  # valid under more than one alternative
            return [(path, f"{where}: {show(instance)} matches more than one of: {'; '.join(alternatives)}")]
        return [(path, f"{where}: {show(instance)} is not allowed (allowed: {' or '.join(alternatives)})")]
    if v == "uniqueItems" and isinstance(instance, list):
        seen: list[Any] = []
        repeated = next((item for item in instance if item in seen or seen.append(item)), None)  # type: ignore[func-returns-value]
        return [(path, f"{where}: {show(repeated)} is listed more than once; each entry may appear once")]
    if v in ("minItems", "maxItems"):
        noun = "entry" if _value(error) == 1 else "entries"
        bound = "at least" if v == "minItems" else "at most"
        return [
            (
                path,
                f"{where}: needs {bound} {_value(error)} {noun} (got "
                f"{len(instance) if isinstance(instance, list) else '?'})",
            )
        ]
    if v in ("minProperties", "maxProperties") and isinstance(instance, dict):
        keys = sorted(_schema(error).get("properties") or {})
        choices = f" of {', '.join(keys)}" if keys else ""
        if v == "maxProperties" and _value(error) == 1:
            return [(path, f"{where}: give exactly one{choices} (got {', '.join(instance)})")]
        bound = "at least" if v == "minProperties" else "at most"
        return [
            (
                path,
                f"{where}: needs {bound} {_value(error)} key{'s' if _value(error) != 1 else ''}{choices}",
            )
        ]
    if v in _KEYWORD_LIMITS:
        return [(path, f"{where}: {show(instance)} {_limit_words(v, _value(error))}")]
    return [(path, f"{where}: {error.message}")]


LISTED = 25  # longer lists of keys or values are named by the schema's `x-allowed` instead


def _listed(items: list[str], node: Any, noun: str) -> str:
    """What is allowed: the items, or for a long list (LiteLLM's sections) the schema's `x-allowed` words."""
    if len(items) <= LISTED:
        return ", ".join(items)
    words = node.get("x-allowed") if isinstance(node, dict) else None
    return f"{words or f'one of {len(items)} {noun}'}; {len(items)} {noun}"


def _evaluated_keys(node: Any, resolver: Resolver) -> list[str]:
    """The keys an object schema names itself and through its `$ref` and `allOf` (what
    `unevaluatedProperties: false` leaves allowed)."""
    keys: set[str] = set()
    pending = [(node, resolver)]
    while pending:
        current, current_resolver = pending.pop()
        if not isinstance(current, dict):
            continue
        keys |= {k for k, s in (current.get("properties") or {}).items() if s is not False}
        if isinstance(current.get("$ref"), str):
            resolved = current_resolver.lookup(current["$ref"])
            pending.append((resolved.contents, resolved.resolver))
        pending += [(sub, current_resolver) for sub in current.get("allOf", [])]
    return sorted(keys)


def _required_key(error: ValidationError) -> str:
    """The one missing key a `required` error is about (jsonschema yields one error per key)."""
    for key in _value(error):
        if error.message == f"{key!r} is a required property":
            return str(key)
    missing = [k for k in _value(error) if isinstance(error.instance, dict) and k not in error.instance]
    return str(missing[0]) if missing else "?"


def _limit_words(keyword: str, bound: Any) -> str:
    return {
        "minimum": f"is less than the minimum of {bound}",
        "maximum": f"is greater than the maximum of {bound}",
        "exclusiveMinimum": f"must be greater than {bound}",
        "exclusiveMaximum": f"must be less than {bound}",
        "minLength": f"is too short (at least {bound} character{'s' if bound != 1 else ''})",
        "maxLength": f"is too long (at most {bound} characters)",
        "multipleOf": f"is not a multiple of {bound}",
    }[keyword]


def _value_at(instance: Any, subpath: PathKey, rule_path: PathKey, error_path: PathKey) -> Any:
    """The value the rule's `if` tested, from the error's instance (at error_path) when reachable."""
    rel = (rule_path + subpath)[len(error_path) :] if (rule_path + subpath)[: len(error_path)] == error_path else None
    if rel is None:
        return None
    node = instance
    for part in rel:
        if isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


def check(
    validator: Draft202012Validator,
    instance: Any,
    where: Where | Callable[[PathKey], Location],
    env: str | None = None,
    *,
    check: str,
    context: Mapping[str, str] | None = None,
) -> list[Problem]:
    """Validate `instance` with `validator` (Policies.validator); every error becomes a located
    problem (several unknown keys of one mapping: one problem each) of the check `check` (or of the
    nearest `x-check` of the schema)."""
    place: Where = _PlainLocator(where) if callable(where) and not hasattr(where, "locate") else where  # type: ignore[assignment]
    found: list[tuple[ValidationError, PathKey, str, str]] = []
    for error in _expanded(validator.iter_errors(instance)):
        if error.validator in ("if", "then", "else", "allOf") and error.context:
            continue
        steps = _walk(validator, error)
        named = _check_id(steps, check)
        found += [(error, path, message, named) for path, message in _messages(validator, error, context or {}, steps)]
    misspelled = _misspelled_required([(error, path, message) for error, path, message, _ in found])
    problems = [
        Problem(
            place.locate(path),
            message,
            env,
            check=named,
            subject=place.subject(path),
            because=place.because(path),
        )
        for error, path, message, named in found
        if (tuple(error.absolute_path), message) not in misspelled
    ]
    return sorted(problems)


def _expanded(errors: Iterable[ValidationError]) -> Iterator[ValidationError]:
    """A mapping or list that matches no alternative of an anyOf/oneOf, where only one alternative
    is of its type (`a list or null`), is reported by what is wrong inside it, not as a whole."""
    for error in errors:
        if error.validator in ("anyOf", "oneOf") and error.context and isinstance(error.instance, (dict, list)):
            by_alternative: dict[Any, list[ValidationError]] = {}
            for sub in error.context:
                by_alternative.setdefault(sub.relative_schema_path[0], []).append(sub)
            fitting = [
                subs
                for subs in by_alternative.values()
                if not any(s.validator == "type" and not s.relative_path for s in subs)
            ]
            if len(fitting) == 1 and len(by_alternative) == len(_value(error)):
                yield from _expanded(fitting[0])
                continue
        yield error


def _misspelled_required(found: list[tuple[ValidationError, PathKey, str]]) -> set[tuple[PathKey, str]]:
    """`missing required key 'replicas'` next to `unknown key 'replicasCount'; did you mean
    'replicas'?` is one typo: keep only the unknown key."""
    guesses = {
        (path[:-1], message.split("did you mean '", 1)[1].split("'", 1)[0])
        for error, path, message in found
        if error.validator in ("additionalProperties", "unevaluatedProperties") and "did you mean '" in message
    }
    return {
        (tuple(error.absolute_path), message)
        for error, path, message in found
        if error.validator == "required" and (tuple(error.absolute_path), _required_key(error)) in guesses
    }
