"""Checks of LiteLLM's own settings (config/litellm.yaml, the environments' `litellm:` overlays and
the deployments' LiteLLM keys) that the generated schemas cannot express: names that must exist,
callbacks and guardrail classes the proxy can load, and secrets under names only known at
validation time (environment variables, callback settings), by LiteLLM's own sensitive-key rule
(policies/litellm/<version>/surface.json)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from typing import Any

from litellm_bundle.checks.hooks_index import Resolver
from litellm_bundle.checks.references import known, model_groups, ref
from litellm_bundle.core.facts import CALLBACK_KEYS, HOOKS_PACKAGE
from litellm_bundle.core.problems import Found, Location, PathKey, Problem, names
from litellm_bundle.model.configset import ConfigSet, as_list, as_map
from litellm_bundle.model.effective import EffectiveConfig
from litellm_bundle.policy.policies import Policies

DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")


def _names_schema(policies: Policies, name: str) -> list[str]:
    return [str(v) for v in policies.litellm_schemas["names.schema.json"]["$defs"][name]["enum"]]


def sensitive(name: str, rule: dict[str, Any]) -> bool:
    """LiteLLM's rule (SensitiveDataMasker.is_sensitive_key) with the bundle's corrections, as data."""
    if name in rule.get("not_secret", []):
        return False
    if name in rule.get("secret", []):
        return True
    segments = name.lower().replace("-", "_").split("_")
    if any(s in segments for s in rule.get("unless_segments", [])):
        return False
    return any(s in segments for s in rule.get("segments", []))


def _sources(cs: ConfigSet, policies: Policies) -> Iterator[tuple[str, PathKey, dict[str, Any]]]:
    """(document key, path of its LiteLLM settings, the settings): config/litellm.yaml and every overlay."""
    yield "litellm", (), cs.data("litellm")
    for env in policies.environments:
        key = f"env:{env}"
        if cs.usable(key):
            yield key, ("litellm",), as_map(cs.data(key).get("litellm"))


settings_sources = _sources  # for the other checks of LiteLLM's settings (chart_env)


def _guess(name: str, choices: list[str]) -> str:
    hint = difflib.get_close_matches(name, choices, n=1)
    return f"; did you mean '{hint[0]}'?" if hint else ""


def check_litellm_callbacks(cs: ConfigSet, policies: Policies, hooks: Resolver) -> list[Problem]:
    """Every callback is one LiteLLM ships or a dotted path into the code next to the proxy's config (the
    hooks package, the team's code) or LiteLLM's package (`hooks`: checks/team_code.CodePaths): anything
    else fails the proxy at start or is silently never called."""
    found = Found()
    shipped = _names_schema(policies, "callback")
    for key, base, settings in _sources(cs, policies):
        doc = cs.docs[key]
        for setting in CALLBACK_KEYS:
            for path, name in _callbacks(
                base + ("litellm_settings", setting), settings.get("litellm_settings"), setting
            ):
                if not isinstance(name, str) or name in shipped:
                    continue
                if DOTTED.match(name):
                    why = hooks.why_not(name, callable_needed=False)
                    if why:
                        found.add(
                            doc, path, f"callback {name} does not resolve: {why}", value=True, check="hooks-unresolved"
                        )
                else:
                    found.add(
                        doc,
                        path,
                        f"unknown callback '{name}'{_guess(name, shipped)} (allowed: a callback LiteLLM ships, see "
                        f"names.schema.json in policies/litellm/{policies.tree.pinned_version()}/, or "
                        f"a dotted path <module>.<name> into config/code/ or {HOOKS_PACKAGE})",
                        value=True,
                        check="unknown-callback",
                    )
    return found.problems


def _callbacks(path: PathKey, settings: Any, setting: str) -> list[tuple[PathKey, Any]]:
    """(path, name) of each callback of a setting: a list, or one dotted path (LiteLLM's load_config
    passes a single `callbacks` value on as it is; the schema says which settings take one)."""
    value = as_map(settings).get(setting)
    if isinstance(value, str):
        return [(path, value)]
    return [(path + (index,), name) for index, name in enumerate(as_list(value))]


def check_native_guardrails(cs: ConfigSet, policies: Policies, hooks: Resolver) -> list[Problem]:
    """LiteLLM-native guardrails: an integration LiteLLM ships (or a class of the hooks package),
    and names unique across them and the hooks' guardrails (both are enabled by name)."""
    doc = cs.docs["litellm"]
    found = Found()
    integrations = _names_schema(policies, "guardrail")
    hooks_names = {
        g["name"]
        for g in as_list(cs.data("guardrails").get("guardrails"))
        if isinstance(g, dict) and isinstance(g.get("name"), str)
    }
    seen: dict[str, int] = {}
    for index, guardrail in enumerate(as_list(cs.data("litellm").get("guardrails"))):
        if not isinstance(guardrail, dict):
            continue
        name = guardrail.get("guardrail_name")
        if isinstance(name, str):
            # several entries of one name are LiteLLM's load balancing of a guardrail (init_guardrails fills
            # the router's guardrail_list), not a mistake
            if name in hooks_names and name not in seen:
                found.add(
                    doc,
                    ("guardrails", index, "guardrail_name"),
                    f"guardrail_name '{name}' is also a guardrail of config/guardrails.yaml; environments enable "
                    "guardrails by name, so each name may exist once",
                    check="duplicate-name",
                    because=(names(ref(cs, "guardrails", ("guardrails",))),),
                )
            seen.setdefault(name, index)
        kind = as_map(guardrail.get("litellm_params")).get("guardrail")
        path = ("guardrails", index, "litellm_params", "guardrail")
        if not isinstance(kind, str) or kind in integrations:
            continue
        if DOTTED.match(kind):
            why = hooks.why_not(kind)
            if why:
                found.add(
                    doc, path, f"guardrail class {kind} does not resolve: {why}", value=True, check="hooks-unresolved"
                )
        else:
            found.add(
                doc,
                path,
                f"unknown guardrail integration '{kind}'{_guess(kind, integrations)} (allowed: an integration of "
                "litellm.types.guardrails, see names.schema.json in "
                f"policies/litellm/{policies.tree.pinned_version()}/, or a dotted path <module>.<Class> into "
                f"config/code/ or {HOOKS_PACKAGE})",
                value=True,
                check="unknown-guardrail-integration",
            )
    return found.problems


