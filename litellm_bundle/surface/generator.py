"""Derive JSON Schemas of LiteLLM's configuration surface from the installed, pinned litellm.

`make litellm-schema` (`python -m litellm_bundle litellm-schema`) writes
policies/litellm/<LITELLM_VERSION>/: one schema per section of a LiteLLM config.yaml (deployment
`litellm_params` and `model_info`, `router_settings`, `general_settings`, `litellm_settings`,
guardrail entries, `credential_list` items, cache params), `names.schema.json` (providers,
callbacks, guardrail integrations) and `surface.json` (the secret-bearing parameters and the rule
LiteLLM masks secrets by). `--check` writes nothing and fails when the committed files differ.

Everything comes from LiteLLM itself: its pydantic models and TypedDicts, the Router's and the
cache's init parameters, the litellm module's settings, the keys the proxy reads (read statically
from its source, without running it), `litellm.provider_list` and LiteLLM's sensitive-key rule.
Which sections accept keys LiteLLM does not name follows LiteLLM (docs/litellm-surface.md)."""

from __future__ import annotations

import ast
import enum
import inspect
import json
import os
import sys
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from litellm_bundle.core.facts import CALLBACK_KEYS
from litellm_bundle.core.tree import BundleTree

BASE_ID = "https://litellm-gateway.local/litellm/"
ENV_REF = {"$ref": "https://litellm-gateway.local/schemas/common.schema.json#/$defs/envRef"}
OVERRIDES = "secret-params.json"  # policies/litellm/: what LiteLLM's rule gets wrong, by hand
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
        if in_mapping and _is_scalar(schema) and not _holds_string(schema):
            return {"anyOf": [schema, ENV_REF]}
        return schema

    def _convert(self, tp: Any, depth: int) -> Schema:
        origin = typing.get_origin(tp)
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
        if _is_typed_dict(tp):
            return self._typed_dict(tp, depth)
        if _is_model(tp):
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
            required = sorted(name for name, info in fields.items() if info.is_required() and not name.startswith("_"))
        finally:
            self.active.discard(model)
        return section(properties, required, open_=model.model_config.get("extra") == "allow")  # type: ignore[attr-defined]

    def _typed_dict(self, tp: type, depth: int) -> Schema:
        if depth > 3 or tp in self.active:
            return {"type": "object"}
        self.active.add(tp)
        try:
            hints = _hints(tp)
            properties = {name: self(hint, depth + 1) for name, hint in hints.items() if not name.startswith("_")}
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


_SEQUENCES = {typing.Sequence, typing.Iterable, typing.MutableSequence, typing.AbstractSet, Iterable}
_MAPPINGS = {typing.Mapping, typing.MutableMapping}
_TYPE_ORDER = ["boolean", "integer", "number", "string", "array", "object", "null"]
try:
    from collections import abc as _abc

    _SEQUENCES |= {_abc.Sequence, _abc.Iterable, _abc.MutableSequence, _abc.Set, _abc.Collection}
    _MAPPINGS |= {_abc.Mapping, _abc.MutableMapping}
except ImportError:  # pragma: no cover - always there
    pass


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
    return typing.get_origin(tp) in (
        Callable,
        __import__("collections.abc", fromlist=["Callable"]).Callable,
    )


