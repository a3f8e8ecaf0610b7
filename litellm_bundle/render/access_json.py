"""access.json: the users, budget tiers, teams and keys of one environment as gateway_access reconciles them
with a proxy (defaults from access-state.schema.json)."""

from __future__ import annotations

import json
from typing import Any

from litellm_bundle.model.access import BUDGET_LIMITS, LIMITS
from litellm_bundle.model.effective import EffectiveConfig
from litellm_bundle.policy.policies import Policies
from litellm_bundle.policy.schema_defaults import with_defaults

STATE_SCHEMA = "access-state.schema.json"


def document(eff: EffectiveConfig, policies: Policies) -> dict[str, Any]:
    """The complete access.json of one environment (defaults from access-state.schema.json)."""
    access = eff.data.get("access") or {}

    def metadata(item: dict[str, Any]) -> dict[str, Any]:
        found = dict(item.get("metadata") or {})
        if item.get("tags"):
            found["tags"] = list(item["tags"])
        return found

    def mcp(item: dict[str, Any]) -> list[str] | None:  # LiteLLM's object_permission.mcp_servers; None: not managed
        return None if item.get("mcp_servers") is None else list(item["mcp_servers"])

    users = {
        user_id: {
            **({"user_role": user["user_role"]} if user.get("user_role") else {}),  # else the schema's default
            **{k: user.get(k) for k in LIMITS},
            "metadata": metadata(user),
        }
        for user_id, user in sorted((access.get("users") or {}).items())
    }
    budgets = {
        name: {k: budget.get(k) for k in BUDGET_LIMITS}
        for name, budget in sorted((access.get("budgets") or {}).items())
    }
    teams = {
        alias: {
            "models": list(team["models"]),
            **{k: team.get(k) for k in LIMITS},
            "metadata": metadata(team),
            "members": None if team.get("members") is None else [{"role": "user", **m} for m in team["members"]],
            "mcp_servers": mcp(team),
        }
        for alias, team in sorted((access.get("teams") or {}).items())
    }
    keys = {}
    for alias, key in sorted((access.get("keys") or {}).items()):
        match = policies.env_ref.match(key.get("value") or "")
        keys[alias] = {
            "team": key["team"],
            "models": list(key["models"]),
            **{k: key.get(k) for k in LIMITS},
            "metadata": metadata(key),
            "value_env": match.group(1) if match else None,
            "allowed_routes": key.get("allowed_routes"),
            "budget_id": key.get("budget_id"),
            "user_id": key.get("user_id"),
            "mcp_servers": mcp(key),
        }
    return with_defaults(
        policies.schemas[STATE_SCHEMA],
        {"environment": eff.env, "users": users, "budgets": budgets, "teams": teams, "keys": keys},
        policies.registry,
    )


def render(eff: EffectiveConfig, policies: Policies) -> str:
    return json.dumps(document(eff, policies), indent=2, sort_keys=True) + "\n"