def check_credentials(cs: ConfigSet) -> list[Problem]:
    """Credential names are unique and every litellm_credential_name of a deployment names one."""
    found = Found()
    doc = cs.docs["litellm"]
    credentials: dict[str, int] = {}
    for index, credential in enumerate(as_list(cs.data("litellm").get("credential_list"))):
        name = as_map(credential).get("credential_name")
        if isinstance(name, str):
            if name in credentials:
                found.add(
                    doc,
                    ("credential_list", index, "credential_name"),
                    f"duplicate credential_name '{name}' (also credential_list[{credentials[name]}])",
                    check="duplicate-name",
                )
            credentials.setdefault(name, index)
    if "models" not in cs.docs or cs.usable("models") is False:
        return found.problems
    models = cs.docs["models"]
    for group, body in model_groups(cs).items():
        for index, dep in enumerate(as_list(as_map(body).get("deployments"))):
            name = as_map(dep).get("litellm_credential_name")
            if isinstance(name, str) and name not in credentials:
                found.add(
                    models,
                    ("model_groups", group, "deployments", index, "litellm_credential_name"),
                    f"credential '{name}' is not in credential_list of config/litellm.yaml (known: "
                    f"{known(credentials)})",
                    value=True,
                    check="unknown-credential",
                    because=(names(ref(cs, "litellm", ("credential_list",))),),
                )
    return found.problems


