"""Python type hints as JSON Schema, the way LiteLLM reads config values, and the object schemas of
LiteLLM's sections (`section`): the building blocks of the generated surface."""

from __future__ import annotations

import collections.abc
import enum
import re
import sys
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any

BASE_ID = "https://litellm-gateway.local/litellm/"
ENV_REF = {"$ref": "https://litellm-gateway.local/schemas/common.schema.json#/$defs/envRef"}
Schema = dict[str, Any]


def _optional_none(tp: Any) -> tuple[list[Any], bool]:
    args = list(typing.get_args(tp))
    return [a for a in args if a is not type(None)], type(None) in args


class Converter:
    """Python type hints -> JSON Schema, the way LiteLLM reads config values: os.environ/NAME is
    resolved in every mapping value, so a non-string scalar may also be a reference."""

    def __init__(self) -> None:
        self.active: set[type] = set()

    def __call__(self, tp: Any, depth: int = 0, in_mapping: bool = True) -> Schema:
        schema = self._convert(tp, depth)
        if in_mapping and _is_scalar(schema) and not holds_string(schema):
            return {"anyOf": [schema, ENV_REF]}
        return schema

    def _convert(self, tp: Any, depth: int) -> Schema:
        origin = typing.get_origin(tp)
        if (origin is not None and getattr(origin, "_name", None) in _WRAPPERS) or getattr(
            tp, "_name", ""
        ) in _WRAPPERS:
            wrapped = typing.get_args(tp)
            return self._convert(wrapped[0], depth) if wrapped else {}
        if tp is Any or tp is object or isinstance(tp, (typing.TypeVar, typing.ForwardRef, str)):
            return {}
        if origin is typing.Annotated:
            return self._annotated(tp, depth)
        if tp is type(None):
            return {"type": "null"}
        if origin in (typing.Union, types.UnionType):
            return self._union(tp, depth)
        if origin is typing.Literal:
            return {"enum": [v.value if isinstance(v, enum.Enum) else v for v in typing.get_args(tp)]}
        if tp is bool:
            return {"type": "boolean"}
        if tp is int:
            return {"type": "integer"}
        if tp is float:
            return {"type": "number"}
        if tp in (str, bytes):
            return {"type": "string"}
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return {"enum": [m.value for m in tp]}
        if origin in (list, tuple, set, frozenset) or origin in _SEQUENCES or tp in (list, tuple, set, frozenset):
            args = [a for a in typing.get_args(tp) if a is not Ellipsis]
            items = self(args[0], depth + 1, in_mapping=False) if len(set(map(repr, args))) == 1 else {}
            return {"type": "array", **({"items": items} if items else {})}
        if origin in (dict, Mapping) or origin in _MAPPINGS or tp is dict:
            pair = typing.get_args(tp)
            value = self(pair[1], depth + 1) if len(pair) == 2 else {}
            return {"type": "object", **({"additionalProperties": value} if value else {})}
        if (origin is not None and callable(tp)) or tp is Callable or origin is Callable or _is_callable_alias(tp):
            return {"type": "string", "description": "a dotted path (module.name) the proxy imports"}
        if is_typed_dict(tp):
            return self._typed_dict(tp, depth)
        if is_model(tp):
            return self._model(tp, depth)
        return {}

    def _annotated(self, tp: Any, depth: int) -> Schema:
        base, *meta = typing.get_args(tp)
        schema = self._convert(base, depth)
        return _with_bounds(schema, meta)

    def _union(self, tp: Any, depth: int) -> Schema:
        args, nullable = _optional_none(tp)
        parts = [self._convert(a, depth) for a in args]
        if any(p == {} for p in parts):
            return {}
        simple = [p for p in parts if set(p) == {"type"} and isinstance(p["type"], str)]
        rest = [p for p in parts if p not in simple]
        kinds = sorted({p["type"] for p in simple} | ({"null"} if nullable else set()), key=_TYPE_ORDER.index)
        if "number" in kinds and "integer" in kinds:
            kinds.remove("integer")
        if not rest:
            return {"type": kinds[0] if len(kinds) == 1 else kinds}
        out = [*rest] + ([{"type": kinds[0] if len(kinds) == 1 else kinds}] if kinds else [])
        return out[0] if len(out) == 1 else {"anyOf": out}

    def _model(self, model: type, depth: int) -> Schema:
        if depth > 3 or model in self.active:
            return {"type": "object"}
        self.active.add(model)
        try:
            fields = model.model_fields  # type: ignore[attr-defined]
            properties = {
                name: self.field(info.annotation, depth + 1, info)
                for name, info in fields.items()
                if not name.startswith("_")
            }
            for name in _normalized_first(model) & set(properties):
                properties[name] = _any_case(properties[name])
            # a model with its own __init__ fills fields itself (PromptSpec's prompt_info): none is required then
            own_init = any("__init__" in vars(c) for c in model.__mro__[: model.__mro__.index(_base_model(model))])
            required = (
                []
                if own_init
                else sorted(name for name, info in fields.items() if info.is_required() and not name.startswith("_"))
            )
        finally:
            self.active.discard(model)
        return section(properties, required, open_=model.model_config.get("extra") == "allow")  # type: ignore[attr-defined]

    def _typed_dict(self, tp: type, depth: int) -> Schema:
        if depth > 3 or tp in self.active:
            return {"type": "object"}
        self.active.add(tp)
        try:
            found = hints(tp)
            properties = {name: self(hint, depth + 1) for name, hint in found.items() if not name.startswith("_")}
        finally:
            self.active.discard(tp)
        required = sorted(k for k in getattr(tp, "__required_keys__", ()) if k in properties)
        # LiteLLM reads TypedDicts as plain dicts: a key it does not name is passed along, not refused
        return section(properties, required, open_=True)

    def field(self, tp: Any, depth: int, info: Any = None) -> Schema:
        schema = self(tp, depth)
        if info is not None:
            schema = _with_bounds(schema, getattr(info, "metadata", []))
            description = getattr(info, "description", None)
            if description:
                schema = {"description": " ".join(str(description).split()), **schema}
        return schema


