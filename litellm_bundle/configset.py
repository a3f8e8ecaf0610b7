"""The config/ tree loaded as one set, and the effective configuration of one environment."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import sizing
from .policies import Policies
from .problems import LOAD, Location, PathKey, Problem, Ref, whole
from .schema_defaults import with_defaults
from .tree import BundleTree
from .yamlio import YamlDocument, parse_yaml, read_source

# the source files of config/ (besides environments/<env>.yaml); each is checked by <stem>.schema.json
SOURCE_FILES = ("models", "routing", "guardrails", "transforms", "secrets")
# the sections of config/litellm.yaml an environment overlays (`litellm:` in environments/<env>.yaml)
LITELLM_SECTIONS = ("litellm_settings", "general_settings", "router_settings", "environment_variables", "callback_settings")
# optional source files: loaded and checked when present (access: teams and keys as code)
OPTIONAL_SOURCES = ("access", "litellm")  # litellm: LiteLLM's own settings (none when absent)
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
            cs.problems.append(Problem(Location(shown, 1, 1), f"{shown} {what}; every config file is required ({', '.join(f + '.yaml' for f in SOURCE_FILES)})", stage=LOAD, subject=(shown, ())))
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
            cs.problems.append(Problem(Location(shown, 1, 1), f"unknown environment '{file.stem}' (allowed: {', '.join(environments)}); an overlay is named after its environment", stage=LOAD, subject=(shown, ())))
            text, _ = read_source(file, shown)
            if text is not None:  # not validated, but a secret in it is still a leak
                cs.files[f"unknown:{file.stem}"] = shown
                cs.texts[f"unknown:{file.stem}"] = text
            continue
        if not file.is_file():
            cs.problems.append(Problem(Location(shown, 1, 1), "is a directory, not a file", stage=LOAD, subject=(shown, ())))
            cs.broken.add(f"env:{file.stem}")
            continue
        _load(cs, f"env:{file.stem}", file)
    for env in environments:
        file = env_dir / f"{env}.yaml"
        if not file.exists():
            shown = tree.shown(file)
            cs.problems.append(Problem(Location(shown, 1, 1), f"environment overlay for '{env}' is missing", stage=LOAD, subject=(shown, ())))
    return cs


@dataclass
class Origin:
    """Part of an effective document that came from a source file at some path."""

    prefix: PathKey
    doc: YamlDocument
    source_path: PathKey


@dataclass
class EffectiveConfig:
    """What one environment runs: overlay, enabled groups (deployments filtered), guardrails, routing.

    Paths into it are mapped back to the file and path each part came from."""

    env: str
    data: dict[str, Any]
    origins: list[Origin]
    depends: list[tuple[PathKey, Ref]] = field(default_factory=list)  # effective path -> a source it was selected from

    def _origin(self, path: PathKey) -> tuple[Origin, PathKey]:
        best: Origin | None = None
        for origin in self.origins:
            n = len(origin.prefix)
            if tuple(path[:n]) == origin.prefix and (best is None or n > len(best.prefix)):
                best = origin
        assert best is not None, "the root origin always matches"
        return best, best.source_path + tuple(path[len(best.prefix):])

    def locate(self, path: PathKey) -> Location:
        origin, source_path = self._origin(path)
        return origin.doc.locate(source_path)

    def locate_value(self, path: PathKey) -> Location:
        origin, source_path = self._origin(path)
        return origin.doc.locate_value(source_path)

    def subject(self, path: PathKey) -> Ref:
        origin, source_path = self._origin(path)
        return (origin.doc.file, source_path)

    def because(self, path: PathKey) -> tuple[Ref, ...]:
        """The source places that make up the effective value at `path` besides its own origin."""
        path = tuple(path)
        parts = [whole((o.doc.file, o.source_path)) for o in self.origins if len(o.prefix) > len(path) and o.prefix[: len(path)] == path]
        selected = [source for at, source in self.depends if at[: len(path)] == path or path[: len(at)] == at]
        return tuple(parts + selected)


def _deployment_envs(dep: dict[str, Any], env: str) -> list[Any]:
    """Where a deployment runs: its environments, all when it names none; none when they are not
    a list (the schema reports that; running it everywhere would only add follow-on problems)."""
    if "environments" not in dep:
        return [env]
    envs = dep["environments"]
    return envs if isinstance(envs, list) else []


def effective_config(cs: ConfigSet, env: str) -> EffectiveConfig:
    overlay_doc = cs.env_doc(env)
    overlay = sizing.apply(cs.data(f"env:{env}"))  # workers, CPU and the HPA target from `sizing:` (sizing.py)
    models = as_map(cs.data("models").get("model_groups"))
    guardrails = as_list(cs.data("guardrails").get("guardrails"))
    origins = [Origin((), overlay_doc, ()), Origin(("environment",), overlay_doc, ())]

    groups: dict[str, Any] = {}
    models_doc = cs.docs.get("models")
    for name in as_list(overlay.get("model_groups")):
        group = models.get(name) if isinstance(name, str) else None
        if models_doc is None or not isinstance(group, dict) or name in groups:
            continue
        kept: list[dict[str, Any]] = []
        for index, dep in enumerate(as_list(group.get("deployments"))):
            if isinstance(dep, dict) and env in _deployment_envs(dep, env):
                origins.append(Origin(("model_groups", name, "deployments", len(kept)), models_doc, ("model_groups", name, "deployments", index)))
                kept.append(dep)
        groups[name] = {**group, "deployments": kept}
        origins.append(Origin(("model_groups", name), models_doc, ("model_groups", name)))

    enabled_guardrails: list[dict[str, Any]] = []
    wanted = [w for w in as_list(overlay.get("guardrails")) if isinstance(w, str)]
    origins.append(Origin(("guardrails",), overlay_doc, ("guardrails",)))
    guardrails_doc = cs.docs.get("guardrails")
    for index, g in enumerate(guardrails):
        if guardrails_doc is not None and isinstance(g, dict) and g.get("name") in wanted:
            origins.append(Origin(("guardrails", len(enabled_guardrails)), guardrails_doc, ("guardrails", index)))
            enabled_guardrails.append(g)

    if "routing" in cs.docs:
        origins.append(Origin(("routing",), cs.docs["routing"], ()))
    from .access import effective_access

    access, access_origins = effective_access(cs, env)
    origins += access_origins
    data = {
        "env": env,
        "environment": overlay,
        "model_groups": groups,
        "guardrails": enabled_guardrails,
        "routing": cs.data("routing"),
        "access": access,
        "litellm": litellm_sections(cs, env, wanted, origins),
    }
    # the enabled groups and guardrails are picked from these lists: a problem with them explains a missing one
    depends: list[tuple[PathKey, Ref]] = [(("model_groups",), whole((cs.files.get("models", "models"), ("model_groups",)))),
               (("guardrails",), whole((cs.files.get("guardrails", "guardrails"), ("guardrails",))))]
    return EffectiveConfig(env=env, data=data, origins=origins, depends=depends)


def _merge(base: dict[str, Any], over: dict[str, Any], path: PathKey, doc: YamlDocument, source: PathKey, origins: list[Origin]) -> dict[str, Any]:
    """`over` merged into `base`: mappings key by key, any other value replaces; each value taken
    from `over` is located in `doc`."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            out[key] = _merge(base[key], value, path + (key,), doc, source + (key,), origins)
        else:
            out[key] = value
            origins.append(Origin(path + (key,), doc, source + (key,)))
    return out


