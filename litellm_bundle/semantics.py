"""Cross-reference checks the schemas cannot express."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .configset import ConfigSet, EffectiveConfig
from .policies import Policies
from .problems import Problem
from .yamlio import PathKey


def _known(names: Any) -> str:
    return ", ".join(sorted(names)) or "none"


def find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """A cycle in a directed graph as [a, b, ..., a], or None. Deterministic (sorted walk)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if state.get(nxt) is None:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if state.get(node) is None:
            found = visit(node)
            if found:
                return found
    return None


def check_global(cs: ConfigSet, policies: Policies) -> list[Problem]:
    """Checks independent of the environment."""
    problems: list[Problem] = []
    models = cs.data("models").get("model_groups") or {}
    routing = cs.data("routing")
    if "models" in cs.docs and isinstance(models, dict):
        problems += _duplicate_deployments(cs, models, policies.environments)
    if "routing" in cs.docs and isinstance(models, dict):
        problems += _routing_targets(cs, routing, set(models))
    if "guardrails" in cs.docs:
        problems += _unique_names(cs, "guardrails", "guardrails", "guardrail")
    if "transforms" in cs.docs:
        problems += _unique_names(cs, "transforms", "transforms", "transform")
    return problems


def _duplicate_deployments(cs: ConfigSet, models: dict[str, Any], environments: tuple[str, ...]) -> list[Problem]:
    """Ids are unique; within a group no two deployments in a common environment share a target."""
    doc = cs.docs["models"]
    problems = []
    seen_ids: dict[str, PathKey] = {}
    for group, body in models.items():
        seen: list[tuple[int, set[str], tuple[Any, ...]]] = []
        for index, dep in enumerate((body or {}).get("deployments") or []):
            if not isinstance(dep, dict):
                continue
            path: PathKey = ("model_groups", group, "deployments", index)
            dep_id = dep.get("id")
            if dep_id in seen_ids:
                first = doc.locate(seen_ids[dep_id])
                problems.append(Problem(doc.locate(path + ("id",)), f"duplicate deployment id '{dep_id}' (first used at line {first.line}); ids must be unique across all groups"))
            else:
                seen_ids[dep_id] = path + ("id",)
            envs = set(dep.get("environments") or environments)
            target = (dep.get("provider"), dep.get("model"), dep.get("api_base"), dep.get("api_version"))
            for other, other_envs, other_target in seen:
                if other_target == target and envs & other_envs:
                    problems.append(Problem(doc.locate(path), f"duplicate deployment in group '{group}': same provider/model/api_base as deployments[{other}] in {', '.join(sorted(envs & other_envs))}; remove one or change its target"))
                    break
            seen.append((index, envs, target))
    return problems


def _routing_targets(cs: ConfigSet, routing: dict[str, Any], groups: set[str]) -> list[Problem]:
    doc = cs.docs["routing"]
    problems = []
    for kind in ("fallbacks", "context_window_fallbacks", "content_policy_fallbacks"):
        mapping = routing.get(kind) or {}
        if not isinstance(mapping, dict):
            continue
        for source, targets in mapping.items():
            if source not in groups:
                problems.append(Problem(doc.locate((kind, source)), f"{kind} source '{source}' is not a model group (known: {_known(groups)})"))
            for index, target in enumerate(targets or []):
                if target not in groups:
                    problems.append(Problem(doc.locate_value((kind, source, index)), f"fallback target '{target}' is not a model group (known: {_known(groups)})"))
                elif target == source:
                    problems.append(Problem(doc.locate_value((kind, source, index)), f"'{source}' falls back to itself; a fallback must be another group"))
        graph = {s: [t for t in (ts or []) if t != s] for s, ts in mapping.items()}
        cycle = find_cycle(graph)
        if cycle:
            problems.append(Problem(doc.locate((kind, cycle[0])), f"{kind} cycle: {' -> '.join(cycle)}; a fallback chain must end"))
    labels = routing.get("labels") or {}
    for label, group in labels.items():
        if group not in groups:
            problems.append(Problem(doc.locate_value(("labels", label)), f"label '{label}' maps to '{group}', which is not a model group (known: {_known(groups)})"))
    rules = routing.get("rules") or []
    seen_rules: dict[str, int] = {}
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue
        name = rule.get("name")
        if name in seen_rules:
            problems.append(Problem(doc.locate(("rules", index, "name")), f"duplicate rule name '{name}' (also rules[{seen_rules[name]}])"))
        seen_rules.setdefault(name, index)
        label = rule.get("label")
        if label not in labels:
            problems.append(Problem(doc.locate(("rules", index, "label")), f"rule '{name}' yields label '{label}', which is not declared in labels (known: {_known(labels)})"))
        for m_index, model in enumerate((rule.get("when") or {}).get("models") or []):
            if not any(c in model for c in "*?[") and model not in groups:
                problems.append(Problem(doc.locate_value(("rules", index, "when", "models", m_index)), f"rule '{name}' matches model '{model}', which is not a model group (known: {_known(groups)})"))
    default = routing.get("default_label")
    if default is not None and default not in labels:
        problems.append(Problem(doc.locate(("default_label",)), f"default_label '{default}' is not declared in labels (known: {_known(labels)})"))
    # route loops: a rule for explicit models routes them to a group; a chain of such rules must not come back
    graph: dict[str, list[str]] = {}
    first_rule: dict[str, int] = {}
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict) or rule.get("label") not in labels:
            continue
        target = labels[rule["label"]]
        for model in (rule.get("when") or {}).get("models") or []:
            if model in groups and model != target:
                graph.setdefault(model, []).append(target)
                first_rule.setdefault(model, index)
    cycle = find_cycle(graph)
    if cycle:
        problems.append(Problem(doc.locate(("rules", first_rule[cycle[0]], "label")), f"routing rules form a loop: {' -> '.join(cycle)}; a rule may not route to a label that routes back"))
    return problems