def _is_typed_dict(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__total__")


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and hasattr(tp, "model_fields") and hasattr(tp, "model_config")


def _hints(obj: Any, namespace: Mapping[str, Any] | None = None) -> dict[str, Any]:
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


# --- what LiteLLM reads, statically -------------------------------------------------------------


def _site(module: types.ModuleType) -> Path:
    return Path(inspect.getfile(module)).parent


def _string_keys_read(files: Iterable[Path], names: set[str]) -> dict[str, set[str]]:
    """Literal keys read from a mapping held in a variable or attribute named one of `names`
    (`x.get("k", default)`, `x["k"]`, `"k" in x`), each with the types of the literal defaults
    its reads give ("none" for a read without one)."""
    found: dict[str, set[str]] = {}

    def holder(node: ast.AST) -> str | None:
        return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None

    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
            if not any(name in text for name in names):
                continue
            tree = ast.parse(text)
        except (SyntaxError, UnicodeDecodeError):
            continue
        for node in ast.walk(tree):
            key, default = None, "none"
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("get", "pop")
                and holder(node.func.value) in names
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                key = node.args[0].value
                if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and node.args[1].value is not None:
                    default = type(node.args[1].value).__name__
            elif (
                isinstance(node, ast.Subscript)
                and holder(node.value) in names
                and isinstance(node.slice, ast.Constant)
                and isinstance(node.slice.value, str)
            ):
                key = node.slice.value
            elif (
                isinstance(node, ast.Compare)
                and len(node.ops) == 1
                and isinstance(node.ops[0], (ast.In, ast.NotIn))
                and holder(node.comparators[0]) in names
                and isinstance(node.left, ast.Constant)
                and isinstance(node.left.value, str)
            ):
                key = node.left.value
            if key is not None and key.isidentifier():
                found.setdefault(key, set()).add(default)
    return found


_DEFAULT_TYPES = {"bool": bool, "int": int, "float": float, "str": str}


def _read_type(defaults: set[str]) -> Any:
    """The type the proxy's reads of a key imply: the one type of their literal defaults, if any."""
    kinds = {_DEFAULT_TYPES[d] for d in defaults if d in _DEFAULT_TYPES}
    if kinds == {int, float}:
        kinds = {float}
    if len(kinds) != 1 or not defaults <= set(_DEFAULT_TYPES) | {"none"}:
        return None
    return typing.Optional[kinds.pop()]  # noqa: UP045  (built at run time, read like LiteLLM's own hints)


def _compared_strings(file: Path, function: str, variable: str) -> set[str]:
    """The string constants `variable` is compared with (==, in (...)) inside `function` of `file`."""
    tree = ast.parse(file.read_text(encoding="utf-8"))
    out: set[str] = set()
    for fn in ast.walk(tree):
        if not (isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and fn.name == function):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) and node.left.id == variable:
                for comparator in node.comparators:
                    values = comparator.elts if isinstance(comparator, (ast.Tuple, ast.List, ast.Set)) else [comparator]
                    out |= {v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)}
    return out


def _module_settings(litellm: types.ModuleType) -> dict[str, Any]:
    """The litellm module's settings: names litellm/__init__.py assigns or imports as data at
    module level (the proxy applies every other litellm_settings key with setattr(litellm, ...))."""
    init = Path(inspect.getfile(litellm))
    tree = ast.parse(init.read_text(encoding="utf-8"))
    annotations = _hints(litellm, vars(litellm))
    names: dict[str, Any] = {}
    for node in tree.body:
        targets: list[str] = []
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            targets = [node.target.id]
        elif isinstance(node, ast.Assign):
            targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.ImportFrom) and node.module in ("litellm._logging", "litellm.constants"):
            targets = [a.asname or a.name for a in node.names]
        for name in targets:
            if name.startswith("_") or name.isupper() or not hasattr(litellm, name):
                continue
            value = getattr(litellm, name)
            if name not in annotations and not (
                value is None or isinstance(value, (bool, int, float, str, list, dict))
            ):
                continue
            names[name] = annotations.get(name, type(value) if value is not None else Any)
    return names


# --- the sections -------------------------------------------------------------------------------