def litellm_sections(cs: ConfigSet, env: str, enabled: list[str], origins: list[Origin]) -> dict[str, Any]:
    """The LiteLLM settings one environment runs with: config/litellm.yaml with the environment's
    `litellm:` merged over it, its credentials, and the LiteLLM-native guardrails it enables."""
    base = cs.data("litellm")
    base_doc = cs.docs.get("litellm")
    overlay_doc = cs.env_doc(env)
    overlay = as_map(cs.data(f"env:{env}").get("litellm"))
    if base_doc is not None:
        origins.append(Origin(("litellm",), base_doc, ()))
    out: dict[str, Any] = {}
    for section in LITELLM_SECTIONS:
        if section in base or section in overlay:
            out[section] = _merge(as_map(base.get(section)), as_map(overlay.get(section)), ("litellm", section), overlay_doc, ("litellm", section), origins)
    out["credential_list"] = [c for c in as_list(base.get("credential_list")) if isinstance(c, dict)]
    guardrails: list[dict[str, Any]] = []
    for index, guardrail in enumerate(as_list(base.get("guardrails"))):
        if base_doc is not None and isinstance(guardrail, dict) and guardrail.get("guardrail_name") in enabled:
            origins.append(Origin(("litellm", "guardrails", len(guardrails)), base_doc, ("guardrails", index)))
            guardrails.append(guardrail)
    out["guardrails"] = guardrails
    return out
