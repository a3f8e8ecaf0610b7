"""What the bundle's sources take from LiteLLM's configuration surface, each at its file:line: the keys
they set per section (a deployment's litellm_params and model_info, litellm_settings, general_settings,
router_settings, cache_params, credentials, native guardrails), the callbacks, guardrail integrations
and providers they name, and the environment variable and callback settings names LiteLLM's
sensitive-key rule applies to. Read from config/ with positions (the sources), and from the committed
rendered/<env>/config.yaml for what the renderer writes itself (routing, Redis, the database, the
hooks' callback)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litellm_bundle.core.facts import CALLBACK_KEYS, RENDERED_AREA
from litellm_bundle.core.problems import PathKey
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.core.yamlio import YamlDocument, load_yaml
from litellm_bundle.model.configset import LITELLM_SECTIONS, ConfigSet, as_list, as_map

# a surface section: the schema file it lives in and the JSON pointer of its properties there
SECTIONS: dict[str, tuple[str, str]] = {
    "litellm_params": ("litellm_params.schema.json", "/properties"),
    "model_info": ("model_info.schema.json", "/properties"),
    "litellm_settings": ("litellm_settings.schema.json", "/properties"),
    "general_settings": ("general_settings.schema.json", "/properties"),
    "router_settings": ("router_settings.schema.json", "/properties"),
    "cache_params": ("cache_params.schema.json", "/properties"),
    "credential": ("credential.schema.json", "/properties"),
    "credential_values": ("credential.schema.json", "/properties/credential_values/properties"),
    "guardrail": ("guardrail.schema.json", "/properties"),
    "guardrail_litellm_params": ("guardrail.schema.json", "/properties/litellm_params/properties"),
    "callback_settings": ("callback_settings.schema.json", "/properties"),
    "config": ("config.schema.json", "/properties"),  # the top-level sections of a config.yaml
}
CALLBACK_SETTINGS = "callback_settings."  # + a callback's name: the settings LiteLLM passes to its class


def location(section: str) -> tuple[str, str]:
    """The schema file of a section and the JSON pointer of its properties there."""
    if section.startswith(CALLBACK_SETTINGS):
        return ("callback_settings.schema.json", f"/properties/{section.removeprefix(CALLBACK_SETTINGS)}/properties")
    return SECTIONS[section]


# a deployment's keys that are the bundle's own, not LiteLLM's litellm_params
DEPLOYMENT_OWN = ("id", "environments", "provider", "model_info", "provider_params")
SETTINGS = ("litellm_settings", "general_settings", "router_settings")
# names LiteLLM knows (names.schema.json#/$defs/<kind>)
NAME_KINDS = ("callback", "guardrail", "provider")


@dataclass(frozen=True)
class KeyUse:
    """A key of a surface section set at `where` (file:line) to `value`; `rendered`: written by the renderer."""

    section: str
    key: str
    value: Any
    where: str
    rendered: bool = False


@dataclass(frozen=True)
class NameUse:
    """A callback, guardrail integration or provider named at `where`."""

    kind: str
    name: str
    where: str


@dataclass(frozen=True)
class SecretNameUse:
    """An environment variable or callback settings key LiteLLM's sensitive-key rule applies to."""

    name: str
    value: Any
    where: str


@dataclass
class Usage:
    keys: list[KeyUse]
    names: list[NameUse]
    secret_names: list[SecretNameUse]

    def sections(self) -> list[str]:
        """The sections keys are set in: SECTIONS' order, then a callback's settings by name."""
        used = {use.section for use in self.keys}
        return [s for s in SECTIONS if s in used] + sorted(used - set(SECTIONS))


def _at(doc: YamlDocument, path: PathKey) -> str:
    location = doc.locate(path)
    return f"{location.file}:{location.line}"