class Surface:
    """LiteLLM's configuration surface, read from the installed package."""

    def __init__(self, overrides: Mapping[str, Any]):
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        import litellm
        from litellm.litellm_core_utils.sensitive_data_masker import SensitiveDataMasker

        self.litellm = litellm
        self.convert = Converter()
        self.masker = SensitiveDataMasker()
        self.secret_names = set(overrides.get("secret", []))
        self.not_secret = set(overrides.get("not_secret", []))
        self.untyped_endings = tuple(f"_{word}" for word in overrides.get("untyped_endings", []))
        self.secrets: dict[str, list[str]] = {}

    def is_secret(self, name: str) -> bool:
        if name in self.not_secret or name.endswith("_ref"):
            return False
        return name in self.secret_names or self.masker.is_sensitive_key(name)

    def secured(self, name: str, properties: dict[str, Schema]) -> dict[str, Schema]:
        """Secret-bearing string parameters must be references; records them under `name`."""
        out: dict[str, Schema] = {}
        for key, schema in properties.items():
            untyped = not set(schema) - {"description"}
            if self.is_secret(key) and (
                _holds_string(schema) or (untyped and (key.endswith(self.untyped_endings) or key in self.secret_names))
            ):
                description = schema.get("description")
                schema = {**({"description": description} if description else {}), **ENV_REF, "x-secret": True}
                self.secrets.setdefault(name, []).append(key)
            out[key] = schema
        return out

    def litellm_params(self) -> Schema:
        from litellm.types.router import LiteLLM_Params, LiteLLMParamsTypedDict
        from litellm.types.utils import all_litellm_params

        litellm = self.litellm
        props = {
            name: self.convert.field(info.annotation, 1, info) for name, info in LiteLLM_Params.model_fields.items()
        }
        for name, hint in _hints(LiteLLMParamsTypedDict).items():
            props.setdefault(name, self.convert(hint, 1))
        for function in (
            litellm.completion,
            litellm.embedding,
            litellm.image_generation,
            litellm.transcription,
            litellm.speech,
            litellm.rerank,
        ):
            hints = _hints(inspect.unwrap(function))
            for name, param in inspect.signature(function).parameters.items():
                if param.kind in (param.VAR_KEYWORD, param.VAR_POSITIONAL):
                    continue
                props.setdefault(name, self.convert(hints.get(name, Any), 1))
        for name in [*all_litellm_params, *litellm.OPENAI_CHAT_COMPLETION_PARAMS]:
            props.setdefault(name, {})
        for internal in (
            "self",
            "kwargs",
            "messages",
            "input",
            "prompt",
            "model_list",
            "model_config",
            "litellm_logging_obj",
            "logger_fn",
        ):
            props.pop(internal, None)
        props = {k: v for k, v in props.items() if k.isidentifier() and not k.startswith("_")}
        schema = section(
            self.secured("litellm_params", props),
            ["model"],
            open_=True,
            title="a deployment's litellm_params",
            closed=False,
        )
        schema["description"] = (
            "LiteLLM_Params / GenericLiteLLMParams, LiteLLMParamsTypedDict, the named parameters of "
            "litellm.completion, embedding, image_generation, transcription, speech and rerank, and litellm's request "
            "parameters; LiteLLM passes any other key to the provider."
        )
        return schema

    def credential_values(self) -> Schema:
        from litellm.types.router import CredentialLiteLLMParams

        props = {
            name: self.convert.field(info.annotation, 1, info)
            for name, info in CredentialLiteLLMParams.model_fields.items()
        }
        return section(self.secured("credential_values", props), open_=True)

    def model_info(self) -> Schema:
        from litellm.types.router import ModelInfo
        from litellm.types.utils import ModelInfoBase

        props = {name: self.convert.field(info.annotation, 1, info) for name, info in ModelInfo.model_fields.items()}
        for name, hint in _hints(ModelInfoBase).items():
            props.setdefault(name, self.convert(hint, 1))
        schema = section(props, open_=True, title="a deployment's model_info")
        schema["description"] = (
            "litellm.types.router.ModelInfo and litellm.types.utils.ModelInfoBase (pricing, context window, "
            "capabilities); LiteLLM keeps any other key as metadata."
        )
        return schema

    def router_settings(self) -> Schema:
        from litellm.constants import ROUTER_SETTINGS_MANAGED_OUTSIDE_CONFIG

        router = self.litellm.Router
        hints = _hints(router.__init__)
        params = inspect.signature(router.__init__).parameters
        props = {
            name: self.convert(hints.get(name, Any), 1)
            for name in router.get_valid_args()
            if name not in ROUTER_SETTINGS_MANAGED_OUTSIDE_CONFIG and name in params
        }
        schema = section(self.secured("router_settings", props), title="router_settings")
        schema["description"] = (
            "The parameters of litellm.Router() the proxy passes on (Router.get_valid_args() minus those it manages "
            "itself); the proxy ignores any other key."
        )
        return schema

    def general_settings(self) -> Schema:
        from litellm.proxy._types import ConfigGeneralSettings

        props = {
            name: self.convert.field(info.annotation, 1, info)
            for name, info in ConfigGeneralSettings.model_fields.items()
        }
        proxy_dir = _site(self.litellm) / "proxy"
        for name, defaults in sorted(
            _string_keys_read(sorted(proxy_dir.rglob("*.py")), {"general_settings", "_general_settings"}).items()
        ):
            hint = _read_type(defaults)
            described = {
                "description": "read by the proxy; typed by the defaults its reads give"
                if hint
                else "read by the proxy (not typed by LiteLLM)"
            }
            props.setdefault(name, {**described, **(self.convert(hint, 1) if hint else {})})
        schema = section(self.secured("general_settings", props), title="general_settings")
        schema["description"] = (
            "ConfigGeneralSettings and every other key the proxy reads from general_settings (found in its source); "
            "the proxy ignores any other key."
        )
        return schema

    def litellm_settings(self) -> Schema:
        proxy_server = _site(self.litellm) / "proxy" / "proxy_server.py"
        special = _compared_strings(proxy_server, "load_config", "key")
        settings = _module_settings(self.litellm)
        props = {name: self.convert(hint, 1) for name, hint in settings.items()}
        for name in special:
            props.setdefault(name, {})
        props.update(_SPECIAL_SETTINGS)  # the bundle's own schemas of these, over what the hints say
        schema = section(self.secured("litellm_settings", props), title="litellm_settings")
        schema["description"] = (
            "The litellm module's settings (litellm/__init__.py) and the keys the proxy's load_config handles itself; "
            "the proxy sets any other key on the litellm module, where nothing reads it."
        )
        return schema

    def cache_params(self) -> Schema:
        from litellm.caching.caching import Cache

        hints = _hints(Cache.__init__)
        params = inspect.signature(Cache.__init__).parameters
        props = {
            name: self.convert(hints.get(name, Any), 1)
            for name, p in params.items()
            if name != "self" and not name.startswith("_") and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        }
        open_ = any(p.kind == p.VAR_KEYWORD for p in params.values())  # the rest goes to the cache client
        import redis

        client = inspect.signature(redis.Redis.__init__).parameters
        client_hints = _hints(redis.Redis.__init__)
        for name, p in client.items():
            if name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
                props.setdefault(name, self.convert(client_hints.get(name, Any), 1))
        schema = section(self.secured("cache_params", props), open_=open_, title="litellm_settings.cache_params")
        schema["description"] = (
            "The parameters of litellm.caching.Cache() and, passed on by it, of the Redis client (redis.Redis)."
        )
        return schema

    def guardrail(self) -> Schema:
        from litellm.types.guardrails import Guardrail, LitellmParams

        params = {
            name: self.convert.field(info.annotation, 1, info) for name, info in LitellmParams.model_fields.items()
        }
        params["guardrail"] = {
            "description": "a guardrail integration of LiteLLM (names.schema.json#/$defs/guardrail) "
            "or a dotted path module.ClassName",
            "type": "string",
        }
        litellm_params = section(
            self.secured("guardrail_litellm_params", params),
            ["guardrail", "mode"],
            open_=LitellmParams.model_config.get("extra") == "allow",
        )
        hints = _hints(Guardrail)
        props = {
            name: self.convert(hint, 1)
            for name, hint in hints.items()
            if name not in ("litellm_params", "created_at", "updated_at")
        }
        props["litellm_params"] = litellm_params
        schema = section(props, sorted(getattr(Guardrail, "__required_keys__", ())), title="a guardrail")
        schema["description"] = (
            "litellm.types.guardrails.Guardrail with LitellmParams (every integration's parameters); a custom "
            "guardrail class receives the keys LiteLLM does not name."
        )
        return schema

    def credential(self) -> Schema:
        from litellm.models.credentials import CredentialItem

        fields = {
            name: info
            for name, info in CredentialItem.model_fields.items()
            if not info.exclude and name != "display_name"
        }
        props = {name: self.convert.field(info.annotation, 1, info) for name, info in fields.items()}
        props["credential_values"] = self.credential_values()
        required = sorted(name for name, info in fields.items() if info.is_required())
        schema = section(props, required, title="a credential_list item")
        schema["description"] = (
            "litellm.models.credentials.CredentialItem; credential_values are the credential parameters of "
            "litellm.types.router.CredentialLiteLLMParams."
        )
        return schema

    def names(self) -> Schema:
        from litellm.types.guardrails import SupportedGuardrailIntegrations

        litellm = self.litellm
        site = _site(litellm)
        callbacks = set(typing.get_args(litellm._custom_logger_compatible_callbacks_literal))
        callbacks |= _compared_strings(site / "litellm_core_utils" / "litellm_logging.py", "set_callbacks", "callback")
        callbacks |= _compared_strings(
            site / "proxy" / "common_utils" / "callback_utils.py", "initialize_callbacks_on_proxy", "callback"
        )
        return {
            "title": "names LiteLLM knows",
            "$defs": {
                "provider": {
                    "title": "a LiteLLM provider",
                    "x-allowed": "a provider of litellm.provider_list",
                    "enum": sorted(str(p.value) for p in litellm.provider_list),
                },
                "callback": {
                    "title": "a LiteLLM callback",
                    "x-allowed": "a callback LiteLLM ships",
                    "enum": sorted(callbacks),
                },
                "guardrail": {
                    "title": "a LiteLLM guardrail integration",
                    "x-allowed": "a guardrail integration of litellm.types.guardrails",
                    "enum": sorted(g.value for g in SupportedGuardrailIntegrations),
                },
            },
        }

    def callback_classes(self) -> dict[str, str]:
        """Callback name -> the class the proxy instantiates for it (what the boot check looks for)."""
        from litellm.litellm_core_utils.custom_logger_registry import CustomLoggerRegistry

        return {
            name: cls.__name__
            for name, cls in sorted(CustomLoggerRegistry.CALLBACK_CLASS_STR_TO_CLASS_TYPE.items())
            if isinstance(cls, type)
        }

    def rule(self) -> dict[str, Any]:
        """LiteLLM's rule for a sensitive key (SensitiveDataMasker), for names only known at
        validation time (environment variables, callback settings)."""
        return {
            "segments": sorted(self.masker.sensitive_patterns),
            "unless_segments": sorted(self.masker.non_sensitive_overrides),
            "secret": sorted(self.secret_names),
            "not_secret": sorted(self.not_secret),
        }


