"""Cross-reference checks the schemas cannot express: names that must exist in another file,
cycles, secret references and their sources per environment.

Checks run on schema-invalid data too, so they read every value through as_map/as_list/isinstance
and never assume a shape; a problem that follows from a schema problem is dropped by
problems.settle (each problem says what it is about and what it depends on)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from litellm_bundle.core.facts import FALLBACK_KINDS
from litellm_bundle.core.problems import Found, PathKey, Problem, Ref, names, whole
from litellm_bundle.model import sizing
from litellm_bundle.model.configset import ConfigSet, as_list, as_map
from litellm_bundle.model.effective import EffectiveConfig
from litellm_bundle.model.versions import env_version
from litellm_bundle.policy.policies import Policies

# deployment keys that do not change where a request goes (two deployments differing only here are one);
# `tags` do: tag routing sends a tagged request to the deployments carrying its tag
NOT_TARGET = {
    "id",
    "environments",
    "order",
    "weight",
    "rpm",
    "tpm",
    "timeout",
    "stream_timeout",
    "max_retries",
    "model_info",
}


def known(names: Any) -> str:
    return ", ".join(sorted(str(n) for n in names)) or "none"


def ref(cs: ConfigSet, key: str, path: PathKey) -> Ref:
    """A place in another source file that a problem depends on."""
    return (cs.files.get(key, key), path)


def find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """A cycle in a directed graph as [a, b, ..., a], or None. Deterministic (sorted walk)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
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


def model_groups(cs: ConfigSet) -> dict[str, Any]:
    return as_map(cs.data("models").get("model_groups"))


def check_models(cs: ConfigSet, policies: Policies) -> list[Problem]:
    """Ids are unique; within a group no two deployments in a common environment share a target."""
    doc = cs.docs["models"]
    found = Found()
    seen_ids: dict[str, PathKey] = {}
    for group, body in model_groups(cs).items():
        seen: list[tuple[int, set[str], tuple[Any, ...]]] = []
        for index, dep in enumerate(as_list(as_map(body).get("deployments"))):
            if not isinstance(dep, dict):
                continue
            path: PathKey = ("model_groups", group, "deployments", index)
            dep_id = dep.get("id")
            if isinstance(dep_id, str):
                if dep_id in seen_ids:
                    first = doc.locate(seen_ids[dep_id])
                    found.add(
                        doc,
                        path + ("id",),
                        f"duplicate deployment id '{dep_id}' (first used at line {first.line}); ids must be unique "
                        "across all groups",
                        check="duplicate-name",
                    )
                else:
                    seen_ids[dep_id] = path + ("id",)
            envs = {e for e in as_list(dep.get("environments")) if isinstance(e, str)} or set(policies.environments)
            # what a request reaches: every key but the deployment's name, placement and limits
            target = tuple(sorted((k, repr(v)) for k, v in dep.items() if k not in NOT_TARGET))
            for other, other_envs, other_target in seen:
                if other_target == target and envs & other_envs:
                    found.add(
                        doc,
                        path,
                        f"duplicate deployment in group '{group}': same provider/model/api_base as "
                        f"deployments[{other}] in {', '.join(sorted(envs & other_envs))}; remove one or change its "
                        "target",
                        check="duplicate-deployment",
                    )
                    break
            seen.append((index, envs, target))
    return found.problems


