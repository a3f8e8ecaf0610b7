"""Access as code: the internal users, budget tiers, teams and virtual keys of config/access.yaml as one environment
has them (items of other environments left out, overrides applied), and which key the ServiceMonitor sends."""

from __future__ import annotations

import copy
import re
from typing import Any

from litellm_bundle.core.facts import METRICS_PATH
from litellm_bundle.core.yamlio import YamlDocument
from litellm_bundle.model.configset import ConfigSet, Origin, as_map

KINDS = ("users", "budgets", "teams", "keys")
LIMITS = ("max_budget", "budget_duration", "rpm_limit", "tpm_limit")
BUDGET_LIMITS = (*LIMITS, "soft_budget", "max_parallel_requests")  # a budget tier's (LiteLLM's budget object)


def _raw_overrides(doc: YamlDocument | None, env: str) -> dict[str, Any]:
    """The overrides an environment declares, as written (the schema's defaults would null out limits)."""
    data = doc.data if doc is not None and isinstance(doc.data, dict) else {}
    overrides = data.get("overrides")
    found = overrides.get(env) if isinstance(overrides, dict) else None
    return found if isinstance(found, dict) else {}


def effective_access(cs: ConfigSet, env: str) -> tuple[dict[str, Any], list[Origin]]:
    """{users, budgets, teams, keys} of `env` (items of other environments left out, overrides applied, a key's models
    defaulting to its team's) and where each part came from."""
    doc = cs.docs.get("access")
    source = cs.data("access")
    overrides = _raw_overrides(doc, env)
    found: dict[str, dict[str, Any]] = {kind: {} for kind in KINDS}
    origins: list[Origin] = []
    for kind in KINDS:
        for alias, item in as_map(source.get(kind)).items():
            if not isinstance(item, dict) or env not in (item.get("environments") or [env]):
                continue
            merged = {**copy.deepcopy(item), **as_map(as_map(overrides.get(kind)).get(alias))}
            found[kind][alias] = merged
            if doc is not None:
                origins.append(Origin(("access", kind, alias), doc, (kind, alias)))
                for field in as_map(as_map(overrides.get(kind)).get(alias)):
                    origins.append(Origin(("access", kind, alias, field), doc, ("overrides", env, kind, alias, field)))
    for key in found["keys"].values():
        team = found["teams"].get(key.get("team")) if isinstance(key.get("team"), str) else None
        key.setdefault("models", (team or {}).get("models"))
    return found, origins


def access_groups(model_groups: dict[str, Any]) -> dict[str, set[str]]:
    """LiteLLM's model access groups of the enabled groups: access group -> the model groups one of whose
    deployments names it in model_info.access_groups (a key or team naming it may call them all)."""
    found: dict[str, set[str]] = {}
    for group, spec in model_groups.items():
        for dep in spec.get("deployments") or [] if isinstance(spec, dict) else []:
            info = dep.get("model_info") if isinstance(dep, dict) else None
            for name in strings(info.get("access_groups")) if isinstance(info, dict) else []:
                found.setdefault(name, set()).add(group)
    return found


# LiteLLM's special names in object_permission.mcp_servers (proxy/_types.py): a key's opt-out of its team's
# servers, a team's grant of every server on the proxy
MCP_SPECIAL = {"keys": "no-mcp-servers", "teams": "all-proxy-mcpservers"}


def mcp_servers(litellm: Any) -> dict[str, bool]:
    """The MCP servers an environment declares (LiteLLM's `mcp_servers` section, by name) -> whether every key
    may use it (`allow_all_keys`)."""
    servers = litellm.get("mcp_servers") if isinstance(litellm, dict) else None
    return {
        str(name): isinstance(spec, dict) and spec.get("allow_all_keys") is True
        for name, spec in (servers.items() if isinstance(servers, dict) else ())
    }


def mcp_outside_team(key_servers: list[str], team_servers: list[str], declared: dict[str, bool]) -> list[str]:
    """The servers of a key that LiteLLM refuses for a key of a team granting `team_servers` (/key/generate and
    /key/update: a key's servers are within its team's and those every key may use; a team granting
    all-proxy-mcpservers grants them all)."""
    if MCP_SPECIAL["teams"] in team_servers:
        return []
    return [s for s in key_servers if s != MCP_SPECIAL["keys"] and s not in team_servers and not declared.get(s)]


def strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def declared(access: dict[str, Any] | None) -> bool:
    """Users, budget tiers, teams or keys are declared for the environment (`access`: its effective access)."""
    access = access or {}
    return any(access.get(kind) for kind in KINDS)


METRICS_ROUTES = (METRICS_PATH.rstrip("/"), METRICS_PATH)  # a key's allowed_routes may name either


def metrics_scraper(access: Any, env_ref: re.Pattern[str]) -> tuple[str, str] | None:
    """(alias, reference name) of the key the ServiceMonitor sends: one limited to /metrics whose value
    comes from a declared secret reference, or None."""
    keys = access.get("keys") if isinstance(access, dict) else None
    for alias, key in sorted(keys.items()) if isinstance(keys, dict) else []:
        if not isinstance(key, dict):
            continue
        routes = strings(key.get("allowed_routes"))
        match = env_ref.match(key["value"]) if isinstance(key.get("value"), str) else None
        if routes and set(routes) <= set(METRICS_ROUTES) and match:
            return str(alias), match.group(1)
    return None


def scrapes_with_a_key(env: dict[str, Any]) -> bool:
    """A ServiceMonitor scrapes /metrics/ while the proxy requires a key there (the schema's default is
    true; a tree whose schema predates the switch, a git ref for `diff`, rendered /metrics/ open)."""
    kube = env.get("kubernetes") if isinstance(env, dict) else None
    return isinstance(kube, dict) and bool(
        env.get("prometheus") and kube.get("service_monitor") and env.get("require_auth_for_metrics_endpoint", False)
    )
