"""What `drift` finds, as pure functions on data: a running proxy's models, settings and callbacks (as its
management API answers, `live_drift` reads them) against one environment's rendered config.yaml.

Compared honestly: a value the render writes as a secret reference (`os.environ/NAME`), or that the
proxy shows masked, is never compared (the proxy shows it resolved, or hides it); only the keys the render
sets are compared in a deployment's `model_info` (the proxy adds the cost map's), and a `litellm_params`
key only the proxy has counts when its value is not empty or false (LiteLLM fills its own defaults in).
Settings are compared where the proxy says where a value comes from (`source`: config, db, env, default,
unset)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from litellm_bundle.core.problems import PathKey

# kind -> what it means (docs/operations.md, "Live drift"); every kind is drift
KINDS: dict[str, str] = {
    "model-added-db": "a deployment stored in the database (/model/new or the UI) that the render does not have",
    "model-config-only": "a deployment of the proxy's config file that the render does not have",
    "model-edited-db": "a rendered deployment whose stored copy in the database overrides it (/model/update)",
    "model-changed": "a rendered deployment served with other values",
    "model-missing": "a rendered deployment the proxy does not serve",
    "setting-runtime": "a setting stored in the database at runtime (/config/update or the UI)",
    "setting-changed": "a rendered setting the proxy's config file sets to another value",
    "setting-config-only": "a setting of the proxy's config file that the render does not have",
    "setting-missing": "a rendered setting the proxy does not take from its config file",
    "setting-shadowed": "a value stored in the database for a setting the config file owns (ignored while it does)",
    "callback-added": "a callback the proxy runs that the render does not configure",
    "callback-missing": "a rendered callback the proxy does not run",
}
SETTINGS_SECTIONS = ("general_settings", "litellm_settings", "router_settings")
# the rendered litellm_settings keys that list callbacks, by the type /get/config/callbacks gives them
CALLBACK_TYPES = {"callbacks": "success_and_failure", "success_callback": "success", "failure_callback": "failure"}


@dataclass(frozen=True)
class Finding:
    kind: str  # a key of KINDS
    subject: str  # "model gpt-4o (id gpt-4o-fake)", "general_settings.store_model_in_db"
    message: str
    path: PathKey  # where it is (or would be) in the rendered config.yaml
    rendered: Any = None
    live: Any = None


@dataclass(frozen=True)
class LiveSetting:
    value: Any
    source: str  # LiteLLM's FieldSource: config, db, env, default, unset
    stored_in_db: bool = False


@dataclass(frozen=True)
class LiveState:
    """What the proxy answered: its deployments (/model/info), settings with their sources (/config/list,
    /router/settings) and configured callbacks by (name, type) (/get/config/callbacks); None: not read."""

    models: list[dict[str, Any]]
    settings: dict[str, dict[str, LiveSetting]]
    callbacks: set[tuple[str, str]] | None


def models_from(body: Any) -> list[dict[str, Any]]:
    """/model/info's deployments, each id once (wildcard expansion may repeat one)."""
    seen: dict[str, dict[str, Any]] = {}
    for entry in body.get("data", []) if isinstance(body, dict) else []:
        if isinstance(entry, dict):
            seen.setdefault(str(_info(entry).get("id")), entry)
    return list(seen.values())


def settings_from(config_list: Any, router: Any, general_keys: frozenset[str]) -> dict[str, dict[str, LiveSetting]]:
    """/config/list's fields (general_settings', and the litellm_settings the UI edits: the names
    `general_keys` does not hold) and /router/settings' current values, each with its source."""
    settings: dict[str, dict[str, LiveSetting]] = {section: {} for section in SETTINGS_SECTIONS}
    for field in config_list if isinstance(config_list, list) else []:
        name = field.get("field_name")
        if isinstance(name, str):
            section = "general_settings" if name in general_keys else "litellm_settings"
            settings[section][name] = LiveSetting(
                field.get("field_value"), str(field.get("source")), field.get("stored_in_db") is True
            )
    if isinstance(router, dict):
        sources = router.get("source") or {}
        for name, value in (router.get("current_values") or {}).items():
            settings["router_settings"][name] = LiveSetting(value, str(sources.get(name, "unset")))
    return settings


