"""What `validate` accepts must render and run: checks of what the renderer, Kubernetes and the
proxy need beyond the schemas, and of configuration that would have no effect.

Errors: the renderer would fail, the deploy would be rejected or misbehave, or every request a
setting concerns would fail. Warnings: the config renders and runs, but a part of it can never take
effect (docs/validation.md lists each check and its severity)."""

from __future__ import annotations

import difflib
import fnmatch
import re
from typing import Any

from litellm_bundle.checks.hooks_index import HooksIndex, Resolver
from litellm_bundle.checks.references import model_groups, ref
from litellm_bundle.core import facts
from litellm_bundle.core.facts import FALLBACK_KINDS
from litellm_bundle.core.problems import Found, Location, Problem, whole
from litellm_bundle.core.yamlio import load_yaml
from litellm_bundle.model.configset import ConfigSet, as_list, as_map
from litellm_bundle.model.effective import EffectiveConfig
from litellm_bundle.policy.policies import Policies


def hooks_index(policies: Policies) -> HooksIndex:
    return HooksIndex(policies.tree.hooks_package, policies.tree.shown(policies.tree.hooks_package))


def check_hooks_guardrails(cs: ConfigSet, policies: Policies, hooks: HooksIndex) -> list[Problem]:
    """Each detector a guardrail names exists; each guardrail type renders as a class the hooks define."""
    doc = cs.docs["guardrails"]
    found = Found()
    detectors = sorted(policies.detectors)
    for index, guardrail in enumerate(as_list(cs.data("guardrails").get("guardrails"))):
        if not isinstance(guardrail, dict):
            continue
        kind = guardrail.get("type")
        if isinstance(kind, str):
            target = facts.GUARDRAIL_CLASSES.get(kind)
            why = hooks.why_not(target) if target else "the renderer has no guardrail class for it"
            if why:
                found.add(
                    doc,
                    ("guardrails", index, "type"),
                    f"guardrail type '{kind}' does not resolve in the hooks package ({target or 'no class'}): {why}",
                    value=True,
                    check="hooks-unresolved",
                )
        if kind != "secret_redaction":
            continue
        for d_index, name in enumerate(as_list(guardrail.get("detectors"))):
            if isinstance(name, str) and name not in policies.detectors:
                hint = difflib.get_close_matches(name, detectors, n=1)
                guess = f"; did you mean '{hint[0]}'?" if hint else ""
                found.add(
                    doc,
                    ("guardrails", index, "detectors", d_index),
                    f"unknown detector '{name}'{guess} (known: {', '.join(detectors)}; policies/secret_patterns.json)",
                    value=True,
                    check="unknown-detector",
                )
    return found.problems


def check_transforms(cs: ConfigSet, hooks: Resolver) -> list[Problem]:
    """A custom transform's path names a callable of the code the proxy mounts: the hooks package or the
    team's code (the hooks import it; `hooks`: checks/team_code.CodePaths)."""
    doc = cs.docs["transforms"]
    found = Found()
    for index, transform in enumerate(as_list(cs.data("transforms").get("transforms"))):
        if (
            not isinstance(transform, dict)
            or transform.get("type") != "custom"
            or not isinstance(transform.get("path"), str)
        ):
            continue
        why = hooks.why_not(transform["path"])
        if why:
            found.add(
                doc,
                ("transforms", index, "path"),
                f"custom transform '{transform.get('name')}' names {transform['path']}, which does not resolve: {why}",
                value=True,
                check="transform-unresolved",
            )
    return found.problems


def check_hooks_callback(policies: Policies, hooks: HooksIndex) -> list[Problem]:
    """The callback the rendered config names exists in the hooks package (a broken bundle, not a config problem)."""
    why = hooks.why_not(facts.HOOKS_CALLBACK, callable_needed=False)
    if why is None:
        return []
    entry = policies.tree.shown(policies.tree.hooks_package / "entry.py")
    return [
        Problem(
            Location(entry, 1, 1),
            f"the rendered config names {facts.HOOKS_CALLBACK}, which does not resolve: {why}",
            check="hooks-unresolved",
        )
    ]


def _an(word: str) -> str:
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def _mode(group: Any, default_mode: str) -> str:
    mode = as_map(group).get("mode")
    return mode if isinstance(mode, str) else default_mode