def check_secret_names(cs: ConfigSet, policies: Policies) -> list[Problem]:
    """environment_variables and callback_settings under a name LiteLLM treats as sensitive hold a
    reference os.environ/NAME, never a value (LiteLLM would mask it in its logs; it still would
    be committed here)."""
    found = Found()
    rule = policies.litellm_surface["sensitive_key_rule"]
    for key, base, settings in _sources(cs, policies):
        doc = cs.docs[key]
        for name, value in as_map(settings.get("environment_variables")).items():
            if sensitive(str(name), rule) and not (isinstance(value, str) and policies.env_ref.match(value)):
                found.add(
                    doc,
                    base + ("environment_variables", name),
                    f"environment variable {name} carries a secret by LiteLLM's rule (a name with key, secret, token, "
                    "password, ...): write os.environ/NAME and declare NAME in config/secrets.yaml",
                    value=True,
                    check="litellm-secret-value",
                )
        for callback, body in as_map(settings.get("callback_settings")).items():
            for name, value in as_map(body).items():
                if sensitive(str(name), rule) and isinstance(value, str) and not policies.env_ref.match(value):
                    found.add(
                        doc,
                        base + ("callback_settings", callback, name),
                        f"callback_settings.{callback}.{name} carries a secret by LiteLLM's rule: write "
                        "os.environ/NAME and declare NAME in config/secrets.yaml",
                        value=True,
                        check="litellm-secret-value",
                    )
    return found.problems


def check_unused_native_guardrails(cs: ConfigSet, policies: Policies) -> list[Problem]:
    """A LiteLLM-native guardrail no environment enables is never rendered (a warning: dead config)."""
    found = Found()
    doc = cs.docs["litellm"]
    enabled = {
        g
        for env in policies.environments
        for g in as_list(cs.data(f"env:{env}").get("guardrails"))
        if isinstance(g, str)
    }
    overlays = ", ".join(f"config/environments/{e}.yaml" for e in policies.environments)
    for index, guardrail in enumerate(as_list(cs.data("litellm").get("guardrails"))):
        name = as_map(guardrail).get("guardrail_name")
        if isinstance(name, str) and name not in enabled:
            found.add(
                doc,
                ("guardrails", index),
                f"guardrail '{name}' is not enabled in any environment; add it to guardrails in {overlays}, or remove "
                "it",
                check="unused",
                because=tuple(ref(cs, f"env:{e}", ("guardrails",)) for e in policies.environments),
            )
    return found.problems


def check_model_group_aliases(cs: ConfigSet, eff: EffectiveConfig) -> list[Problem]:
    """What an environment's LiteLLM settings name is there: model_group_alias targets are
    enabled groups (an alias to a group the proxy does not serve fails every request)."""
    found = Found(eff.env)
    enabled = set(eff.data["model_groups"])
    groups = set(model_groups(cs))
    router = as_map(as_map(eff.data.get("litellm")).get("router_settings"))
    for alias, target in as_map(router.get("model_group_alias")).items():
        group = as_map(target).get("model") if isinstance(target, dict) else target
        path = ("litellm", "router_settings", "model_group_alias", alias)
        if not isinstance(group, str):
            continue
        if group not in groups:
            found.add(
                eff,
                path,
                f"model_group_alias '{alias}' points to '{group}', which is not a model group (known: {known(groups)})",
                value=True,
                check="unknown-model-group",
                because=(names(ref(cs, "models", ("model_groups",))),),
            )
        elif group not in enabled:
            found.add(
                eff,
                path,
                f"model_group_alias '{alias}' points to '{group}', which is not enabled in {eff.env} (enabled: "
                f"{known(enabled)})",
                value=True,
                check="model-group-not-enabled",
            )
        elif alias in groups:
            found.add(
                eff,
                path,
                f"model_group_alias '{alias}' is also a model group; the alias would hide it",
                value=True,
                check="alias-shadows-group",
            )
    return found.problems


