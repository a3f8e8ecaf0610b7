"""Checks of the environment's users, budget tiers, teams and keys that a schema cannot make: cross-references,
limits that can never bind, the ServiceMonitor's key and the database connection budget."""

from __future__ import annotations

import re
from typing import Any

from litellm_bundle.core.problems import Found, Problem, whole
from litellm_bundle.model.access import (
    MCP_SPECIAL,
    access_groups,
    mcp_outside_team,
    mcp_servers,
    metrics_scraper,
    number,
    scrapes_with_a_key,
    strings,
)
from litellm_bundle.model.effective import EffectiveConfig
from litellm_bundle.model.sizing import most_pods


def check_access(eff: EffectiveConfig) -> list[Problem]:
    """Cross-references of the environment's users, budget tiers, teams and keys (errors: LiteLLM would refuse
    or every request of the key would fail; warnings: a limit that can never bind)."""
    access = eff.data.get("access") or {}
    found = Found(eff.env)
    _check_models(eff, found, access)
    _check_members(eff, found, access)
    _check_keys(eff, found, access)
    _check_mcp_servers(eff, found, access)
    return found.problems


def _check_mcp_servers(eff: EffectiveConfig, found: Found, access: dict[str, Any]) -> None:
    """Every MCP server a team or key names is declared for the environment (LiteLLM's `mcp_servers`), and a
    key's are within its team's where the team declares them (LiteLLM refuses the key otherwise; a team that
    declares none is left as it is, so LiteLLM checks the key against the team's live grants)."""
    declared = mcp_servers(eff.data.get("litellm"))
    teams = access.get("teams") or {}
    for kind in ("teams", "keys"):
        for alias, item in (access.get(kind) or {}).items():
            for index, name in enumerate(strings(item.get("mcp_servers"))):
                if name not in declared and name != MCP_SPECIAL[kind]:
                    found.add(
                        eff,
                        ("access", kind, alias, "mcp_servers", index),
                        value=True,
                        because=eff.because(("litellm", "mcp_servers")),
                        message=(
                            f"{kind[:-1]} '{alias}' names MCP server '{name}', which {eff.env} does not declare "
                            f"(mcp_servers in config/litellm.yaml: {', '.join(sorted(declared)) or 'none'}; "
                            f"LiteLLM's {MCP_SPECIAL[kind]} also fits here)"
                        ),
                        check="unknown-mcp-server",
                    )
    for alias, key in (access.get("keys") or {}).items():
        team_alias = key.get("team")
        team = teams.get(team_alias) if isinstance(team_alias, str) else None
        if not isinstance(team, dict) or not isinstance(team.get("mcp_servers"), list):
            continue
        team_servers = strings(team["mcp_servers"])
        outside = mcp_outside_team(strings(key.get("mcp_servers")), team_servers, declared)
        if outside := [s for s in outside if s in declared]:  # an undeclared one is reported above
            message = (
                f"key '{alias}' names MCP server(s) {', '.join(outside)}, which its team '{team_alias}' does not "
                f"grant (team mcp_servers: {', '.join(team_servers) or 'none'}) nor every key may use "
                "(allow_all_keys); LiteLLM refuses such a key"
            )
            _outside_team(
                eff, found, (alias, "mcp_servers"), str(team_alias), message, check="key-mcp-servers-outside-team"
            )


def _outside_team(
    eff: EffectiveConfig, found: Found, where: tuple[str, str], team_alias: str, message: str, *, check: str
) -> None:
    """Key `where` (alias, field) names what its team does not grant (because of the team's declaration)."""
    found.add(
        eff,
        ("access", "keys", *where),
        because=eff.because(("access", "teams", team_alias)),
        message=message,
        check=check,
    )