def _window(group: Any) -> int | None:
    window = as_map(group).get("max_input_tokens")
    return window if isinstance(window, int) and not isinstance(window, bool) else None


def _fallback_windows(groups: dict[str, Any], routing: dict[str, Any], start: str) -> list[tuple[str, int | None]]:
    """`start` and every group its context-window fallbacks reach, with their windows."""
    mapping = as_map(routing.get("context_window_fallbacks"))
    seen, queue = [start], [start]
    while queue:
        for target in as_list(mapping.get(queue.pop(0))):
            if isinstance(target, str) and target in groups and target not in seen:
                seen.append(target)
                queue.append(target)
    return [(name, _window(groups.get(name))) for name in seen]


def _all_stars(pattern: Any) -> bool:
    return isinstance(pattern, str) and bool(pattern) and set(pattern) == {"*"}


def _models_cover(first: Any, later: Any) -> bool:
    """Every model `later` allows (None: any) is allowed by `first`'s patterns."""
    patterns = [p for p in as_list(first) if isinstance(p, str)]
    if any(_all_stars(p) for p in patterns):
        return True
    if not isinstance(later, list) or not later:
        return False
    for model in later:
        if not isinstance(model, str):
            return False
        if any(c in model for c in "*?["):
            if model not in patterns:
                return False
        elif not any(fnmatch.fnmatchcase(model, p) for p in patterns):
            return False
    return True


def covers(first: Any, later: Any) -> bool:
    """Whether every request that meets condition `later` also meets condition `first`."""
    if not isinstance(first, dict) or not isinstance(later, dict) or not first:
        return False
    for key, value in first.items():
        other = later.get(key)
        if key == "models":
            ok = _models_cover(value, other)
        elif key == "min_prompt_tokens":
            ok = isinstance(value, int) and isinstance(other, int) and other >= value
        elif key == "metadata":
            ok = (
                isinstance(value, dict)
                and isinstance(other, dict)
                and all(k in other and other[k] == v for k, v in value.items())
            )
        elif key == "header":
            ok = (
                isinstance(value, dict)
                and isinstance(other, dict)
                and str(value.get("name", "")).lower() == str(other.get("name", "")).lower()
                and value.get("equals") == other.get("equals")
            )
        elif key == "has_tools" and value is True and "tool_name" in later:
            ok = True  # a request offering a named tool has tools
        else:
            ok = key in later and other == value
        if not ok:
            return False
    return True