def check_routing_references(cs: ConfigSet, policies: Policies) -> list[Problem]:
    """Fallbacks, labels and rules name model groups and labels that exist, and do not loop."""
    doc = cs.docs["routing"]
    routing = cs.data("routing")
    groups = set(model_groups(cs))
    found = Found()
    groups_ref = (names(ref(cs, "models", ("model_groups",))),)
    for kind in FALLBACK_KINDS:
        mapping = as_map(routing.get(kind))
        for source, targets in mapping.items():
            if source not in groups:
                found.add(
                    doc,
                    (kind, source),
                    f"{kind} source '{source}' is not a model group (known: {known(groups)})",
                    check="unknown-model-group",
                    because=groups_ref,
                )
            for index, target in enumerate(as_list(targets)):
                if not isinstance(target, str):
                    continue
                if target not in groups:
                    found.add(
                        doc,
                        (kind, source, index),
                        f"fallback target '{target}' is not a model group (known: {known(groups)})",
                        check="unknown-model-group",
                        value=True,
                        because=groups_ref,
                    )
                elif target == source:
                    found.add(
                        doc,
                        (kind, source, index),
                        f"'{source}' falls back to itself; a fallback must be another group",
                        check="fallback-to-itself",
                        value=True,
                    )
        graph = {s: [t for t in as_list(ts) if isinstance(t, str) and t != s] for s, ts in mapping.items()}
        cycle = find_cycle(graph)
        if cycle:
            found.add(
                doc,
                (kind, cycle[0]),
                f"{kind} cycle: {' -> '.join(cycle)}; a fallback chain must end",
                check="fallback-cycle",
            )
    labels = as_map(routing.get("labels"))
    for label, group in labels.items():
        if isinstance(group, str) and group not in groups:
            found.add(
                doc,
                ("labels", label),
                f"label '{label}' maps to '{group}', which is not a model group (known: {known(groups)})",
                check="unknown-model-group",
                value=True,
                because=groups_ref,
            )
    rules = as_list(routing.get("rules"))
    seen_rules: dict[str, int] = {}
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue
        name = rule.get("name")
        if isinstance(name, str) and name in seen_rules:
            found.add(
                doc,
                ("rules", index, "name"),
                f"duplicate rule name '{name}' (also rules[{seen_rules[name]}])",
                check="duplicate-name",
            )
        elif isinstance(name, str):
            seen_rules[name] = index
        rule_label = rule.get("label")
        if isinstance(rule_label, str) and rule_label not in labels:
            found.add(
                doc,
                ("rules", index, "label"),
                f"rule '{name}' yields label '{rule_label}', which is not declared in labels (known: {known(labels)})",
                check="unknown-label",
            )
        for m_index, model in enumerate(as_list(as_map(rule.get("when")).get("models"))):
            if isinstance(model, str) and not any(c in model for c in "*?[") and model not in groups:
                found.add(
                    doc,
                    ("rules", index, "when", "models", m_index),
                    f"rule '{name}' matches model '{model}', which is not a model group (known: {known(groups)})",
                    check="unknown-model-group",
                    value=True,
                    because=groups_ref,
                )
    default = routing.get("default_label")
    if isinstance(default, str) and default not in labels:
        found.add(
            doc,
            ("default_label",),
            f"default_label '{default}' is not declared in labels (known: {known(labels)})",
            check="unknown-label",
        )
    # route loops: a rule for explicit models routes them to a group; a chain of such rules must not come back
    routes: dict[str, list[str]] = {}
    first_rule: dict[str, int] = {}
    for index, rule in enumerate(rules):
        rule_label = rule.get("label") if isinstance(rule, dict) else None
        target = labels.get(rule_label) if isinstance(rule_label, str) else None
        if not isinstance(target, str):
            continue
        for model in as_list(as_map(rule.get("when")).get("models")):
            if isinstance(model, str) and model in groups and model != target:
                routes.setdefault(model, []).append(target)
                first_rule.setdefault(model, index)
    cycle = find_cycle(routes)
    if cycle:
        found.add(
            doc,
            ("rules", first_rule[cycle[0]], "label"),
            f"routing rules form a loop: {' -> '.join(cycle)}; a rule may not route to a label that routes back",
            check="routing-loop",
        )
    return found.problems


def check_unique_names(cs: ConfigSet, doc_key: str, list_key: str, what: str) -> list[Problem]:
    doc = cs.docs[doc_key]
    found = Found()
    seen: dict[str, int] = {}
    for index, item in enumerate(as_list(cs.data(doc_key).get(list_key))):
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str):
            continue
        if name in seen:
            found.add(
                doc,
                (list_key, index, "name"),
                f"duplicate {what} name '{name}' (also {list_key}[{seen[name]}])",
                check="duplicate-name",
            )
        else:
            seen[name] = index
    return found.problems