def callbacks_from(body: Any) -> set[tuple[str, str]]:
    """The callbacks the proxy's configuration names (not LiteLLM's own, read-only ones) by (name, type)."""
    found = body.get("callbacks", []) if isinstance(body, dict) else []
    return {(str(c["name"]), str(c["type"])) for c in found if isinstance(c, dict) and not c.get("read_only")}


def find_drift(
    rendered: Mapping[str, Any], live: LiveState, env_ref: re.Pattern[str], model_list_path: PathKey = ("model_list",)
) -> list[Finding]:
    """Every difference between the rendered config and the live proxy."""
    findings = compare_models(rendered.get("model_list") or [], live.models, env_ref, model_list_path)
    for section in SETTINGS_SECTIONS:
        findings += compare_settings(section, rendered.get(section) or {}, live.settings.get(section, {}), env_ref)
    if live.callbacks is not None:
        findings += compare_callbacks(rendered.get("litellm_settings") or {}, live.callbacks)
    return findings


def _info(entry: Mapping[str, Any]) -> dict[str, Any]:
    info = entry.get("model_info")
    return info if isinstance(info, dict) else {}


def _params(entry: Mapping[str, Any]) -> dict[str, Any]:
    params = entry.get("litellm_params")
    return params if isinstance(params, dict) else {}


def _name(entry: Mapping[str, Any]) -> str:
    return f"model {entry.get('model_name')} (id {_info(entry).get('id')})"


def _is_ref(value: Any, env_ref: re.Pattern[str]) -> bool:
    return isinstance(value, str) and env_ref.fullmatch(value) is not None


def _masked(value: Any) -> bool:
    """A value the proxy shows masked (LiteLLM's SensitiveDataMasker: `*`s between a prefix and a suffix)."""
    return isinstance(value, str) and "****" in value


def _empty(value: Any) -> bool:
    return value is None or value is False or value == "" or value == [] or value == {}