def check_version(policies: Policies) -> list[Problem]:
    """The LiteLLM surface the sources are checked against is the pinned version's (a warning
    until `make litellm-schema` has generated it after a version bump)."""
    if policies.litellm_dir is None:
        return []
    used, pinned = policies.litellm_dir.name, policies.tree.pinned_version()
    if used == pinned:
        return []
    where = Location(policies.tree.shown(policies.tree.root / "LITELLM_VERSION"), 1, 1)
    return [
        Problem(
            where,
            f"policies/litellm/{pinned}/ does not exist: the sources were checked against LiteLLM {used}'s "
            "configuration surface; run `make litellm-schema` and commit it",
            check="litellm-surface-missing",
        )
    ]


def check_guardrail_params(cs: ConfigSet, policies: Policies) -> list[Problem]:
    """A LiteLLM-native guardrail's litellm_params hold its own integration's parameters: one that only
    other integrations take is ignored by this one (LiteLLM's LitellmParams accepts every integration's
    parameters on every guardrail), e.g. judge_model on a presidio guardrail."""
    found = Found()
    doc = cs.docs["litellm"]
    own: dict[str, list[str]] = policies.litellm_surface.get("guardrail_params", {})
    takers: dict[str, list[str]] = {}
    for integration, taken in own.items():
        for param in taken:
            takers.setdefault(param, []).append(integration)
    for index, guardrail in enumerate(as_list(cs.data("litellm").get("guardrails"))):
        params = as_map(as_map(guardrail).get("litellm_params"))
        kind = params.get("guardrail")
        if not isinstance(kind, str) or DOTTED.match(kind):
            continue  # a class of the team's or the hooks' code takes what it takes
        for key in params:
            if key in takers and key not in own.get(kind, []):
                its_own = ", ".join(own.get(kind, [])) or "none beyond the shared ones"
                found.add(
                    doc,
                    ("guardrails", index, "litellm_params", key),
                    f"'{key}' is a parameter of the {', '.join(sorted(takers[key]))} guardrail integration, not of "
                    f"{kind}, which ignores it (its own: {its_own}; see guardrail_params in "
                    f"policies/litellm/{policies.litellm_surface.get('version')}/surface.json)",
                    check="litellm-guardrail-param",
                )
    return found.problems


def edit_distance(a: str, b: str) -> int:
    """Edits (insert, delete, replace, swap two neighbours) that turn `a` into `b`."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y))
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        previous2, previous = previous, current
    return previous[-1]


def near_miss(key: str, known: list[str]) -> str | None:
    """The key LiteLLM reads that `key` misspells: at most one edit per six characters away (one
    for a short key), else None (a key of the user's own)."""
    allowed = max(1, len(key) // 6)
    best = min(known, key=lambda k: (edit_distance(key, k), k), default=None)
    return best if best is not None and edit_distance(key, best) <= allowed else None


def check_model_info_keys(cs: ConfigSet, policies: Policies) -> list[Problem]:
    """model_info keeps any key LiteLLM does not read as the deployment's metadata (LiteLLM's
    ModelInfo allows extra keys and returns them on /model/info); a near miss of a key it reads is
    a typo that would silently do nothing."""
    found = Found()
    schema = policies.litellm_schemas.get("model_info.schema.json", {})
    read = sorted(schema.get("properties") or {})
    doc = cs.docs["models"]
    for group, body in model_groups(cs).items():
        for index, dep in enumerate(as_list(as_map(body).get("deployments"))):
            for key in as_map(as_map(dep).get("model_info")):
                if not isinstance(key, str) or key in read:
                    continue
                hint = near_miss(key, read)
                if hint is not None:
                    found.add(
                        doc,
                        ("model_groups", group, "deployments", index, "model_info", key),
                        f"unknown key '{key}' in model_info; did you mean '{hint}'? (model_info keeps other keys as "
                        f"metadata, but '{key}' is a near miss of '{hint}', a key LiteLLM reads: "
                        f"policies/litellm/{policies.litellm_surface.get('version')}/model_info.schema.json)",
                        check="litellm-near-miss",
                    )
    return found.problems