def check_routing_effects(cs: ConfigSet, policies: Policies) -> list[Problem]:
    """Fallbacks serve the same kind of calls and (for the context window) a larger window; routing
    rules can match and their target can take what they match."""
    doc = cs.docs["routing"]
    routing = cs.data("routing")
    groups = model_groups(cs)
    default_mode = str(policies.hooks_schema["$defs"]["groupMode"]["default"])
    found = Found()
    for kind in FALLBACK_KINDS:
        for source, targets in as_map(routing.get(kind)).items():
            if source not in groups:
                continue
            for index, target in enumerate(as_list(targets)):
                if not isinstance(target, str) or target not in groups or target == source:
                    continue
                path = (kind, source, index)
                because = (ref(cs, "models", ("model_groups", source)), ref(cs, "models", ("model_groups", target)))
                source_mode, target_mode = _mode(groups[source], default_mode), _mode(groups[target], default_mode)
                if source_mode != target_mode:
                    found.add(
                        doc,
                        path,
                        f"fallback target '{target}' serves {target_mode} calls, '{source}' serves {source_mode}; a "
                        "fallback must serve the same kind of calls",
                        value=True,
                        check="fallback-kind-mismatch",
                        because=because,
                    )
                    continue
                if kind != "context_window_fallbacks":
                    continue
                source_window, target_window = _window(groups[source]), _window(groups[target])
                if source_window is None or target_window is None:
                    missing = " and ".join(
                        f"'{g}'" for g, w in ((source, source_window), (target, target_window)) if w is None
                    )
                    found.add(
                        doc,
                        path,
                        f"cannot check the context-window fallback '{source}' -> '{target}': {missing} declares no "
                        "max_input_tokens in config/models.yaml",
                        value=True,
                        check="context-window-unchecked",
                        because=because,
                    )
                elif target_window <= source_window:
                    found.add(
                        doc,
                        path,
                        f"context-window fallback '{source}' -> '{target}' cannot help: '{target}' accepts "
                        f"{target_window} input tokens, no more than '{source}' ({source_window}); a fallback for "
                        "long prompts needs a larger max_input_tokens",
                        value=True,
                        check="context-window-fallback-smaller",
                        because=because,
                    )

    labels = as_map(routing.get("labels"))
    rules = as_list(routing.get("rules"))
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue
        name = rule.get("name")
        when = rule.get("when")
        for earlier_index, earlier in enumerate(rules[:index]):
            if isinstance(earlier, dict) and covers(earlier.get("when"), when):
                found.add(
                    doc,
                    ("rules", index),
                    f"rule '{name}' can never match: rule '{earlier.get('name')}' (rules[{earlier_index}]) comes "
                    "first and matches every request it matches (first match wins); move it up or narrow the earlier "
                    "rule",
                    check="rule-unreachable",
                )
                break
        label = rule.get("label")
        group_name = labels.get(label) if isinstance(label, str) else None
        if not isinstance(group_name, str) or group_name not in groups:
            continue
        to_group = (ref(cs, "models", ("model_groups", group_name)),)
        if _mode(groups[group_name], default_mode) != "chat":
            found.add(
                doc,
                ("rules", index, "label"),
                f"rule '{name}' routes to '{group_name}', {_an(_mode(groups[group_name], default_mode))} group; rules "
                "route chat calls only and the hooks refuse a reroute to another kind of group, so this rule never "
                "changes a request",
                check="rule-non-chat",
                because=to_group,
            )
            continue
        tokens = as_map(when).get("min_prompt_tokens")
        if isinstance(tokens, int) and not isinstance(tokens, bool):
            reach = _fallback_windows(groups, routing, group_name)
            windows = [w for _, w in reach]
            if all(w is not None for w in windows) and max(w for w in windows if w is not None) < tokens:
                chain = ", ".join(f"'{g}' {w}" for g, w in reach)
                found.add(
                    doc,
                    ("rules", index, "when", "min_prompt_tokens"),
                    f"rule '{name}' sends prompts of at least {tokens} tokens to '{group_name}', and no group it can "
                    f"reach accepts that many (max_input_tokens: {chain}); every request it matches would fail",
                    value=True,
                    check="rule-prompt-too-long",
                    because=to_group,
                )
    default = routing.get("default_label")
    target = labels.get(default) if isinstance(default, str) else None
    if isinstance(target, str) and target in groups and _mode(groups[target], default_mode) != "chat":
        found.add(
            doc,
            ("default_label",),
            f"default_label '{default}' routes to '{target}', {_an(_mode(groups[target], default_mode))} group; the "
            "hooks refuse to reroute chat calls there, so the default never applies",
            check="rule-non-chat",
        )
    return found.problems


def check_unused_sources(cs: ConfigSet, policies: Policies) -> list[Problem]:
    """Model groups, deployments and guardrails that no environment runs (warnings: dead config)."""
    found = Found()
    enabled: dict[str, list[str]] = {}
    guardrails_on: set[str] = set()
    for env in policies.environments:
        overlay = cs.data(f"env:{env}")
        for name in as_list(overlay.get("model_groups")):
            if isinstance(name, str):
                enabled.setdefault(name, []).append(env)
        guardrails_on |= {g for g in as_list(overlay.get("guardrails")) if isinstance(g, str)}
    doc = cs.docs["models"]
    overlays = ", ".join(f"config/environments/{e}.yaml" for e in policies.environments)
    # what is enabled comes from the overlays: a problem there explains a group that looks unused
    groups_from = tuple(whole(ref(cs, f"env:{e}", ("model_groups",))) for e in policies.environments)
    guardrails_from = tuple(whole(ref(cs, f"env:{e}", ("guardrails",))) for e in policies.environments)
    for group, body in model_groups(cs).items():
        if group not in enabled:
            found.add(
                doc,
                ("model_groups", group),
                f"model group '{group}' is not enabled in any environment; add it to model_groups in {overlays}, or "
                "remove it",
                check="unused",
                because=groups_from,
            )
            continue
        for index, dep in enumerate(as_list(as_map(body).get("deployments"))):
            if not isinstance(dep, dict):
                continue
            envs = [e for e in as_list(dep.get("environments")) if isinstance(e, str)] or list(policies.environments)
            if not set(envs) & set(enabled[group]):
                found.add(
                    doc,
                    ("model_groups", group, "deployments", index),
                    f"deployment '{dep.get('id')}' runs nowhere: its environments ({', '.join(envs)}) do not enable "
                    f"group '{group}' (enabled in: {', '.join(enabled[group])})",
                    check="unused",
                    because=groups_from,
                )
    guardrails_doc = cs.docs["guardrails"]
    for index, guardrail in enumerate(as_list(cs.data("guardrails").get("guardrails"))):
        name = guardrail.get("name") if isinstance(guardrail, dict) else None
        if isinstance(name, str) and name not in guardrails_on:
            found.add(
                guardrails_doc,
                ("guardrails", index),
                f"guardrail '{name}' is not enabled in any environment; add it to guardrails in {overlays}, or remove "
                "it",
                check="unused",
                because=guardrails_from,
            )
    return found.problems