def _unique_names(cs: ConfigSet, doc_key: str, list_key: str, what: str) -> list[Problem]:
    doc = cs.docs[doc_key]
    items = cs.data(doc_key).get(list_key) or []
    seen: dict[str, int] = {}
    problems = []
    for index, item in enumerate(items):
        name = item.get("name") if isinstance(item, dict) else None
        if name in seen:
            problems.append(Problem(doc.locate((list_key, index, "name")), f"duplicate {what} name '{name}' (also {list_key}[{seen[name]}])"))
        elif name is not None:
            seen[name] = index
    return problems


def _strings(node: Any, path: PathKey = ()) -> Iterator[tuple[PathKey, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, path + (index,))
    elif isinstance(node, str):
        yield path, node


def check_environment(cs: ConfigSet, eff: EffectiveConfig, pinned_version: str, policies: Policies) -> list[Problem]:
    """Checks of one environment's effective configuration."""
    env = eff.env
    problems: list[Problem] = []
    overlay = eff.data["environment"]
    models = cs.data("models").get("model_groups") or {}
    routing = eff.data["routing"]
    declared = cs.data("secrets").get("references") or {}
    enabled = set(eff.data["model_groups"])

    for index, name in enumerate(overlay.get("model_groups") or []):
        if name not in models:
            problems.append(Problem(eff.locate(("environment", "model_groups", index)), f"model group '{name}' does not exist (known: {_known(models)})", env))
        elif not eff.data["model_groups"][name]["deployments"]:
            problems.append(Problem(eff.locate(("environment", "model_groups", index)), f"model group '{name}' has no deployment for environment '{env}'; add one or list '{env}' in a deployment's environments", env))

    guardrail_names = {g.get("name") for g in cs.data("guardrails").get("guardrails") or [] if isinstance(g, dict)}
    for index, name in enumerate(overlay.get("guardrails") or []):
        if name not in guardrail_names:
            problems.append(Problem(eff.locate(("environment", "guardrails", index)), f"guardrail '{name}' is not defined in config/guardrails.yaml (known: {_known(guardrail_names - {None})})", env))

    for kind in ("fallbacks", "context_window_fallbacks", "content_policy_fallbacks"):
        for source, targets in (routing.get(kind) or {}).items():
            if source not in enabled:
                continue
            for index, target in enumerate(targets or []):
                if target in models and target not in enabled:
                    problems.append(Problem(eff.locate(("routing", kind, source, index)), f"fallback target '{target}' is not enabled in {env} (enabled: {_known(enabled)})", env))
    for label, group in (routing.get("labels") or {}).items():
        if group in models and group not in enabled:
            problems.append(Problem(eff.locate(("routing", "labels", label)), f"label '{label}' routes to '{group}', which is not enabled in {env} (enabled: {_known(enabled)})", env))

    tag = (overlay.get("image") or {}).get("tag")
    if tag is not None and str(tag).lstrip("v") != pinned_version:
        problems.append(Problem(eff.locate(("environment", "image", "tag")), f"image tag '{tag}' drifts from the pinned LiteLLM version {pinned_version} (LITELLM_VERSION); remove the tag or set it to {pinned_version}", env))

    autoscaling = overlay.get("autoscaling") or {}
    if autoscaling and autoscaling.get("min_replicas", 1) > autoscaling.get("max_replicas", 1):
        problems.append(Problem(eff.locate(("environment", "autoscaling", "min_replicas")), "autoscaling.min_replicas is larger than max_replicas", env))

    for path, text in _strings(eff.data):
        match = policies.env_ref.match(text)
        if not match:
            continue
        name = match.group(1)
        if name not in declared:
            problems.append(Problem(eff.locate(path), f"secret reference {name} is not declared in config/secrets.yaml (declared: {_known(declared)})", env))
        elif env not in (declared[name].get("sources") or {}):
            have = _known((declared[name].get("sources") or {}).keys())
            problems.append(Problem(eff.locate(path), f"secret reference {name} has no source for environment '{env}' (sources for: {have}); add sources.{env} in config/secrets.yaml", env))
    return problems