def _holds_string(schema: Schema) -> bool:
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "string" in kinds:
        return True
    return any(_holds_string(s) for s in schema.get("anyOf", []))


_CALLBACKS: Schema = {
    "type": "array",
    "items": {"type": "string"},
    "description": "LiteLLM callback names (names.schema.json#/$defs/callback) or dotted paths module.instance",
}
_SPECIAL_SETTINGS: dict[str, Schema] = {
    "cache": {"type": "boolean"},
    "cache_params": {"$ref": "cache_params.schema.json"},
    **dict.fromkeys(CALLBACK_KEYS, _CALLBACKS),
    "guardrails": {"type": "array", "description": "the older guardrails format (LiteLLM docs: guardrails v1)"},
}


def build(surface: Surface, version: str) -> dict[str, Any]:
    """File name -> document, for policies/litellm/<version>/."""
    sections: dict[str, Callable[[], Schema]] = {
        "litellm_params": surface.litellm_params,
        "model_info": surface.model_info,
        "router_settings": surface.router_settings,
        "general_settings": surface.general_settings,
        "litellm_settings": surface.litellm_settings,
        "cache_params": surface.cache_params,
        "guardrail": surface.guardrail,
        "credential": surface.credential,
        "names": surface.names,
    }
    files: dict[str, Any] = {}
    for name, make in sections.items():
        schema = make()
        if "properties" in schema:
            schema = {
                **schema,
                "x-allowed": f"the keys LiteLLM {version} defines for {schema.get('title', name)}, "
                f"see policies/litellm/{version}/{name}.schema.json",
            }
        files[f"{name}.schema.json"] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{BASE_ID}{name}.schema.json",
            "$comment": f"Generated by `make litellm-schema` from litellm {version}; do not edit.",
            **schema,
        }
    files["surface.json"] = {
        "$comment": f"Generated by `make litellm-schema` from litellm {version}; do not edit.",
        "version": version,
        "secret_params": {k: sorted(v) for k, v in sorted(surface.secrets.items())},
        "callback_classes": surface.callback_classes(),
        "sensitive_key_rule": surface.rule(),
    }
    return files


