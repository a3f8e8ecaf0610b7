"""LiteLLM's integrations as the installed litellm configures them: each guardrail integration's own
parameters (its config model, its class's constructor, what its code reads from litellm_params) and
each callback's settings (callback_settings: what LiteLLM validates them as, or the constructor of
the class they are passed to)."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from litellm_bundle.surface import reads
from litellm_bundle.surface.convert import Schema, hints, section
from litellm_bundle.surface.settings import Surface, constructor


def _package_files(cls: type) -> list[Path]:
    """The source of an integration: its module, or its package when it lives in one."""
    file = Path(inspect.getfile(cls))
    return (
        sorted(file.parent.glob("*.py"))
        if file.name == "__init__.py" or file.parent.name != "guardrail_hooks"
        else [file]
    )


def guardrail_integrations(surface: Surface) -> tuple[dict[str, Schema], dict[str, list[str]]]:
    """Each integration's own parameters beyond LitellmParams' shared ones: (parameter -> schema,
    integration -> its parameters)."""
    from litellm.proxy.guardrails.guardrail_registry import guardrail_class_registry
    from litellm.types.guardrails import BaseLitellmParams, LitellmParams

    internal = set(surface.inputs.get("guardrail_internal_params", {}).get("names", []))
    # what code reads from litellm_params that is no parameter: a dict's or a model's methods and properties
    methods = {n for n in dir(LitellmParams) if n not in LitellmParams.model_fields} | set(dir(dict))
    shared = set(BaseLitellmParams.model_fields) | set(vars(LitellmParams).get("__annotations__", {}))
    candidates: dict[str, list[tuple[str, Schema]]] = {}
    per_integration: dict[str, list[str]] = {}
    for name, cls in sorted(guardrail_class_registry.items()):
        own: dict[str, Schema] = {}
        config_model = cls.get_config_model() if hasattr(cls, "get_config_model") else None
        if config_model is not None:
            for field, info in config_model.model_fields.items():
                own[field] = surface.convert.field(info.annotation, 1, info)
        base = next((c for c in cls.__mro__ if c.__name__ == "CustomGuardrail"), None)
        built = constructor(surface.convert, cls, skip=internal, stop=base)  # CustomGuardrail's are shared
        for field, schema in built.get("properties", {}).items():
            own.setdefault(field, schema)
        read = reads.attribute_reads(_package_files(cls), "litellm_params") - methods
        read |= reads.string_arguments(_package_files(cls), "_get_litellm_param", 2)
        for field in sorted(read - internal):
            own.setdefault(field, {"description": f"read by the {name} integration (not typed by LiteLLM)"})
        own = {k: v for k, v in own.items() if k not in internal and not k.startswith("_") and k.isidentifier()}
        per_integration[name] = sorted(set(own) - shared)
        for field in per_integration[name]:
            candidates.setdefault(field, []).append((name, own[field]))
    params: dict[str, Schema] = {}
    for field, found in sorted(candidates.items()):
        kinds = {repr(schema) for _, schema in found}
        owners = ", ".join(owner for owner, _ in found)
        # a parameter several integrations take is typed once (untyped when they type it differently)
        params[field] = found[0][1] if len(kinds) == 1 else {"description": f"a parameter of {owners}, typed by each"}
    return params, {k: v for k, v in per_integration.items() if v}


def guardrail(surface: Surface) -> tuple[Schema, dict[str, list[str]]]:
    """A `guardrails` entry: Guardrail with LitellmParams and every integration's own parameters
    (which one takes which is in surface.json; checks/litellm_settings.py holds each guardrail to its
    integration's)."""
    from litellm.types.guardrails import Guardrail, LitellmParams

    params = {
        name: surface.convert.field(info.annotation, 1, info) for name, info in LitellmParams.model_fields.items()
    }
    extra, per_integration = guardrail_integrations(surface)
    for name, schema in extra.items():
        params.setdefault(name, schema)
    params["guardrail"] = {
        "description": "a guardrail integration of LiteLLM (names.schema.json#/$defs/guardrail) "
        "or a dotted path module.ClassName",
        "type": "string",
    }
    litellm_params = section(
        surface.secured("guardrail_litellm_params", params),
        ["guardrail", "mode"],
        open_=LitellmParams.model_config.get("extra") == "allow",
    )
    props = {
        name: surface.convert(hint, 1)
        for name, hint in hints(Guardrail).items()
        if name not in ("litellm_params", "created_at", "updated_at")
    }
    props["litellm_params"] = litellm_params
    schema = section(props, sorted(getattr(Guardrail, "__required_keys__", ())), title="a guardrail")
    schema["description"] = (
        "litellm.types.guardrails.Guardrail with LitellmParams and each integration's own parameters (its config "
        "model, its class's constructor, what its code reads); a custom guardrail class receives the keys LiteLLM "
        "does not name."
    )
    return schema, per_integration


def _callback_classes() -> dict[str, type]:
    from litellm.litellm_core_utils.custom_logger_registry import CustomLoggerRegistry

    return {
        name: cls
        for name, cls in sorted(CustomLoggerRegistry.CALLBACK_CLASS_STR_TO_CLASS_TYPE.items())
        if isinstance(cls, type)
    }


def callback_settings(surface: Surface, names: Iterable[str]) -> Schema:
    """callback_settings: callback name -> its settings. Typed as LiteLLM's code takes them where
    it reads one callback's settings itself (an interception's config, presidio's constructor); a
    callback LiteLLM builds from its registry gets them as constructor arguments (typed by the
    constructor, open where it takes **kwargs); a name of the user's own (a generic_api callback)
    is a mapping."""
    props: dict[str, Schema] = {}
    for holder in ("callback_specific_params", "callback_settings"):
        for name, read in sorted(surface.keys_read(holder).items()):
            if name in props or name not in set(names) | _interceptions(surface):
                continue
            hint = surface.annotations.first(read)
            if hint is not None:
                props[name] = {"description": "typed as LiteLLM's code takes these settings", **_object(surface, hint)}
    for name, cls in _callback_classes().items():
        if name not in props:
            built = constructor(surface.convert, cls)
            props[name] = {
                "description": f"passed to {cls.__name__}() as keyword arguments",
                **built,
            }
    schema: Schema = {
        "title": "callback_settings",
        "type": "object",
        "properties": dict(sorted(props.items())),
        "additionalProperties": {
            "type": "object",
            "description": "the settings of a callback named by the user (e.g. callback_type: generic_api)",
        },
    }
    schema["description"] = (
        "Callback name -> its settings, typed where LiteLLM types them: the configs LiteLLM's code validates one "
        "callback's settings as, else the constructor of the callback's class."
    )
    return schema


def _interceptions(surface: Surface) -> set[str]:
    """Names load_config's callback setup hands these settings to (compared against `callback`)."""
    return reads.compared_strings(
        surface.site / "proxy" / "common_utils" / "callback_utils.py", "initialize_callbacks_on_proxy", "callback"
    )


def _object(surface: Surface, hint: Any) -> Schema:
    schema = surface.type_schema(hint)
    if typing.get_origin(hint) is not None and "anyOf" in schema:
        return {"type": "object"}
    return schema