def _check_models(eff: EffectiveConfig, found: Found, access: dict[str, Any]) -> None:
    """Every name in a team's or key's models is a model group enabled in the environment or one of its
    access groups (model_info.access_groups of an enabled deployment)."""
    env, enabled = eff.env, set(eff.data["model_groups"])
    groups = access_groups(eff.data["model_groups"])
    # a broken group or a broken list of enabled groups explains a group missing here
    because = eff.because(("model_groups",)) + (whole(eff.subject(("environment", "model_groups"))),)
    for kind in ("teams", "keys"):
        for alias, item in (access.get(kind) or {}).items():
            for index, model in enumerate(strings(item.get("models"))):
                if model not in enabled and model not in groups:
                    found.add(
                        eff,
                        ("access", kind, alias, "models", index),
                        value=True,
                        because=because,
                        message=(
                            f"{kind[:-1]} '{alias}' may call '{model}', which is not a model group enabled in {env} "
                            f"(enabled: {', '.join(sorted(enabled)) or 'none'}) nor an access group of one (access "
                            f"groups: {', '.join(sorted(groups)) or 'none'})"
                        ),
                        check="model-group-not-enabled",
                    )


def _check_members(eff: EffectiveConfig, found: Found, access: dict[str, Any]) -> None:
    users = access.get("users") or {}
    for alias, team in (access.get("teams") or {}).items():
        members = team.get("members") if isinstance(team.get("members"), list) else []
        seen: set[str] = set()
        for index, member in enumerate(members):
            user_id = member.get("user_id") if isinstance(member, dict) else None
            if not isinstance(user_id, str):
                continue  # the schema reports it
            if user_id not in users or user_id in seen:
                found.add(
                    eff,
                    ("access", "teams", alias, "members", index),
                    value=True,
                    message=(
                        f"team '{alias}' names '{user_id}' as a member twice"
                        if user_id in seen
                        else f"team '{alias}' has member '{user_id}', who is not a user declared for {eff.env} (users "
                        f"there: {', '.join(sorted(users)) or 'none'})"
                    ),
                    check="unknown-team-member",
                )
            seen.add(user_id)


def within_team(model: str, team_models: list[str], groups: dict[str, set[str]]) -> bool:
    """A key's model `model` is one its team may call: named by the team, or a model group of an access group
    the team names (LiteLLM's can_team_access_model)."""
    return model in team_models or any(model in groups.get(name, ()) for name in team_models)


def _check_keys(eff: EffectiveConfig, found: Found, access: dict[str, Any]) -> None:
    teams = access.get("teams") or {}
    groups = access_groups(eff.data["model_groups"])
    for alias, key in (access.get("keys") or {}).items():
        _check_key_references(eff, found, access, alias, key)
        team_alias = key.get("team")
        if not isinstance(team_alias, str):
            continue  # the schema reports it
        team = teams.get(team_alias)
        if team is None:
            subject = f"key '{alias}' belongs to team '{team_alias}'"
            _undeclared(eff, found, ("access", "keys", alias, "team"), subject, "teams", teams, check="unknown-team")
            continue
        team_models = strings(team.get("models"))
        outside = [m for m in strings(key.get("models")) if not within_team(m, team_models, groups)]
        if outside:
            message = (
                f"key '{alias}' may call {', '.join(outside)}, which its team '{team_alias}' may not (team "
                f"models: {', '.join(team_models)}); LiteLLM refuses such a key"
            )
            _outside_team(eff, found, (alias, "models"), team_alias, message, check="key-models-outside-team")
        for limit in ("max_budget", "rpm_limit", "tpm_limit"):
            if number(key.get(limit)) and number(team.get(limit)) and key[limit] > team[limit]:
                found.add(
                    eff,
                    ("access", "keys", alias, limit),
                    value=True,
                    message=(
                        f"key '{alias}' {limit} {key[limit]} is above its team's ({team[limit]}): the team's "
                        "limit binds first"
                    ),
                    check="key-limit-above-team",
                )


