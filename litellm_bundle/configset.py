"""The config/ tree loaded as one set, and the effective configuration of one environment."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .policies import Policies
from .problems import Location, Problem
from .schema_defaults import with_defaults
from .tree import BundleTree
from .yamlio import PathKey, YamlDocument, load_yaml, plain

# the source files of config/ (besides environments/<env>.yaml); each is checked by <stem>.schema.json
SOURCE_FILES = ("models", "routing", "guardrails", "transforms", "secrets")
ENVIRONMENT_SCHEMA = "environment.schema.json"


def schema_name(key: str) -> str:
    """The schema of a source document key ("models", ..., "env:prod")."""
    return ENVIRONMENT_SCHEMA if key.startswith("env:") else f"{key}.schema.json"


@dataclass
class ConfigSet:
    """Every source file: documents with positions and their plain data (schema defaults filled in
    once the whole set is schema-valid, see with_schema_defaults)."""

    tree: BundleTree
    docs: dict[str, YamlDocument] = field(default_factory=dict)  # "models", ..., "env:prod"
    problems: list[Problem] = field(default_factory=list)
    _filled: dict[str, dict[str, Any]] = field(default_factory=dict)

    def data(self, key: str) -> dict[str, Any]:
        if key in self._filled:
            return self._filled[key]
        doc = self.docs.get(key)
        value = plain(doc.data) if doc is not None else {}
        return value if isinstance(value, dict) else {}

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


def load_config_set(tree: BundleTree, environments: tuple[str, ...]) -> ConfigSet:
    """Load the source files and environments/<env>.yaml of `tree`; YAML errors become problems."""
    cs = ConfigSet(tree=tree)
    for stem in SOURCE_FILES:
        file = tree.config_dir / f"{stem}.yaml"
        shown = tree.shown(file)
        if not file.exists():
            cs.problems.append(Problem(Location(shown, 1, 1), "file is missing; every config file is required"))
            continue
        doc, problems = load_yaml(file, shown)
        cs.problems.extend(problems)
        if doc is not None:
            cs.docs[stem] = doc
    env_dir = tree.environments_dir
    for file in sorted(env_dir.glob("*.yaml")):
        shown = tree.shown(file)
        if file.stem not in environments:
            cs.problems.append(Problem(Location(shown, 1, 1), f"unknown environment '{file.stem}' (allowed: {', '.join(environments)})"))
            continue
        doc, problems = load_yaml(file, shown)
        cs.problems.extend(problems)
        if doc is not None:
            cs.docs[f"env:{file.stem}"] = doc
    for env in environments:
        if not (env_dir / f"{env}.yaml").exists():
            cs.problems.append(Problem(Location(tree.shown(env_dir / f"{env}.yaml"), 1, 1), f"environment overlay for '{env}' is missing"))
    return cs


@dataclass
class Origin:
    """Part of an effective document that came from a source file at some path."""

    prefix: PathKey
    doc: YamlDocument
    source_path: PathKey


@dataclass
class EffectiveConfig:
    """What one environment runs: overlay, enabled groups (deployments filtered), guardrails, routing."""

    env: str
    data: dict[str, Any]
    origins: list[Origin]

    def locate(self, path: PathKey) -> Location:
        best: Origin | None = None
        for origin in self.origins:
            n = len(origin.prefix)
            if tuple(path[:n]) == origin.prefix and (best is None or n > len(best.prefix)):
                best = origin
        assert best is not None, "the root origin always matches"
        rest = tuple(path[len(best.prefix):])
        return best.doc.locate(best.source_path + rest)


def effective_config(cs: ConfigSet, env: str) -> EffectiveConfig:
    overlay_doc = cs.env_doc(env)
    overlay = cs.data(f"env:{env}")
    models = cs.data("models").get("model_groups", {}) or {}
    guardrails = cs.data("guardrails").get("guardrails", []) or []
    origins = [Origin((), overlay_doc, ()), Origin(("environment",), overlay_doc, ())]

    groups: dict[str, Any] = {}
    enabled = overlay.get("model_groups") or []
    for name in enabled if isinstance(enabled, list) else []:
        group = models.get(name) if isinstance(models, dict) else None
        if not isinstance(group, dict):
            continue
        kept = []
        for index, dep in enumerate(group.get("deployments") or []):
            if isinstance(dep, dict) and env in (dep.get("environments") or [env]):
                origins.append(Origin(("model_groups", name, "deployments", len(kept)), cs.docs["models"], ("model_groups", name, "deployments", index)))
                kept.append(dep)
        groups[name] = {**group, "deployments": kept}
        origins.append(Origin(("model_groups", name), cs.docs["models"], ("model_groups", name)))

    enabled_guardrails = []
    wanted = overlay.get("guardrails") or []
    origins.append(Origin(("guardrails",), overlay_doc, ("guardrails",)))
    for index, g in enumerate(guardrails if isinstance(guardrails, list) else []):
        if isinstance(g, dict) and g.get("name") in wanted:
            origins.append(Origin(("guardrails", len(enabled_guardrails)), cs.docs["guardrails"], ("guardrails", index)))
            enabled_guardrails.append(g)

    if "routing" in cs.docs:
        origins.append(Origin(("routing",), cs.docs["routing"], ()))
    data = {
        "env": env,
        "environment": overlay,
        "model_groups": groups,
        "guardrails": enabled_guardrails,
        "routing": cs.data("routing"),
    }
    return EffectiveConfig(env=env, data=data, origins=origins)
