"""What each environment's copy needs, decided by that environment's own policies.

Every environment starts as a copy of the imported one. The written sources are loaded as the bundle
loads them and each environment's effective configuration is checked against its policies
(policies/environments/base, litellm and <env>.policy.json, defaults filled in as `validate` does).
A failing rule about an environment key gets the value policies/import-environments.yaml gives that key
(`fixes`); a failing rule about a LiteLLM setting (set_verbose in prod, ...) drops the setting from that
environment. The reason of each fix is the rule's own message, its source the rule's line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema.exceptions import ValidationError

from litellm_bundle.core.problems import Location, PathKey
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.core.yamlio import load_yaml
from litellm_bundle.importer.report import MISSING, child
from litellm_bundle.model.configset import LITELLM_SECTIONS, as_list, load_config_set, schema_name
from litellm_bundle.model.effective import effective_config
from litellm_bundle.policy.policies import Policies

DROP_RULES = ("not", "const", "enum")  # a LiteLLM setting a rule forbids is dropped


@dataclass(frozen=True)
class Fix:
    env: str
    op: str  # "set" an environment key, "drop" a LiteLLM setting
    path: PathKey  # (key,) of the environment, or (section, key) of LiteLLM's settings
    value: Any
    reason: str
    where: Location  # the rule


def _rule(policies: Policies, file: Path, error: ValidationError, read: dict[Path, Any]) -> tuple[str, Location]:
    """The failing rule's message and line: the nearest `x-message` on the error's schema path (`read`: the
    policy files read so far, with their positions)."""
    shown = policies.tree.shown(file)
    if file not in read:
        read[file] = load_yaml(file, shown)[0]
    doc = read[file]
    node: Any = doc.data if doc is not None else {}
    message = ""
    path: PathKey = ()
    walked: PathKey = ()
    for part in error.absolute_schema_path:
        node = child(node, part)
        if node is MISSING:
            break
        walked += (part,)
        if isinstance(node, dict) and isinstance(node.get("x-message"), str):
            message, path = node["x-message"], walked
    location = doc.locate(path) if doc is not None else Location(shown, 1, 1)
    return message or error.message, location


def _keys(error: ValidationError) -> list[str]:
    """The environment keys a failing rule is about."""
    path = tuple(error.absolute_path)
    if path[:1] == ("environment",) and len(path) >= 2:
        return [str(path[1])]
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [str(k) for k in as_list(error.validator_value) if k not in error.instance]
        return missing if path in ((), ("environment",)) else []
    if path[:1] == ("guardrails",):
        return ["guardrails"]
    return []


def policy_fixes(policies: Policies, config_dir: Path, values: dict[str, Any]) -> list[Fix] | None:
    """The fixes the failing rules of every environment's policies ask for, of the sources written in
    `config_dir`; None when they cannot be checked yet (a file does not load or fails its schema:
    validation then says why)."""
    tree = BundleTree.at(policies.tree.root, config_dir=config_dir, tools_dir=policies.tree.tools_dir)
    cs = load_config_set(tree, policies.environments)  # the schemas and policies are the tree's: `policies`'
    if cs.problems:
        return None
    for key, doc in cs.docs.items():
        if next(policies.validator(policies.source_schema(schema_name(key))).iter_errors(doc.data), None):
            return None
    cs.with_schema_defaults(policies)
    fixes: list[Fix] = []
    read: dict[Path, Any] = {}
    for env in policies.environments:
        eff = effective_config(cs, env)
        for file in policies.environment_policies(env):
            for error in policies.validator(file).iter_errors(eff.data):
                path = tuple(error.absolute_path)
                if path[:1] == ("litellm",) and len(path) >= 3 and path[1] in LITELLM_SECTIONS:
                    if error.validator in DROP_RULES:
                        reason, where = _rule(policies, file, error, read)
                        fixes.append(Fix(env, "drop", (str(path[1]), str(path[2])), None, reason, where))
                    continue
                for key in _keys(error):
                    if key in values:
                        reason, where = _rule(policies, file, error, read)
                        fixes.append(Fix(env, "set", (key,), values[key], reason, where))
    return fixes