def _undeclared(
    eff: EffectiveConfig, found: Found, path: tuple[str, ...], subject: str, kind: str, names: Any, *, check: str
) -> None:
    """`subject` ("key 'a' belongs to team 'b'") names a `kind` not declared for the environment."""
    there = ", ".join(sorted(names)) or "none"
    message = f"{subject}, which is not declared for {eff.env} ({kind} there: {there})"
    found.add(eff, path, value=True, message=message, check=check)


def _check_key_references(
    eff: EffectiveConfig, found: Found, access: dict[str, Any], alias: str, key: dict[str, Any]
) -> None:
    """A key's budget tier and user are declared for the environment (and the user is a member of the key's
    team where the team declares its members: LiteLLM applies a member budget only to a member's keys)."""
    budgets, users = access.get("budgets") or {}, access.get("users") or {}
    budget = key.get("budget_id")
    if isinstance(budget, str) and budget not in budgets:
        subject = f"key '{alias}' names budget tier '{budget}'"
        _undeclared(
            eff, found, ("access", "keys", alias, "budget_id"), subject, "budgets", budgets, check="unknown-budget"
        )
    user = key.get("user_id")
    if not isinstance(user, str):
        return
    team = (access.get("teams") or {}).get(key.get("team"))
    members = team.get("members") if isinstance(team, dict) else None
    member_ids = {m.get("user_id") for m in members if isinstance(m, dict)} if isinstance(members, list) else None
    if user not in users:
        message = (
            f"key '{alias}' belongs to user '{user}', who is not a user declared for {eff.env} (users there: "
            f"{', '.join(sorted(users)) or 'none'})"
        )
    elif member_ids is not None and user not in member_ids:
        message = (
            f"key '{alias}' belongs to user '{user}', who is not a member of its team '{key.get('team')}' (members: "
            f"{', '.join(sorted(str(m) for m in member_ids)) or 'none'})"
        )
    else:
        return
    found.add(eff, ("access", "keys", alias, "user_id"), value=True, message=message, check="unknown-key-user")


def check_metrics_scraper(eff: EffectiveConfig, env_ref: re.Pattern[str]) -> list[Problem]:
    """With /metrics/ behind a key, the ServiceMonitor needs one it can send (LiteLLM answers it 401 otherwise)."""
    found = Found(eff.env)
    if scrapes_with_a_key(eff.data["environment"]) and metrics_scraper(eff.data.get("access"), env_ref) is None:
        found.add(
            eff,
            ("environment", "kubernetes", "service_monitor"),
            message=f"{eff.env} keeps /metrics/ behind a key (require_auth_for_metrics_endpoint) and its "
            "ServiceMonitor has none to send: declare a key in config/access.yaml with `allowed_routes: [/metrics]` "
            "and `value: os.environ/NAME` (a declared secret reference) for this environment, or set "
            "require_auth_for_metrics_endpoint: false",
            check="metrics-scraper-key-missing",
        )
    return found.problems


def check_connection_budget(eff: EffectiveConfig) -> list[Problem]:
    """Every pod's database pool at the most replicas fits into the server's max_connections."""
    env = eff.data["environment"]
    database = env.get("database")
    numbers = (
        [database.get("connection_pool_limit"), env.get("workers"), database.get("max_connections"), most_pods(env)]
        if isinstance(database, dict)
        else []
    )
    if not numbers or not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
        return []  # missing or malformed: the schema reports it (defaults are filled only on valid sources)
    pool, workers, limit, pods = numbers
    needed = pool * workers * pods
    found = Found(eff.env)
    if needed > limit:
        found.add(
            eff,
            ("environment", "database", "connection_pool_limit"),
            message=f"the database pools need up to {needed} connections (connection_pool_limit {pool} x workers "
            f"{workers} x {pods} pods at most) but database.max_connections is {limit}; lower the pool or the "
            "replicas, or raise max_connections",
            check="database-connections-exceeded",
        )
    return found.problems