_WRAPPERS = {"Final", "ReadOnly", "NotRequired", "Required", "ClassVar"}  # qualifiers, not types
_abc = collections.abc
_SEQUENCES = {
    typing.Sequence,
    typing.Iterable,
    typing.MutableSequence,
    typing.AbstractSet,
    Iterable,
    _abc.Sequence,
    _abc.Iterable,
    _abc.MutableSequence,
    _abc.Set,
    _abc.Collection,
}
_MAPPINGS = {typing.Mapping, typing.MutableMapping, _abc.Mapping, _abc.MutableMapping}
_TYPE_ORDER = ["boolean", "integer", "number", "string", "array", "object", "null"]


def _is_scalar(schema: Schema) -> bool:
    if "enum" in schema:
        return True
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    return (
        bool(kind)
        and all(k in ("boolean", "integer", "number", "string", "null") for k in kinds)
        and set(schema) <= {"type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}
    )


def _is_callable_alias(tp: Any) -> bool:
    return typing.get_origin(tp) in (Callable, _abc.Callable)


def is_typed_dict(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__total__")


def _normalized_first(model: type) -> set[str]:
    """Fields a validator of the model sees before their type is checked (`mode="before"`): LiteLLM
    normalizes the value first (ToolPermissionRule lowercases `decision`)."""
    decorators = getattr(model, "__pydantic_decorators__", None)
    validators = getattr(decorators, "field_validators", {}) if decorators is not None else {}
    return {name for v in validators.values() if v.info.mode == "before" for name in v.info.fields}


def _any_case(schema: Schema) -> Schema:
    """A string enum of a field LiteLLM normalizes first, in any case (`Deny` for `deny`)."""
    if "anyOf" in schema:
        return {**schema, "anyOf": [_any_case(s) for s in schema["anyOf"]]}
    values = schema.get("enum")
    if not values or not all(isinstance(v, str) for v in values):
        return schema
    spelled = "|".join("".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in v) for v in values)
    rest = {k: v for k, v in schema.items() if k != "enum"}
    return {
        **rest,
        "title": f"one of {', '.join(values)} (in any case)",
        "type": "string",
        "pattern": f"^(?:{spelled})$",
    }


def _base_model(model: type) -> type:
    """pydantic's BaseModel in a model's MRO (the classes before it are the model's own)."""
    return next((c for c in model.__mro__ if c.__name__ == "BaseModel" and c.__module__.startswith("pydantic")), object)


def is_model(tp: Any) -> bool:
    return isinstance(tp, type) and hasattr(tp, "model_fields") and hasattr(tp, "model_config")


def hints(obj: Any, namespace: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Type hints of a function, class or module; an annotation that does not resolve stays untyped."""
    try:
        return typing.get_type_hints(obj)
    except Exception:
        pass
    scope = dict(
        namespace
        or getattr(obj, "__globals__", None)
        or vars(sys.modules.get(getattr(obj, "__module__", ""), types))
        or {}
    )
    out: dict[str, Any] = {}
    for name, hint in dict(getattr(obj, "__annotations__", {})).items():
        if isinstance(hint, str):
            try:
                hint = eval(hint, scope)
            except Exception:
                hint = Any
        out[name] = hint
    return out


def _with_bounds(schema: Schema, metadata: Iterable[Any]) -> Schema:
    bounds = {"gt": "exclusiveMinimum", "ge": "minimum", "lt": "exclusiveMaximum", "le": "maximum"}
    extra: Schema = {}
    for item in metadata:
        for attr, keyword in bounds.items():
            value = getattr(item, attr, None)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                extra[keyword] = value
    if not extra:
        return schema
    if "anyOf" in schema and schema["anyOf"][-1] == ENV_REF:
        return {"anyOf": [{**schema["anyOf"][0], **extra}, ENV_REF]}
    if schema.get("type") in ("integer", "number") or (
        isinstance(schema.get("type"), list) and {"integer", "number"} & set(schema["type"])
    ):
        return {**schema, **extra}
    return schema


def section(
    properties: dict[str, Schema],
    required: Iterable[str] = (),
    open_: bool = False,
    title: str | None = None,
    closed: bool = True,
) -> Schema:
    """An object schema whose unknown keys are errors (`closed`; else the schema that refers to it
    closes it with unevaluatedProperties). `open_` records that LiteLLM itself accepts keys it
    does not name here (x-litellm-extra; docs/litellm-surface.md says what the bundle does)."""
    out: Schema = {"type": "object"}
    if title:
        out["title"] = title
    out["properties"] = dict(sorted(properties.items()))
    if required:
        out["required"] = sorted(required)
    if open_:
        out["x-litellm-extra"] = "allow"
    if closed:
        out["additionalProperties"] = False
    return out


def holds_string(schema: Schema) -> bool:
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "string" in kinds:
        return True
    return any(holds_string(s) for s in schema.get("anyOf", []))