class _Walker:
    def __init__(self, rendered: bool = False) -> None:
        self.rendered = rendered
        self.keys: list[KeyUse] = []
        self.names: list[NameUse] = []
        self.secret_names: list[SecretNameUse] = []

    def section(self, doc: YamlDocument, path: PathKey, section: str, data: Any, skip: tuple[str, ...] = ()) -> None:
        for key, value in as_map(data).items():
            if key not in skip:
                self.keys.append(KeyUse(section, str(key), value, _at(doc, (*path, key)), self.rendered))

    def name(self, doc: YamlDocument, path: PathKey, kind: str, name: Any) -> None:
        # a dotted path is a class or instance of the team's own code, not a name LiteLLM ships
        if isinstance(name, str) and name and "." not in name:
            self.names.append(NameUse(kind, name, _at(doc, path)))

    def litellm_config(self, doc: YamlDocument, base: PathKey, data: dict[str, Any]) -> None:
        """The sections of a LiteLLM config.yaml (config/litellm.yaml, an overlay's `litellm:`, a rendered config)."""
        self.section(doc, base, "config", data)
        for section in SETTINGS:
            self.section(doc, (*base, section), section, data.get(section))
        settings = as_map(data.get("litellm_settings"))
        self.section(doc, (*base, "litellm_settings", "cache_params"), "cache_params", settings.get("cache_params"))
        for key in CALLBACK_KEYS:
            for index, callback in enumerate(as_list(settings.get(key))):
                self.name(doc, (*base, "litellm_settings", key, index), "callback", callback)
        self.section(doc, (*base, "callback_settings"), "callback_settings", data.get("callback_settings"))
        for name, value in as_map(data.get("callback_settings")).items():
            self.name(doc, (*base, "callback_settings", name), "callback", name)
            self.section(doc, (*base, "callback_settings", name), f"{CALLBACK_SETTINGS}{name}", value)
            for key, setting in as_map(value).items():
                where = _at(doc, (*base, "callback_settings", name, key))
                self.secret_names.append(SecretNameUse(str(key), setting, where))
        for name, value in as_map(data.get("environment_variables")).items():
            self.secret_names.append(SecretNameUse(str(name), value, _at(doc, (*base, "environment_variables", name))))
        for index, item in enumerate(as_list(data.get("credential_list"))):
            path = (*base, "credential_list", index)
            self.section(doc, path, "credential", item)
            values = as_map(item).get("credential_values")
            self.section(doc, (*path, "credential_values"), "credential_values", values)
        for index, item in enumerate(as_list(data.get("guardrails"))):
            path = (*base, "guardrails", index)
            self.section(doc, path, "guardrail", item)
            params = as_map(as_map(item).get("litellm_params"))
            self.section(doc, (*path, "litellm_params"), "guardrail_litellm_params", params)
            self.name(doc, (*path, "litellm_params", "guardrail"), "guardrail", params.get("guardrail"))
        for index, entry in enumerate(as_list(data.get("model_list"))):
            path = (*base, "model_list", index)
            self.section(doc, (*path, "litellm_params"), "litellm_params", as_map(entry).get("litellm_params"))
            self.section(doc, (*path, "model_info"), "model_info", as_map(entry).get("model_info"))

    def models(self, doc: YamlDocument) -> None:
        for group, body in as_map(as_map(doc.data).get("model_groups")).items():
            for index, deployment in enumerate(as_list(as_map(body).get("deployments"))):
                path: PathKey = ("model_groups", group, "deployments", index)
                self.section(doc, path, "litellm_params", deployment, skip=DEPLOYMENT_OWN)
                self.section(doc, (*path, "model_info"), "model_info", as_map(deployment).get("model_info"))
                self.name(doc, (*path, "provider"), "provider", as_map(deployment).get("provider"))


def source_usage(cs: ConfigSet) -> Usage:
    """What config/ takes from LiteLLM's surface: models.yaml's deployments, litellm.yaml and every overlay's
    `litellm:` sections."""
    walker = _Walker()
    if "models" in cs.docs:
        walker.models(cs.docs["models"])
    if "litellm" in cs.docs:
        walker.litellm_config(cs.docs["litellm"], (), as_map(cs.docs["litellm"].data))
    for env in cs.environments:
        doc = cs.env_doc(env)
        overlay = as_map(as_map(doc.data).get("litellm"))
        walker.litellm_config(doc, ("litellm",), {k: v for k, v in overlay.items() if k in LITELLM_SECTIONS})
    return Usage(walker.keys, walker.names, walker.secret_names)


def rendered_usage(tree: BundleTree, environments: list[str]) -> Usage:
    """What the committed rendered configs set besides the sources (the renderer's own keys), each key and
    name once: the first environment's place."""
    walker = _Walker(rendered=True)
    for env in environments:
        file = tree.out_dir / RENDERED_AREA / env / "config.yaml"
        if not file.is_file():
            continue
        doc, _ = load_yaml(file, tree.shown(file))
        if doc is not None:
            walker.litellm_config(doc, (), as_map(doc.data))
    return Usage(_first(walker.keys), _first_names(walker.names), [])


def _first(keys: list[KeyUse]) -> list[KeyUse]:
    seen: dict[tuple[str, str], KeyUse] = {}
    for use in keys:
        seen.setdefault((use.section, use.key), use)
    return list(seen.values())


def _first_names(names: list[NameUse]) -> list[NameUse]:
    seen: dict[tuple[str, str], NameUse] = {}
    for use in names:
        seen.setdefault((use.kind, use.name), use)
    return list(seen.values())


def combined(sources: Usage, rendered: Usage) -> Usage:
    """The sources' usage plus what only the renderer writes (a key or name the sources use is shown at theirs)."""
    used = {(u.section, u.key) for u in sources.keys}
    named = {(u.kind, u.name) for u in sources.names}
    return Usage(
        [*sources.keys, *(u for u in rendered.keys if (u.section, u.key) not in used)],
        [*sources.names, *(u for u in rendered.names if (u.kind, u.name) not in named)],
        sources.secret_names,
    )
