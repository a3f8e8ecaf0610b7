"""The policy data of one bundle tree, each file loaded once: JSON Schemas (sources and hooks.json),
environment policies, secret detectors, the environments and the os.environ/NAME reference pattern.

Validation and rendering both read their data here; neither imports the other for it."""

from __future__ import annotations

import json
import re
from functools import cached_property
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from litellm_bundle.core.tree import BundleTree

HOOKS_SCHEMA = "hooks.schema.json"
COMMON_SCHEMA = "common.schema.json"
LITELLM_SURFACE = "surface.json"
LITELLM_REF = "../litellm/"  # how the source schemas refer to LiteLLM's surface


class PolicyError(Exception):
    """A policy file of the bundle itself is broken (not a problem of the user's sources)."""


# schemas (as canonical JSON) that passed the meta-schema in this process: checking one again finds the same
_META_CHECKED: set[str] = set()


def _check_schema(schema: Any) -> None:
    """Draft202012Validator.check_schema, once per distinct schema per process (it raises SchemaError)."""
    key = json.dumps(schema, sort_keys=True)
    if key not in _META_CHECKED:
        Draft202012Validator.check_schema(schema)
        _META_CHECKED.add(key)


def _read_json(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(f"{file}: cannot read: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise PolicyError(f"{file}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from exc


class Policies:
    """Loaded lazily, cached for the lifetime of this object (one command run)."""

    def __init__(self, tree: BundleTree, surface_dir: Path | None = None):
        """`surface_dir`: check against this LiteLLM surface (policies/litellm/<version>/ of another version, or
        one `make upgrade` generated elsewhere) instead of the pinned version's."""
        self.tree = tree
        self.surface_dir = surface_dir
        self._validators: dict[Path, Draft202012Validator] = {}
        self._versions: dict[str, Policies] = {}

    def for_version(self, version: str) -> Policies:
        """The same tree's policies checked against LiteLLM `version`'s committed surface (an environment's
        own `litellm_version`); this object for the pinned version."""
        if version == self.tree.pinned_version() and self.surface_dir is None:
            return self
        if version not in self._versions:
            self._versions[version] = Policies(self.tree, self.tree.litellm_surface_dir(version))
        return self._versions[version]

    @cached_property
    def schemas(self) -> dict[str, dict[str, Any]]:
        """File name -> schema, for every schema in policies/schemas/."""
        return {file.name: _read_json(file) for file in sorted(self.tree.schemas_dir.glob("*.json"))}

    @cached_property
    def litellm_dir(self) -> Path | None:
        """LiteLLM's configuration surface for the pinned version (policies/litellm/<LITELLM_VERSION>/,
        `make litellm-schema`); until it is generated after a version bump, the newest one
        committed (validate warns about it, so CI fails until it is there). A `surface_dir` given to
        the constructor is used as it is."""
        if self.surface_dir is not None:
            if not (self.surface_dir / LITELLM_SURFACE).is_file():
                raise PolicyError(f"{self.tree.shown(self.surface_dir)} holds no LiteLLM surface ({LITELLM_SURFACE})")
            return self.surface_dir
        pinned = self.tree.litellm_schemas_dir
        if pinned.is_dir():
            return pinned
        committed = (
            [d for d in pinned.parent.glob("*") if d.is_dir() and re.fullmatch(r"[0-9]+(\.[0-9]+)*", d.name)]
            if pinned.parent.is_dir()
            else []
        )
        if not committed:
            if any(LITELLM_REF in json.dumps(schema) for schema in self.schemas.values()):
                raise PolicyError(
                    f"{self.tree.shown(pinned)} is missing: the LiteLLM schemas of the pinned version; run `make "
                    "litellm-schema`"
                )
            return None  # a tree from before the LiteLLM surface (e.g. a git ref for `diff`)
        return max(committed, key=lambda d: tuple(int(part) for part in d.name.split(".")))

    @cached_property
    def litellm_schemas(self) -> dict[str, dict[str, Any]]:
        """File name -> schema of LiteLLM's configuration surface (see litellm_dir)."""
        folder = self.litellm_dir
        return {file.name: _read_json(file) for file in sorted(folder.glob("*.schema.json"))} if folder else {}

    @cached_property
    def litellm_surface(self) -> dict[str, Any]:
        """LiteLLM's secret-bearing parameters, sensitive-key rule and callback classes (surface.json)."""
        folder = self.litellm_dir
        if folder is None:
            return {"version": None, "secret_params": {}, "sensitive_key_rule": {}, "callback_classes": {}}
        data = _read_json(folder / LITELLM_SURFACE)
        if not isinstance(data, dict) or data.get("version") != folder.name:
            raise PolicyError(
                f"{self.tree.shown(folder / LITELLM_SURFACE)} is not for LiteLLM {folder.name}; run `make "
                "litellm-schema`"
            )
        return data

    @cached_property
    def registry(self) -> Registry:
        every = [*self.schemas.values(), *self.litellm_schemas.values()]
        return Registry().with_resources((schema["$id"], Resource.from_contents(schema)) for schema in every)

    def validator(self, file: Path) -> Draft202012Validator:
        """A validator for a schema file (a source schema or an environment policy), refs resolved in this tree."""
        if file not in self._validators:
            schema = self.schemas.get(file.name) if file.parent == self.tree.schemas_dir else _read_json(file)
            if schema is None:
                raise PolicyError(f"{file}: no such schema")
            _check_schema(schema)
            self._validators[file] = Draft202012Validator(schema, registry=self.registry)
        return self._validators[file]

    def source_schema(self, name: str) -> Path:
        return self.tree.schemas_dir / name

    def environment_policies(self, env: str) -> list[Path]:
        """The policy files that apply to `env`: base first (with litellm.policy.json, the LiteLLM
        keys the bundle owns), then the environment's own (when present)."""
        folder = self.tree.env_policies_dir
        return [
            f
            for f in (folder / "base.policy.json", folder / "litellm.policy.json", folder / f"{env}.policy.json")
            if f.exists()
        ]

    @cached_property
    def hooks_schema(self) -> dict[str, Any]:
        return self.schemas[HOOKS_SCHEMA]

    @cached_property
    def detectors(self) -> dict[str, dict[str, str]]:
        """Secret detectors: name -> {description, pattern}. Drives `validate` and the redaction guardrail."""
        data = _read_json(self.tree.secret_patterns_file)
        detectors = data.get("detectors") if isinstance(data, dict) else None
        if not isinstance(detectors, dict) or not detectors:
            raise PolicyError(f"{self.tree.secret_patterns_file}: expected a non-empty 'detectors' mapping")
        for name, detector in detectors.items():
            try:
                re.compile(detector["pattern"])
            except (KeyError, TypeError, re.error) as exc:
                raise PolicyError(
                    f"{self.tree.secret_patterns_file}: detector '{name}' has no valid pattern: {exc}"
                ) from exc
        return detectors

    @cached_property
    def compiled_detectors(self) -> list[tuple[str, str, re.Pattern[str]]]:
        return [(name, d["description"], re.compile(d["pattern"])) for name, d in self.detectors.items()]

    @cached_property
    def environments(self) -> tuple[str, ...]:
        """The bundle's environments, in declaration order (common.schema.json#/$defs/environment)."""
        return tuple(self.schemas[COMMON_SCHEMA]["$defs"]["environment"]["enum"])

    @cached_property
    def env_ref(self) -> re.Pattern[str]:
        """os.environ/NAME, with NAME as group 1 (common.schema.json#/$defs/envRef is the one place)."""
        return re.compile(self.schemas[COMMON_SCHEMA]["$defs"]["envRef"]["pattern"])
