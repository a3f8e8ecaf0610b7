"""LiteLLM's settings sections, read from the installed litellm: deployment `litellm_params` and
`model_info`, `router_settings`, `general_settings`, `litellm_settings`, cache params, credentials,
the names LiteLLM knows, and which parameters carry secrets (LiteLLM's sensitive-key rule)."""

from __future__ import annotations

import ast
import inspect
import os
import types
import typing
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from litellm_bundle.core.facts import CALLBACK_KEYS, NO_DOTENV
from litellm_bundle.surface import reads
from litellm_bundle.surface.convert import (
    ENV_REF,
    Converter,
    Schema,
    hints,
    holds_string,
    is_model,
    is_typed_dict,
    section,
)

DOTTED = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$"


class Surface:
    """LiteLLM's configuration surface, read from the installed package."""

    def __init__(self, overrides: Mapping[str, Any], inputs: Mapping[str, Any]):
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        os.environ.update(NO_DOTENV)  # imported here, LiteLLM must not load the checkout's .env into this process
        import litellm
        from litellm.litellm_core_utils.sensitive_data_masker import SensitiveDataMasker

        self.litellm = litellm
        self.site = Path(inspect.getfile(litellm)).parent
        self.files = reads.python_files(self.site)
        self.annotations = reads.Annotations(self.site)
        self.inputs = inputs  # policies/litellm/sections.json: what LiteLLM's loaders build, where they do not say
        self.convert = Converter()
        self.masker = SensitiveDataMasker()
        self.secret_names = set(overrides.get("secret", []))
        self.not_secret = set(overrides.get("not_secret", []))
        self.untyped_endings = tuple(f"_{word}" for word in overrides.get("untyped_endings", []))
        self.secrets: dict[str, list[str]] = {}
        self.secret_maps: dict[str, list[str]] = {}

    def is_secret(self, name: str) -> bool:
        if name in self.not_secret or name.endswith("_ref"):
            return False
        return name in self.secret_names or self.masker.is_sensitive_key(name)

    def secured(self, name: str, properties: dict[str, Schema], nested: bool = False) -> dict[str, Schema]:
        """Secret-bearing string parameters must be references; records them under `name`. `nested`:
        the same for the objects inside (recorded as `name.key`), and mappings of strings whose keys
        are the user's (headers, environments) recorded in secret_maps: their values under a sensitive
        name must be references, checked at validation time."""
        out: dict[str, Schema] = {}
        for key, schema in properties.items():
            untyped = not set(schema) - {"description"}
            if self.is_secret(key) and (
                holds_string(schema) or (untyped and (key.endswith(self.untyped_endings) or key in self.secret_names))
            ):
                description = schema.get("description")
                schema = {**({"description": description} if description else {}), **ENV_REF, "x-secret": True}
                if key not in self.secrets.setdefault(name, []):
                    self.secrets[name].append(key)
            elif nested:
                schema = self._secured_inside(f"{name}.{key}", schema)
            out[key] = schema
        return out

    def _secured_inside(self, name: str, schema: Schema) -> Schema:
        if isinstance(schema.get("properties"), dict):
            return {**schema, "properties": self.secured(name, schema["properties"], nested=True)}
        if isinstance(schema.get("items"), dict):
            return {**schema, "items": self._secured_inside(name, schema["items"])}
        if isinstance(schema.get("anyOf"), list):
            return {**schema, "anyOf": [self._secured_inside(name, s) for s in schema["anyOf"]]}
        values = schema.get("additionalProperties")
        if schema.get("type") in ("object", ["object", "null"]) and isinstance(values, dict) and holds_string(values):
            section_name, _, key = name.rpartition(".")
            if key not in self.secret_maps.setdefault(section_name, []):
                self.secret_maps[section_name].append(key)
            return {**schema, "patternProperties": {self.sensitive_pattern(): _SECRET_VALUE}}
        return schema

    def sensitive_pattern(self) -> str:
        """LiteLLM's sensitive-key rule as a pattern over a name of the user's (a header, a variable): a
        segment (between _ and -) that is sensitive, none that says otherwise; letters in either case."""

        def anycase(word: str) -> str:
            return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word)

        def segment(words: Iterable[str]) -> str:
            return "(?:.*[_-])?(?:" + "|".join(anycase(w) for w in sorted(words)) + ")(?:[_-].*)?$"

        return f"^(?!{segment(self.masker.non_sensitive_overrides)}){segment(self.masker.sensitive_patterns)}"

    def typed(self, read: reads.Read, who: str) -> Schema:
        """A key only LiteLLM's code reads: typed by what the code validates it as or annotates it
        with, else by the defaults of its reads, else untyped."""
        hint = self.annotations.first(read)
        how = "typed as LiteLLM's code takes the value"
        if hint is None:
            hint, how = reads.read_type(read.defaults), "typed by the defaults its reads give"
        if hint is None:
            return {"description": f"read by {who} (not typed by LiteLLM)"}
        return {"description": f"read by {who}; {how}", **self.type_schema(hint)}

    def type_schema(self, hint: Any) -> Schema:
        """A type as a schema; a plain class the value is passed to (`T(**value)`) by its constructor."""
        if (
            isinstance(hint, type)
            and not (is_model(hint) or is_typed_dict(hint))
            and hint.__module__.startswith("litellm")
            and not issubclass(hint, (str, int, float, bool, list, dict))
        ):
            return constructor(self.convert, hint)
        return self.convert(hint, 1)

    def keys_read(self, section_name: str) -> dict[str, reads.Read]:
        return reads.keys_read(self.site, self.files, section_name)

    def litellm_params(self) -> Schema:
        from litellm.types.router import LiteLLM_Params, LiteLLMParamsTypedDict
        from litellm.types.utils import all_litellm_params

        litellm = self.litellm
        props = {
            name: self.convert.field(info.annotation, 1, info) for name, info in LiteLLM_Params.model_fields.items()
        }
        for name, hint in hints(LiteLLMParamsTypedDict).items():
            props.setdefault(name, self.convert(hint, 1))
        for function in (
            litellm.completion,
            litellm.embedding,
            litellm.image_generation,
            litellm.transcription,
            litellm.speech,
            litellm.rerank,
        ):
            found = hints(inspect.unwrap(function))
            for name, param in inspect.signature(function).parameters.items():
                if param.kind in (param.VAR_KEYWORD, param.VAR_POSITIONAL):
                    continue
                props.setdefault(name, self.convert(found.get(name, Any), 1))
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

    def credential_params(self) -> dict[str, Schema]:
        """A provider's credential parameters (CredentialLiteLLMParams), not yet secured."""
        from litellm.types.router import CredentialLiteLLMParams

        return {
            name: self.convert.field(info.annotation, 1, info)
            for name, info in CredentialLiteLLMParams.model_fields.items()
        }

    def credential_values(self) -> Schema:
        return section(self.secured("credential_values", self.credential_params()), open_=True)

    def deployment(self) -> Schema:
        """A model_list entry: litellm.types.router.Deployment (the proxy ignores any other key)."""
        from litellm.types.router import Deployment

        refs = {
            "litellm_params": {"$ref": "litellm_params.schema.json"},
            "model_info": {"$ref": "model_info.schema.json"},
        }
        props = {
            name: refs.get(name) or self.convert.field(info.annotation, 1, info)
            for name, info in Deployment.model_fields.items()
        }
        props["model_name"] = {"type": "string", "minLength": 1}
        return section(props, ["litellm_params", "model_name"])

    def model_info(self) -> Schema:
        from litellm.types.router import ModelInfo
        from litellm.types.utils import ModelInfoBase

        props = {name: self.convert.field(info.annotation, 1, info) for name, info in ModelInfo.model_fields.items()}
        for name, hint in hints(ModelInfoBase).items():
            props.setdefault(name, self.convert(hint, 1))
        for name, read in sorted(self.keys_read("model_info").items()):
            if name not in props:
                props[name] = self.typed(read, "LiteLLM")
        props["mode"] = self._modes(props.get("mode", {}))
        # LiteLLM keeps any other key (free-form metadata, shown on /model/info): open, unlike the other
        # sections; a near miss of a key it reads is reported by the checks (checks/litellm_settings.py)
        schema = section(props, open_=True, title="a deployment's model_info", closed=False)
        schema["description"] = (
            "litellm.types.router.ModelInfo and litellm.types.utils.ModelInfoBase (pricing, context window, "
            "capabilities) and every other key LiteLLM's code reads from model_info (e.g. the routers' "
            "preferences); LiteLLM keeps any other key as metadata."
        )
        return schema

    def _modes(self, typed: Schema) -> Schema:
        """model_info.mode: the modes its type names and those the health check acts on (its handlers' keys:
        `batch`, `rerank`, `anthropic_messages`, ... probe a deployment of that mode)."""
        from litellm.litellm_core_utils.health_check_helpers import HealthCheckHelpers

        hint = hints(HealthCheckHelpers.get_mode_handlers).get("return")
        handled = [str(m) for m in typing.get_args(typing.get_args(hint)[0])] if hint is not None else []
        branches = typed.get("anyOf", [typed])
        named = next((b["enum"] for b in branches if isinstance(b, dict) and "enum" in b), None)
        if named is None:
            return typed
        modes = [*named, *(m for m in handled if m not in named)]
        return (
            {**typed, "anyOf": [{"enum": modes} if "enum" in b else b for b in branches]}
            if "anyOf" in typed
            else {
                **typed,
                "enum": modes,
            }
        )

    def router_settings(self) -> Schema:
        from litellm.constants import ROUTER_SETTINGS_MANAGED_OUTSIDE_CONFIG

        router = self.litellm.Router
        found = hints(router.__init__)
        params = inspect.signature(router.__init__).parameters
        props = {
            name: self.convert(found.get(name, Any), 1)
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
        for name, read in sorted(self.keys_read("general_settings").items()):
            if name not in props:
                props[name] = self.typed(read, "LiteLLM")
        schema = section(self.secured("general_settings", props), title="general_settings")
        schema["description"] = (
            "ConfigGeneralSettings and every other key LiteLLM's code reads from general_settings (found in its "
            "source); the proxy ignores any other key."
        )
        return schema

    def litellm_settings(self) -> Schema:
        proxy_server = self.site / "proxy" / "proxy_server.py"
        special = reads.compared_strings(proxy_server, "load_config", "key")
        loop = reads.branches(self.site, proxy_server, "load_config", "key", "value", "initialize_callbacks_on_proxy")
        props = {name: self.convert(hint, 1) for name, hint in module_settings(self.litellm).items()}
        for name in sorted(special):
            typed = self.annotations.first(reads.Read(annotations=loop.types.get(name, [])))
            if typed is not None:
                props[name] = self.type_schema(typed)  # what load_config validates the value as
            props.setdefault(name, {})
        for name, read in sorted(self.keys_read("litellm_settings").items()):
            if name not in props or (props[name] == {} and read.annotations):
                props[name] = self.typed(read, "LiteLLM")
        props.update(_SPECIAL_SETTINGS)  # the bundle's own schemas of these, over what the hints say
        for name in sorted(loop.single & set(CALLBACK_KEYS)):
            props[name] = {"anyOf": [_CALLBACKS, _ONE_CALLBACK]}  # load_config takes one dotted path too
        schema = section(self.secured("litellm_settings", props), title="litellm_settings")
        schema["description"] = (
            "The litellm module's settings (litellm/__init__.py), the keys the proxy's load_config handles itself "
            "and every other key LiteLLM's code reads from litellm_settings; the proxy sets any other key on the "
            "litellm module, where nothing reads it."
        )
        return schema

    def cache_params(self) -> Schema:
        from litellm.caching.caching import Cache

        found = hints(Cache.__init__)
        params = inspect.signature(Cache.__init__).parameters
        props = {
            name: self.convert(found.get(name, Any), 1)
            for name, p in params.items()
            if name != "self" and not name.startswith("_") and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        }
        open_ = any(p.kind == p.VAR_KEYWORD for p in params.values())  # the rest goes to the cache client
        import redis

        client = inspect.signature(redis.Redis.__init__).parameters
        client_hints = hints(redis.Redis.__init__)
        for name, p in client.items():
            if name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
                props.setdefault(name, self.convert(client_hints.get(name, Any), 1))
        schema = section(self.secured("cache_params", props), open_=open_, title="litellm_settings.cache_params")
        schema["description"] = (
            "The parameters of litellm.caching.Cache() and, passed on by it, of the Redis client (redis.Redis)."
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
        site = self.site
        callbacks = set(typing.get_args(litellm._custom_logger_compatible_callbacks_literal))
        callbacks |= reads.compared_strings(
            site / "litellm_core_utils" / "litellm_logging.py", "set_callbacks", "callback"
        )
        callbacks |= reads.compared_strings(
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

        found = {
            name: cls.__name__
            for name, cls in CustomLoggerRegistry.CALLBACK_CLASS_STR_TO_CLASS_TYPE.items()
            if isinstance(cls, type)
        }
        for name, cls_name in _proxy_callback_classes(self.site / "proxy" / "common_utils" / "callback_utils.py"):
            found.setdefault(name, cls_name)
        return dict(sorted(found.items()))

    def rule(self) -> dict[str, Any]:
        """LiteLLM's rule for a sensitive key (SensitiveDataMasker), for names only known at
        validation time (environment variables, callback settings)."""
        return {
            "segments": sorted(self.masker.sensitive_patterns),
            "unless_segments": sorted(self.masker.non_sensitive_overrides),
            "secret": sorted(self.secret_names),
            "not_secret": sorted(self.not_secret),
        }


def constructor(convert: Converter, cls: type, skip: Iterable[str] = (), stop: type | None = None) -> Schema:
    """The keyword parameters a class takes, through its own and its bases' __init__ (as far as they
    pass **kwargs on, and not beyond `stop`), typed by their hints: open when the last one still
    takes **kwargs."""
    props: dict[str, Schema] = {}
    open_ = False
    for klass in cls.__mro__:
        if klass is stop:
            open_ = True
            break
        init = vars(klass).get("__init__")
        if init is None or klass is object:
            continue
        found = hints(init)
        params = inspect.signature(init).parameters
        for name, param in params.items():
            if name in ("self", "cls") or name.startswith("_") or name in skip:
                continue
            if param.kind == param.VAR_KEYWORD:
                unpacked = _unpacked(found.get(name))
                for key, hint in unpacked.items():
                    props.setdefault(key, convert(hint, 1))
                continue
            if param.kind != param.VAR_POSITIONAL:
                props.setdefault(name, convert(found.get(name, Any), 1))
        if not any(p.kind == p.VAR_KEYWORD and not _unpacked(found.get(n)) for n, p in params.items()):
            break
        open_ = True
    else:
        open_ = True
    return section(props, open_=open_)


def _unpacked(hint: Any) -> dict[str, Any]:
    """The keys of `**kwargs: Unpack[SomeTypedDict]`."""
    if hint is not None and getattr(typing.get_origin(hint), "_name", None) == "Unpack":
        (inner,) = typing.get_args(hint)
        return hints(inner) if is_typed_dict(inner) else {}
    if hint is not None and getattr(hint, "__origin__", None) is not None and "Unpack" in repr(hint):
        args = typing.get_args(hint)
        return hints(args[0]) if args and is_typed_dict(args[0]) else {}
    return {}


def module_settings(litellm: types.ModuleType) -> dict[str, Any]:
    """The litellm module's settings: names litellm/__init__.py assigns or imports as data at
    module level (the proxy applies every other litellm_settings key with setattr(litellm, ...))."""
    init = Path(inspect.getfile(litellm))
    tree = reads.parse(init)
    annotations = hints(litellm, vars(litellm))
    names: dict[str, Any] = {}
    for node in tree.body if tree is not None else []:
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


_SECRET_VALUE: Schema = {
    **ENV_REF,
    "x-secret": True,
    "x-check": "litellm-secret-value",
    "x-message": "carries a secret by LiteLLM's rule (a name with key, secret, token, password, auth, ...): write "
    "os.environ/NAME and declare NAME in config/secrets.yaml",
}
_CALLBACKS: Schema = {
    "title": "a list of callbacks",
    "type": "array",
    "items": {"type": "string"},
    "description": "LiteLLM callback names (names.schema.json#/$defs/callback) or dotted paths module.instance",
}
_ONE_CALLBACK: Schema = {
    "title": "one dotted path module.instance",
    "type": "string",
    "pattern": DOTTED,
    "description": "one callback object the proxy imports (load_config passes a single value on as it is)",
}
_SPECIAL_SETTINGS: dict[str, Schema] = {
    "cache": {"type": "boolean"},
    "cache_params": {"$ref": "cache_params.schema.json"},
    **dict.fromkeys(CALLBACK_KEYS, _CALLBACKS),
    "guardrails": {"type": "array", "description": "the older guardrails format (LiteLLM docs: guardrails v1)"},
}


def _proxy_callback_classes(file: Path) -> Iterator[tuple[str, str]]:
    """The callbacks the proxy builds itself (`initialize_callbacks_on_proxy`: `if callback == "name":`
    then `from ... import Class`), read statically: name -> the class it imports first."""
    if not file.is_file():
        return
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.If):
            continue
        names = [
            c.value
            for compare in ast.walk(node.test)
            if isinstance(compare, ast.Compare) and isinstance(compare.left, ast.Name) and compare.left.id == "callback"
            for c in compare.comparators
            if isinstance(c, ast.Constant) and isinstance(c.value, str)
        ]
        imported = next((n for n in node.body if isinstance(n, ast.ImportFrom) and n.names), None)
        if len(names) == 1 and imported is not None:
            yield names[0], imported.names[0].name
