"""Checks of the environment's teams and keys that a schema cannot make: cross-references, limits that
can never bind, the ServiceMonitor's key and the database connection budget."""

from __future__ import annotations

import re

from litellm_bundle.core.problems import Found, Problem, whole
from litellm_bundle.model.access import metrics_scraper, number, scrapes_with_a_key, strings
from litellm_bundle.model.effective import EffectiveConfig
from litellm_bundle.model.sizing import most_pods


def check_access(eff: EffectiveConfig) -> list[Problem]:
    """Cross-references of the environment's users, teams and keys (errors: LiteLLM would refuse or every
    request of the key would fail; warnings: a limit that can never bind)."""
    env = eff.env
    access = eff.data.get("access") or {}
    teams, keys = access.get("teams") or {}, access.get("keys") or {}
    enabled = set(eff.data["model_groups"])
    # a broken group or a broken list of enabled groups explains a group missing here
    groups = eff.because(("model_groups",)) + (whole(eff.subject(("environment", "model_groups"))),)
    found = Found(env)
    for kind, items in (("teams", teams), ("keys", keys)):
        for alias, item in items.items():
            for index, model in enumerate(strings(item.get("models"))):
                if model not in enabled:
                    found.add(
                        eff,
                        ("access", kind, alias, "models", index),
                        value=True,
                        because=groups,
                        message=(
                            f"{kind[:-1]} '{alias}' may call '{model}', which is not a model group enabled in "
                            f"{env} (enabled: {', '.join(sorted(enabled)) or 'none'})"
                        ),
                        check="model-group-not-enabled",
                    )
    users = access.get("users") or {}
    for alias, team in teams.items():
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
                        else f"team '{alias}' has member '{user_id}', who is not a user declared for {env} (users "
                        f"there: {', '.join(sorted(users)) or 'none'})"
                    ),
                    check="unknown-team-member",
                )
            seen.add(user_id)
    for alias, key in keys.items():
        team_alias = key.get("team")
        if not isinstance(team_alias, str):
            continue  # the schema reports it
        team = teams.get(team_alias)
        if team is None:
            found.add(
                eff,
                ("access", "keys", alias, "team"),
                value=True,
                message=(
                    f"key '{alias}' belongs to team '{team_alias}', which is not declared for {env} (teams there: "
                    f"{', '.join(sorted(teams)) or 'none'})"
                ),
                check="unknown-team",
            )
            continue
        outside = [m for m in strings(key.get("models")) if m not in strings(team.get("models"))]
        if outside:
            found.add(
                eff,
                ("access", "keys", alias, "models"),
                because=eff.because(("access", "teams", team_alias)),
                message=(
                    f"key '{alias}' may call {', '.join(outside)}, which its team '{team_alias}' may not (team "
                    f"models: {', '.join(strings(team.get('models')))}); LiteLLM refuses such a key"
                ),
                check="key-models-outside-team",
            )
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
    return found.problems


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
