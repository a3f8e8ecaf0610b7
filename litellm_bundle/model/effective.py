"""The effective configuration of one environment: the sources with the environment's overlay merged
in, the model groups and guardrails it enables, its teams and keys, and where every value came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litellm_bundle.core.problems import Location, PathKey, Ref, whole
from litellm_bundle.core.yamlio import YamlDocument
from litellm_bundle.model import sizing
from litellm_bundle.model.access import effective_access
from litellm_bundle.model.configset import LITELLM_SECTIONS, ConfigSet, Origin, as_list, as_map


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
        return best, best.source_path + tuple(path[len(best.prefix) :])

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
        parts = [
            whole((o.doc.file, o.source_path))
            for o in self.origins
            if len(o.prefix) > len(path) and o.prefix[: len(path)] == path
        ]
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
                origins.append(
                    Origin(
                        ("model_groups", name, "deployments", len(kept)),
                        models_doc,
                        ("model_groups", name, "deployments", index),
                    )
                )
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
    depends: list[tuple[PathKey, Ref]] = [
        (("model_groups",), whole((cs.files.get("models", "models"), ("model_groups",)))),
        (("guardrails",), whole((cs.files.get("guardrails", "guardrails"), ("guardrails",)))),
    ]
    return EffectiveConfig(env=env, data=data, origins=origins, depends=depends)


def _merge(
    base: dict[str, Any], over: dict[str, Any], path: PathKey, doc: YamlDocument, source: PathKey, origins: list[Origin]
) -> dict[str, Any]:
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
            out[section] = _merge(
                as_map(base.get(section)),
                as_map(overlay.get(section)),
                ("litellm", section),
                overlay_doc,
                ("litellm", section),
                origins,
            )
    out["credential_list"] = [c for c in as_list(base.get("credential_list")) if isinstance(c, dict)]
    guardrails: list[dict[str, Any]] = []
    for index, guardrail in enumerate(as_list(base.get("guardrails"))):
        if base_doc is not None and isinstance(guardrail, dict) and guardrail.get("guardrail_name") in enabled:
            origins.append(Origin(("litellm", "guardrails", len(guardrails)), base_doc, ("guardrails", index)))
            guardrails.append(guardrail)
    out["guardrails"] = guardrails
    # every other top-level section of LiteLLM's config (mcp_servers, agents, search_tools, ...) as written;
    # one present but empty (null) is absent, as the proxy reads it
    for section, value in base.items():
        if section in out or section in LITELLM_SECTIONS or value is None:
            continue
        if base_doc is not None:
            origins.append(Origin(("litellm", section), base_doc, (section,)))
        out[section] = value
    return out
