"""The config/ tree loaded as one set, and the effective configuration of one environment."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litellm_bundle.core.problems import Location, PathKey, Problem
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.core.yamlio import YamlDocument, parse_yaml, read_source
from litellm_bundle.policy.policies import Policies
from litellm_bundle.policy.schema_defaults import with_defaults

# the source files of config/ (besides environments/<env>.yaml); each is checked by <stem>.schema.json
SOURCE_FILES = ("models", "routing", "guardrails", "transforms", "secrets")
# the sections of config/litellm.yaml an environment overlays (`litellm:` in environments/<env>.yaml)
LITELLM_SECTIONS = (
    "litellm_settings",
    "general_settings",
    "router_settings",
    "environment_variables",
    "callback_settings",
)
# optional source files: loaded and checked when present (access: teams and keys as code; waivers: problems
# the bundle accepts, by check id: checks/waivers.py)
OPTIONAL_SOURCES = ("access", "litellm", "waivers")  # litellm: LiteLLM's own settings (none when absent)
ENVIRONMENT_SCHEMA = "environment.schema.json"


def schema_name(key: str) -> str:
    """The schema of a source document key ("models", ..., "env:prod")."""
    return ENVIRONMENT_SCHEMA if key.startswith("env:") else f"{key}.schema.json"


def as_map(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@dataclass
class ConfigSet:
    """Every source file: documents with positions and their plain data (schema defaults filled in
    once the whole set is schema-valid, see with_schema_defaults)."""

    tree: BundleTree
    docs: dict[str, YamlDocument] = field(default_factory=dict)  # "models", ..., "env:prod"
    problems: list[Problem] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # source text of each file that could be read
    files: dict[str, str] = field(default_factory=dict)  # key -> file as shown, for every expected or found file
    broken: set[str] = field(default_factory=set)  # keys of files that are missing or could not be read as data
    _filled: dict[str, dict[str, Any]] = field(default_factory=dict)

    def data(self, key: str) -> dict[str, Any]:
        if key in self._filled:
            return self._filled[key]
        doc = self.docs.get(key)
        return as_map(doc.data) if doc is not None else {}

    def with_schema_defaults(self, policies: Policies) -> None:
        """From now on data() carries the defaults the source schemas declare."""
        for key in self.docs:
            schema = policies.schemas[schema_name(key)]
            self._filled[key] = with_defaults(schema, self.data(key), policies.registry)

    @property
    def environments(self) -> list[str]:
        return sorted(k.split(":", 1)[1] for k in self.docs if k.startswith("env:"))

    def env_doc(self, env: str) -> YamlDocument:
        return self.docs[f"env:{env}"]

    def usable(self, *keys: str) -> bool:
        """Whether every named document loaded (a check that needs a broken one would only cascade)."""
        return all(k in self.docs and k not in self.broken for k in keys)


def _load(cs: ConfigSet, key: str, file: Any) -> None:
    shown = cs.tree.shown(file)
    cs.files[key] = shown
    text, problems = read_source(file, shown)
    doc = None
    if text is not None:
        cs.texts[key] = text
        doc, more = parse_yaml(text, shown)
        problems = problems + more
    cs.problems.extend(problems)
    if doc is None:
        cs.broken.add(key)
    else:
        cs.docs[key] = doc


def load_config_set(tree: BundleTree, environments: tuple[str, ...]) -> ConfigSet:
    """Load the source files and environments/<env>.yaml of `tree`; every file problem becomes a problem."""
    cs = ConfigSet(tree=tree)
    for stem in SOURCE_FILES:
        file = tree.config_dir / f"{stem}.yaml"
        if not file.is_file():
            shown = tree.shown(file)
            cs.files[stem] = shown
            cs.broken.add(stem)
            what = "is a directory, not a file" if file.is_dir() else "is missing"
            cs.problems.append(
                Problem(
                    Location(shown, 1, 1),
                    f"{shown} {what}; every config file is required ({', '.join(f + '.yaml' for f in SOURCE_FILES)})",
                    check="file-missing",
                    subject=(shown, ()),
                )
            )
            continue
        _load(cs, stem, file)
    for stem in OPTIONAL_SOURCES:
        if (tree.config_dir / f"{stem}.yaml").exists():
            _load(cs, stem, tree.config_dir / f"{stem}.yaml")
    env_dir = tree.environments_dir
    found = sorted(env_dir.glob("*.yaml")) if env_dir.is_dir() else []
    for file in found:
        shown = tree.shown(file)
        if file.stem not in environments:
            cs.problems.append(
                Problem(
                    Location(shown, 1, 1),
                    f"unknown environment '{file.stem}' (allowed: {', '.join(environments)}); an overlay is named "
                    "after its environment",
                    check="environment-unknown",
                    subject=(shown, ()),
                )
            )
            text, _ = read_source(file, shown)
            if text is not None:  # not validated, but a secret in it is still a leak
                cs.files[f"unknown:{file.stem}"] = shown
                cs.texts[f"unknown:{file.stem}"] = text
            continue
        if not file.is_file():
            cs.problems.append(
                Problem(Location(shown, 1, 1), "is a directory, not a file", check="file-missing", subject=(shown, ()))
            )
            cs.broken.add(f"env:{file.stem}")
            continue
        _load(cs, f"env:{file.stem}", file)
    for env in environments:
        file = env_dir / f"{env}.yaml"
        if not file.exists():
            shown = tree.shown(file)
            cs.problems.append(
                Problem(
                    Location(shown, 1, 1),
                    f"environment overlay for '{env}' is missing",
                    check="file-missing",
                    subject=(shown, ()),
                )
            )
    return cs


@dataclass
class Origin:
    """Part of an effective document that came from a source file at some path."""

    prefix: PathKey
    doc: YamlDocument
    source_path: PathKey
