"""The top-level sections of a LiteLLM config.yaml as the installed proxy reads them: found in its
source (every key read from the whole config), each typed by the model its loader builds
(policies/litellm/sections.json), and the whole config as one schema (config.schema.json: its
`properties` are exactly the sections this version reads)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from litellm_bundle.surface import reads
from litellm_bundle.surface.convert import Schema, section
from litellm_bundle.surface.settings import Surface

# the sections the generator types itself (their own files), by the schema of one section or of one item
OWN_SECTIONS: dict[str, Schema] = {
    "litellm_settings": {"$ref": "litellm_settings.schema.json"},
    "general_settings": {"$ref": "general_settings.schema.json"},
    "router_settings": {"$ref": "router_settings.schema.json"},
    "callback_settings": {"$ref": "callback_settings.schema.json"},
    "credential_list": {"type": "array", "items": {"$ref": "credential.schema.json"}},
    "guardrails": {"type": "array", "items": {"$ref": "guardrail.schema.json"}},
    "environment_variables": {
        "type": "object",
        "description": "variables the proxy sets in its own environment at start",
        "additionalProperties": {"type": ["string", "number", "boolean"]},
    },
}


@dataclass
class Sections:
    """The generated section files (name -> schema), config.schema.json, and what surface.json
    says about them."""

    files: dict[str, Schema] = field(default_factory=dict)
    config: Schema = field(default_factory=dict)
    untyped: list[str] = field(default_factory=list)
    fallbacks: dict[str, str] = field(default_factory=dict)


def _model(candidates: list[str]) -> Any:
    for dotted in candidates:
        module, _, name = dotted.rpartition(".")
        try:
            return getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue
    return None


def _item(surface: Surface, name: str, entry: Mapping[str, Any]) -> Schema | None:
    """One item of a section: its model's schema (with the forms the loader also accepts and the
    fields its loader reads key by key), the schema sections.json gives, or None when neither is there."""
    item = entry.get("item")
    if item == "provider_credentials":
        props = surface.credential_params()
        props["custom_llm_provider"] = {"$ref": "names.schema.json#/$defs/provider"}
        return section(props, ["custom_llm_provider"], open_=True)
    if isinstance(item, dict):
        schema: Schema = dict(item)
    else:
        model = _model(list(entry.get("model") or []))
        if model is None:
            return None
        schema = surface.convert(model, 0, in_mapping=False)
        schema["description"] = f"{model.__module__}.{model.__qualname__} ({entry.get('loader', 'its loader')})"
    properties = schema.get("properties")
    if isinstance(properties, dict):
        if entry.get("only"):
            schema["properties"] = properties = {k: v for k, v in properties.items() if k in entry["only"]}
        if entry.get("credentials"):  # the provider's credentials, passed on with the item's own keys
            for key, value in surface.credential_params().items():
                properties.setdefault(key, value)
        if "required" in entry:
            schema["required"] = list(entry["required"])
        for key, alternative in dict(entry.get("also") or {}).items():
            if key in properties:
                properties[key] = {"anyOf": [properties[key], alternative]}
        for key, field_entry in dict(entry.get("fields") or {}).items():
            typed = _item(surface, f"{name}.{key}", field_entry)
            if typed is not None and key in properties:
                properties[key] = typed
    return schema


def _shaped(shape: str, item: Schema) -> Schema:
    if shape == "list":
        return {"type": "array", "items": item}
    if shape == "map":
        return {"type": "object", "propertyNames": {"minLength": 1}, "additionalProperties": item}
    return item


def sections(surface: Surface, version: str) -> Sections:
    proxy_server = surface.site / "proxy" / "proxy_server.py"
    found = reads.config_sections(surface.site, proxy_server)
    known: Mapping[str, Any] = surface.inputs.get("sections", {})
    out = Sections(fallbacks=dict(sorted(found.fallbacks.items())))
    properties: dict[str, Schema] = {}
    nullable: dict[str, bool] = {}
    for name in sorted(found.sections):
        if name in found.fallbacks:
            continue  # typed as the section it stands in for, below
        entry = known.get(name, {})
        nullable[name] = entry.get("nullable", True) is not False
        if name == "model_list":
            properties[name] = {"type": "array", "items": surface.deployment()}
            continue
        if name in OWN_SECTIONS:
            properties[name] = OWN_SECTIONS[name]
            continue
        item = _item(surface, name, entry) if entry else None
        if item is None:
            out.untyped.append(name)
            item = {"description": "a section this LiteLLM version reads that the bundle does not type yet"}
        if isinstance(item.get("properties"), dict):  # secrets by LiteLLM's rule, at every depth of an item
            item = {**item, "properties": surface.secured(name, item["properties"], nested=True)}
            item["x-allowed"] = (
                f"the keys LiteLLM {version} reads for one entry of {name}, see policies/litellm/{version}/"
                f"{name}.schema.json"
            )
        schema = _shaped(str(entry.get("shape", "object")), item)
        out.files[name] = {"title": name, **schema}
        properties[name] = {"$ref": f"{name}.schema.json"}
    for fallback, primary in found.fallbacks.items():
        properties[fallback] = {
            **properties.get(primary, {}),
            "description": f"read only when {primary} is absent (the same section under its older name)",
        }
        nullable[fallback] = nullable.get(primary, True)
    config = {
        name: ({"anyOf": [schema, {"type": "null"}]} if nullable.get(name, True) else schema)
        for name, schema in properties.items()
    }
    out.config = section(config, title="a LiteLLM config.yaml")
    out.config["description"] = (
        f"The top-level sections LiteLLM {version}'s proxy reads from its config (found in its source); a section "
        "present but empty (null) is read as absent, except where LiteLLM refuses it. The proxy ignores any other key."
    )
    if found.fallbacks:
        out.config["dependentSchemas"] = {
            primary: {
                "properties": {
                    fallback: {
                        "not": {},
                        "x-message": f"is {primary} under its older name; with {primary} set, LiteLLM reads {primary} "
                        f"and ignores {fallback}: keep one",
                    }
                }
            }
            for fallback, primary in found.fallbacks.items()
        }
    return out