_CPU = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(m?)$")
_MEMORY = re.compile(r"^([0-9]+)(Ki|Mi|Gi|K|M|G)?$")
_MEMORY_UNITS = {None: 1, "K": 10**3, "M": 10**6, "G": 10**9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}


def _quantity(resource: str, value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        return None
    if resource == "cpu":
        match = _CPU.match(value)
        return float(match.group(1)) / (1000 if match.group(2) else 1) if match else None
    match = _MEMORY.match(value)
    return float(match.group(1)) * _MEMORY_UNITS[match.group(2)] if match else None


def chart_resources(policies: Policies) -> dict[str, Any]:
    """The chart's default resources (helm merges an environment's resources over them)."""
    doc, _ = load_yaml(policies.tree.chart_dir / "values.yaml", "values.yaml")
    return as_map(as_map(doc.data if doc else {}).get("resources"))


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def check_scaling(eff: EffectiveConfig, chart_defaults: dict[str, Any]) -> list[Problem]:
    """The autoscaler's bounds hold together (error) and hold the replica count (a warning: with
    autoscaling the chart leaves the count to the autoscaler); no resource request exceeds its
    limit (Kubernetes rejects such a pod)."""
    found = Found(eff.env)
    overlay = eff.data["environment"]
    autoscaling = as_map(overlay.get("autoscaling"))
    low, high, replicas = (
        _count(autoscaling.get("min_replicas")),
        _count(autoscaling.get("max_replicas")),
        _count(overlay.get("replicas")),
    )
    if low is not None and high is not None:
        if low > high:
            found.add(
                eff,
                ("environment", "autoscaling", "min_replicas"),
                "autoscaling.min_replicas is larger than max_replicas",
                value=True,
                check="autoscaling-range",
            )
        elif replicas is not None and not low <= replicas <= high:
            found.add(
                eff,
                ("environment", "replicas"),
                f"replicas {replicas} is outside the autoscaling range {low}–{high} and has no effect: with "
                f"autoscaling the autoscaler owns the pod count; set replicas between {low} and {high} so the file "
                "says what runs",
                value=True,
                check="replicas-ignored",
            )
    resources = as_map(overlay.get("resources"))
    for resource in ("cpu", "memory"):
        requests, limits = as_map(resources.get("requests")), as_map(resources.get("limits"))
        request = requests.get(resource, as_map(chart_defaults.get("requests")).get(resource))
        limit = limits.get(resource, as_map(chart_defaults.get("limits")).get(resource))
        if resource not in requests and resource not in limits:
            continue
        wanted, allowed = _quantity(resource, request), _quantity(resource, limit)
        if wanted is not None and allowed is not None and wanted > allowed:
            side = "requests" if resource in requests else "limits"
            origin = (
                ""
                if resource in requests and resource in limits
                else " (the other one is the chart's default in helm/litellm-gateway/values.yaml)"
            )
            found.add(
                eff,
                ("environment", "resources", side, resource),
                f"resources.requests.{resource} {request} is more than resources.limits.{resource} {limit}{origin}; "
                "Kubernetes rejects a container whose request exceeds its limit",
                value=True,
                check="resources-request-above-limit",
            )
    return found.problems