def strings(node: Any, path: PathKey = ()) -> Iterator[tuple[PathKey, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from strings(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from strings(value, path + (index,))
    elif isinstance(node, str):
        yield path, node


def check_environment_references(cs: ConfigSet, eff: EffectiveConfig, policies: Policies) -> list[Problem]:
    """Checks of one environment's effective configuration: what it names exists and is enabled."""
    env = eff.env
    found = Found(env)
    overlay = eff.data["environment"]
    models = model_groups(cs)
    routing = as_map(eff.data["routing"])
    enabled = set(eff.data["model_groups"])
    enabled_ref = (eff.subject(("environment", "model_groups")),)  # what is enabled comes from there

    for index, name in enumerate(as_list(overlay.get("model_groups"))):
        if not isinstance(name, str):
            continue
        path: PathKey = ("environment", "model_groups", index)
        because = (whole(ref(cs, "models", ("model_groups", name))),)
        if name not in models:
            found.add(
                eff,
                path,
                f"model group '{name}' does not exist (known: {known(models)})",
                check="unknown-model-group",
                because=(names(ref(cs, "models", ("model_groups",))),),
            )
        elif name in eff.data["model_groups"] and not eff.data["model_groups"][name]["deployments"]:
            found.add(
                eff,
                path,
                f"model group '{name}' has no deployment for environment '{env}'; add one or list '{env}' in a "
                "deployment's environments",
                check="model-group-empty",
                because=because,
            )

    guardrail_names = {
        g.get("name")
        for g in as_list(cs.data("guardrails").get("guardrails"))
        if isinstance(g, dict) and isinstance(g.get("name"), str)
    }
    # LiteLLM-native guardrails (config/litellm.yaml) are enabled by name too
    guardrail_names |= {
        g.get("guardrail_name")
        for g in as_list(cs.data("litellm").get("guardrails"))
        if isinstance(g, dict) and isinstance(g.get("guardrail_name"), str)
    }
    for index, name in enumerate(as_list(overlay.get("guardrails"))):
        if isinstance(name, str) and name not in guardrail_names:
            found.add(
                eff,
                ("environment", "guardrails", index),
                f"guardrail '{name}' is not defined in config/guardrails.yaml or config/litellm.yaml (known: "
                f"{known(guardrail_names)})",
                check="unknown-guardrail",
                because=(names(ref(cs, "guardrails", ("guardrails",))), names(ref(cs, "litellm", ("guardrails",)))),
            )

    for kind in FALLBACK_KINDS:
        for source, targets in as_map(routing.get(kind)).items():
            if source not in enabled:
                continue
            for index, target in enumerate(as_list(targets)):
                if isinstance(target, str) and target in models and target not in enabled:
                    found.add(
                        eff,
                        ("routing", kind, source, index),
                        f"fallback target '{target}' is not enabled in {env} (enabled: {known(enabled)})",
                        check="model-group-not-enabled",
                        value=True,
                        because=(ref(cs, "models", ("model_groups", target)),) + enabled_ref,
                    )
    for label, group in as_map(routing.get("labels")).items():
        if isinstance(group, str) and group in models and group not in enabled:
            found.add(
                eff,
                ("routing", "labels", label),
                f"label '{label}' routes to '{group}', which is not enabled in {env} (enabled: {known(enabled)})",
                check="model-group-not-enabled",
                value=True,
                because=(ref(cs, "models", ("model_groups", group)),) + enabled_ref,
            )

    for path in sizing.conflicts(cs.env_doc(env).data):
        found.add(
            eff,
            ("environment", *path),
            f"`{'.'.join(path)}` is derived from `sizing` (pod_rps / worker_rps, litellm_bundle/model/sizing.py); "
            "remove it here or remove `sizing`",
            check="sizing-conflict",
        )

    tag = as_map(overlay.get("image")).get("tag")
    version = env_version(cs, env)
    if isinstance(tag, str) and tag.lstrip("v") != version:
        source = f"{env}'s litellm_version" if version != cs.tree.pinned_version() else "LITELLM_VERSION"
        found.add(
            eff,
            ("environment", "image", "tag"),
            f"image tag '{tag}' drifts from the environment's LiteLLM version {version} ({source}); remove the "
            f"tag or set it to {version}",
            check="image-tag-drift",
        )
    return found.problems


def check_secret_references(cs: ConfigSet, eff: EffectiveConfig, policies: Policies) -> list[Problem]:
    """Every os.environ/NAME an environment runs with is declared, with a source for that environment."""
    env = eff.env
    found = Found(env)
    declared = as_map(cs.data("secrets").get("references"))
    for path, text in strings(eff.data):
        match = policies.env_ref.match(text)
        if not match:
            continue
        name = match.group(1)
        sources = as_map(as_map(declared.get(name)).get("sources"))
        if name not in declared:
            found.add(
                eff,
                path,
                f"secret reference {name} is not declared in config/secrets.yaml (declared: {known(declared)})",
                check="secret-undeclared",
                value=True,
                because=(names(ref(cs, "secrets", ("references",))),),
            )
        elif env not in sources:
            found.add(
                eff,
                path,
                f"secret reference {name} has no source for environment '{env}' (sources for: {known(sources)}); add "
                f"sources.{env} in config/secrets.yaml",
                check="secret-source-missing",
                value=True,
                because=(
                    ref(cs, "secrets", ("references", name)),
                    names(ref(cs, "secrets", ("references", name, "sources"))),
                ),
            )
    return found.problems
