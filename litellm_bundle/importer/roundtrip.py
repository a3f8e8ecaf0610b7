"""Whether a rendered LiteLLM config is the same configuration as an original config.yaml.

Same means: every model_list entry, setting, guardrail, credential and variable of the original is
in the rendering with the same value (secrets as the references `import` made of them), and the
rendering adds nothing but what the bundle always adds (BUNDLE_ADDITIONS). Orders that carry no
meaning are ignored: model_list across groups (within a group it is kept), callbacks, fallbacks
written as one mapping or several; an empty list is no list."""

from __future__ import annotations

from typing import Any

from litellm_bundle.core.facts import CALLBACK_KEYS, FALLBACK_KINDS, HOOKS_CALLBACK, HOOKS_PACKAGE

# what a rendering may have that the original does not (docs/litellm-surface.md, "Import")
BUNDLE_ADDITIONS: dict[str, tuple[str, ...]] = {
    "litellm_settings": ("require_auth_for_metrics_endpoint",),  # prometheus: true opens /metrics/
    "general_settings": ("database_connection_pool_limit", "proxy_batch_write_at"),  # with a database: LiteLLM's advice
    "router_settings": (
        "routing_strategy",
        "redis_host",
        "redis_port",
        "redis_password",
    ),  # simple-shuffle; one Redis for all
    "cache_params": ("type", "host", "port", "password"),  # redis (LiteLLM's default) on the environment's one Redis
    "model_info": ("id", "mode"),  # every deployment has an id; its group's mode (chat by default)
}
BUNDLE_CALLBACKS = (HOOKS_CALLBACK,)
BUNDLE_GUARDRAIL_PREFIX = f"{HOOKS_PACKAGE}."


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == {}


def _fallback_pairs(value: Any) -> list[tuple[str, Any]]:
    return [(k, v) for item in value or [] if isinstance(item, dict) for k, v in item.items()]


def _compare_map(
    where: str, original: dict[str, Any], rendered: dict[str, Any], additions: tuple[str, ...], out: list[str]
) -> None:
    for key in sorted(set(original) | set(rendered)):
        mine, theirs = original.get(key), rendered.get(key)
        if key not in original and (key in additions or _empty(theirs)):
            continue
        if _empty(mine) and _empty(theirs):
            continue
        if key in FALLBACK_KINDS and where == "router_settings":  # lists of {group: [groups]}
            same = _fallback_pairs(mine) == _fallback_pairs(theirs)
        elif key in CALLBACK_KEYS and isinstance(theirs, list):
            same = sorted(map(str, mine or [])) == sorted(str(c) for c in theirs if c not in BUNDLE_CALLBACKS)
        elif key == "cache_params" and isinstance(mine, dict) and isinstance(theirs, dict):
            sub: list[str] = []
            _compare_map(f"{where}.cache_params", mine, theirs, BUNDLE_ADDITIONS["cache_params"], sub)
            out += sub
            continue
        else:
            same = mine == theirs
        if not same:
            out.append(f"{where}.{key}: {mine!r} became {theirs!r}")


def _groups(model_list: list[Any] | None) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for entry in model_list or []:
        if isinstance(entry, dict):
            groups.setdefault(str(entry.get("model_name")), []).append(entry)
    return groups


def differences(original: dict[str, Any], rendered: dict[str, Any]) -> list[str]:
    """What differs between an original config and a rendering of it, in words (empty: the same)."""
    out: list[str] = []
    before, after = _groups(original.get("model_list")), _groups(rendered.get("model_list"))
    for name in sorted(set(before) | set(after)):
        mine, theirs = before.get(name, []), after.get(name, [])
        if len(mine) != len(theirs):
            out.append(f"model_list: group {name!r} has {len(mine)} deployment(s), the rendering {len(theirs)}")
            continue
        for index, (a, b) in enumerate(zip(mine, theirs, strict=True)):
            where = f"model_list[{name}][{index}]"
            if a.get("litellm_params") != b.get("litellm_params"):
                out.append(f"{where}.litellm_params: {a.get('litellm_params')!r} became {b.get('litellm_params')!r}")
            _compare_map(
                f"{where}.model_info",
                a.get("model_info") or {},
                b.get("model_info") or {},
                BUNDLE_ADDITIONS["model_info"],
                out,
            )
    for section in ("litellm_settings", "general_settings", "router_settings"):
        _compare_map(
            section, original.get(section) or {}, rendered.get(section) or {}, BUNDLE_ADDITIONS.get(section, ()), out
        )
    for key in ("environment_variables", "callback_settings", "credential_list"):
        if not (_empty(original.get(key)) and _empty(rendered.get(key))) and original.get(key) != rendered.get(key):
            out.append(f"{key}: {original.get(key)!r} became {rendered.get(key)!r}")
    theirs = [
        g
        for g in rendered.get("guardrails") or []
        if not str((g.get("litellm_params") or {}).get("guardrail", "")).startswith(BUNDLE_GUARDRAIL_PREFIX)
    ]
    if (original.get("guardrails") or []) != theirs:
        out.append(f"guardrails: {original.get('guardrails')!r} became {theirs!r}")
    extra = sorted(
        set(rendered)
        - set(original)
        - {"model_list", "litellm_settings", "general_settings", "router_settings", "guardrails"}
    )
    out += [f"{key}: added by the rendering" for key in extra if not _empty(rendered[key])]
    return out