def _set(params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters a deployment sets (without LiteLLM's empty defaults)."""
    return {name: value for name, value in params.items() if not _empty(value)}


def compare_models(
    rendered: Sequence[Mapping[str, Any]],
    live: Sequence[Mapping[str, Any]],
    env_ref: re.Pattern[str],
    path: PathKey = ("model_list",),
) -> list[Finding]:
    """Deployments matched by model_info.id (the bundle renders one for each), else by model_name and
    litellm_params.model."""

    def key(entry: Mapping[str, Any]) -> str:
        return str(_info(entry).get("id") or f"{entry.get('model_name')}/{_params(entry).get('model')}")

    def loose(entry: Mapping[str, Any]) -> str:
        return f"{entry.get('model_name')}/{_params(entry).get('model')}"

    wanted = {key(entry): (index, entry) for index, entry in enumerate(rendered)}
    by_loose = {loose(entry): key(entry) for entry in rendered if not _info(entry).get("id")}
    findings: list[Finding] = []
    matched: set[str] = set()
    for entry in live:
        found = key(entry) if key(entry) in wanted else by_loose.get(loose(entry))
        if found is None or found in matched:
            db = _info(entry).get("db_model") is True
            kind = "model-added-db" if db else "model-config-only"
            where = "stored in the database (/model/new or the UI)" if db else "in the proxy's config file"
            findings.append(
                Finding(
                    kind,
                    _name(entry),
                    f"{_name(entry)} -> {_params(entry).get('model')}: {where}, not in the render",
                    path,
                    live={"model_name": entry.get("model_name"), "litellm_params": _set(_params(entry))},
                )
            )
            continue
        matched.add(found)
        index, want = wanted[found]
        findings += _deployment_drift(want, entry, (*path, index), env_ref)
    for name, (index, want) in wanted.items():
        if name not in matched:
            findings.append(
                Finding("model-missing", _name(want), f"{_name(want)}: rendered, not served live", (*path, index))
            )
    return findings


def _deployment_drift(
    want: Mapping[str, Any], got: Mapping[str, Any], path: PathKey, env_ref: re.Pattern[str]
) -> list[Finding]:
    findings = []
    if _info(got).get("db_model") is True:
        findings.append(
            Finding(
                "model-edited-db",
                _name(want),
                f"{_name(want)}: a copy stored in the database (/model/update or the UI) overrides the rendered one",
                path,
            )
        )
    differences: list[tuple[PathKey, Any, Any]] = []
    wanted_params, live_params = _params(want), _params(got)
    # /model/info lists a wildcard deployment (anthropic/*) once per model it matches, under that model's name
    expanded = {"model_name", "model"} if "*" in f"{want.get('model_name')}{wanted_params.get('model')}" else set()
    if "model_name" not in expanded and want.get("model_name") != got.get("model_name"):
        differences.append((("model_name",), want.get("model_name"), got.get("model_name")))
    for name, value in wanted_params.items():
        now = live_params.get(name)
        if name not in expanded and not _is_ref(value, env_ref) and not _masked(now) and now != value:
            differences.append((("litellm_params", name), value, live_params.get(name)))
    for name, value in live_params.items():
        if name not in wanted_params and not _empty(value):
            differences.append((("litellm_params", name), None, value))
    wanted_info, live_info = _info(want), _info(got)
    for name, value in wanted_info.items():
        now = live_info.get(name)
        if name != "id" and not _is_ref(value, env_ref) and not _masked(now) and now != value:
            differences.append((("model_info", name), value, live_info.get(name)))
    for where, value, now in differences:
        dotted = ".".join(map(str, where))
        findings.append(
            Finding(
                "model-changed",
                _name(want),
                f"{_name(want)}: {dotted} is {value!r} in the render, {now!r} live",
                (*path, *where),
                rendered=value,
                live=now,
            )
        )
    return findings


def compare_settings(
    section: str, rendered: Mapping[str, Any], live: Mapping[str, LiveSetting], env_ref: re.Pattern[str]
) -> list[Finding]:
    """The settings the proxy reports, against the section as rendered."""
    findings = []
    for name, setting in sorted(live.items()):
        subject = f"{section}.{name}"
        path: PathKey = (section, name)
        value, written = rendered.get(name), name in rendered
        comparable = written and not _is_ref(value, env_ref) and not _masked(setting.value)
        if setting.source == "db":
            also = f" (rendered: {value!r})" if written else ""
            findings.append(
                Finding(
                    "setting-runtime",
                    subject,
                    f"{subject} is {setting.value!r}, stored in the database at runtime (/config/update or the "
                    f"UI){also}; not in the render",
                    path,
                    value,
                    setting.value,
                )
            )
        elif setting.source == "config" and not written:
            findings.append(
                Finding(
                    "setting-config-only",
                    subject,
                    f"{subject} is {setting.value!r} in the proxy's config file, not in the render",
                    path,
                    live=setting.value,
                )
            )
        elif setting.source == "config" and comparable and setting.value != value:
            findings.append(
                Finding(
                    "setting-changed",
                    subject,
                    f"{subject} is {value!r} in the render, {setting.value!r} in the proxy's config file",
                    path,
                    value,
                    setting.value,
                )
            )
        elif setting.source != "config" and comparable:
            findings.append(
                Finding(
                    "setting-missing",
                    subject,
                    f"{subject} is {value!r} in the render; the proxy has {setting.value!r} ({setting.source})",
                    path,
                    value,
                    setting.value,
                )
            )
        if setting.source == "config" and setting.stored_in_db:
            findings.append(
                Finding(
                    "setting-shadowed",
                    subject,
                    f"{subject}: a value stored in the database too (ignored while the config file sets it; "
                    "it applies once the key leaves the sources)",
                    path,
                )
            )
    return findings


def compare_callbacks(rendered_settings: Mapping[str, Any], live: set[tuple[str, str]]) -> list[Finding]:
    """The callbacks litellm_settings configures, against the proxy's configured callbacks."""
    wanted: dict[tuple[str, str], PathKey] = {}
    for key, kind in CALLBACK_TYPES.items():
        names = rendered_settings.get(key) or []
        for index, name in enumerate([names] if isinstance(names, str) else names):
            wanted[(str(name), kind)] = ("litellm_settings", key, index)
    findings = [
        Finding(
            "callback-missing",
            f"callback {name}",
            f"callback {name} ({kind}): rendered, not configured live",
            path,
        )
        for (name, kind), path in wanted.items()
        if (name, kind) not in live
    ]
    findings += [
        Finding(
            "callback-added",
            f"callback {name}",
            f"callback {name} ({kind}): configured live (/config/update or the UI), not in the render",
            ("litellm_settings",),
            live=name,
        )
        for name, kind in sorted(live - set(wanted))
    ]
    return findings