def render(files: Mapping[str, Any]) -> dict[str, str]:
    return {name: json.dumps(doc, indent=1, ensure_ascii=False) + "\n" for name, doc in files.items()}


def generate(tree: BundleTree) -> dict[str, str]:
    """The generated files for the installed litellm, which must be the pinned version."""
    from importlib.metadata import version as installed

    pinned = tree.pinned_version()
    found = installed("litellm")
    if found != pinned:
        raise RuntimeError(f"installed litellm is {found}, LITELLM_VERSION pins {pinned}; run `make setup` first")
    overrides = json.loads((tree.policies_dir / "litellm" / OVERRIDES).read_text(encoding="utf-8"))
    return render(build(Surface(overrides), pinned))


def output_dir(tree: BundleTree) -> Path:
    return tree.litellm_schemas_dir


def stale(tree: BundleTree, files: Mapping[str, str]) -> list[str]:
    """Generated files that differ from (or are missing in, or extra in) the committed directory."""
    out_dir = output_dir(tree)
    committed = {p.name: p.read_text(encoding="utf-8") for p in out_dir.glob("*.json")} if out_dir.is_dir() else {}
    return sorted(name for name in set(files) | set(committed) if files.get(name) != committed.get(name))


def write(tree: BundleTree, files: Mapping[str, str]) -> None:
    """Replace the committed directory's schemas with `files` (a schema LiteLLM no longer has is removed)."""
    out_dir = output_dir(tree)
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.json"):
        if old.name not in files:
            old.unlink()
    for name, text in files.items():
        (out_dir / name).write_text(text, encoding="utf-8")
