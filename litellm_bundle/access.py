"""Access as code: the teams and virtual keys of config/access.yaml as one environment has them, the
checks a schema cannot make, and the rendered access.json that gateway_access reconciles with a proxy."""

from __future__ import annotations

import copy
import importlib
import json
import re
import sys
from typing import TYPE_CHECKING, Any

from .problems import Problem, whole
from .schema_defaults import with_defaults
from .yamlio import YamlDocument

if TYPE_CHECKING:
    from types import ModuleType

    from .configset import ConfigSet, EffectiveConfig, Origin
    from .policies import Policies
    from .tree import BundleTree

STATE_SCHEMA = "access-state.schema.json"
KINDS = ("teams", "keys")
LIMITS = ("max_budget", "budget_duration", "rpm_limit", "tpm_limit")


def _raw_overrides(doc: YamlDocument | None, env: str) -> dict[str, Any]:
    """The overrides an environment declares, as written (the schema's defaults would null out limits)."""
    data = doc.data if doc is not None and isinstance(doc.data, dict) else {}
    overrides = data.get("overrides")
    found = overrides.get(env) if isinstance(overrides, dict) else None
    return found if isinstance(found, dict) else {}


def effective_access(cs: ConfigSet, env: str) -> tuple[dict[str, Any], list[Origin]]:
    """{teams, keys} of `env` (items of other environments left out, overrides applied, a key's models
    defaulting to its team's) and where each part came from."""
    from .configset import Origin, as_map

    doc = cs.docs.get("access")
    source = cs.data("access")
    overrides = _raw_overrides(doc, env)
    found: dict[str, dict[str, Any]] = {"teams": {}, "keys": {}}
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


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def declared(eff: EffectiveConfig) -> bool:
    access = eff.data.get("access") or {}
    return bool(access.get("teams") or access.get("keys"))


def check_environment(eff: EffectiveConfig) -> list[Problem]:
    """Cross-references of the environment's teams and keys (errors: LiteLLM would refuse or every
    request of the key would fail; warnings: a limit that can never bind)."""
    from .semantics import Found

    env = eff.env
    access = eff.data.get("access") or {}
    teams, keys = access.get("teams") or {}, access.get("keys") or {}
    enabled = set(eff.data["model_groups"])
    # a broken group or a broken list of enabled groups explains a group missing here
    groups = eff.because(("model_groups",)) + (whole(eff.subject(("environment", "model_groups"))),)
    found = Found(env)
    for kind, items in (("teams", teams), ("keys", keys)):
        for alias, item in items.items():
            for index, model in enumerate(_strings(item.get("models"))):
                if model not in enabled:
                    found.add(eff, ("access", kind, alias, "models", index), value=True, because=groups,
                              message=f"{kind[:-1]} '{alias}' may call '{model}', which is not a model group enabled in {env} (enabled: {', '.join(sorted(enabled)) or 'none'})")
    for alias, key in keys.items():
        team_alias = key.get("team")
        if not isinstance(team_alias, str):
            continue  # the schema reports it
        team = teams.get(team_alias)
        if team is None:
            found.add(eff, ("access", "keys", alias, "team"), value=True,
                      message=f"key '{alias}' belongs to team '{team_alias}', which is not declared for {env} (teams there: {', '.join(sorted(teams)) or 'none'})")
            continue
        outside = [m for m in _strings(key.get("models")) if m not in _strings(team.get("models"))]
        if outside:
            found.add(eff, ("access", "keys", alias, "models"), because=eff.because(("access", "teams", team_alias)),
                      message=f"key '{alias}' may call {', '.join(outside)}, which its team '{team_alias}' may not (team models: {', '.join(_strings(team.get('models')))}); LiteLLM refuses such a key")
        for limit in ("max_budget", "rpm_limit", "tpm_limit"):
            if _number(key.get(limit)) and _number(team.get(limit)) and key[limit] > team[limit]:
                found.add(eff, ("access", "keys", alias, limit), value=True, severity="warning",
                          message=f"key '{alias}' {limit} {key[limit]} is above its team's ({team[limit]}): the team's limit binds first")
    return found.problems


METRICS_ROUTES = ("/metrics", "/metrics/")


def metrics_scraper(eff: EffectiveConfig, env_ref: re.Pattern[str]) -> tuple[str, str] | None:
    """(alias, reference name) of the key the ServiceMonitor sends: one limited to /metrics whose value
    comes from a declared secret reference, or None."""
    access = eff.data.get("access")
    keys = access.get("keys") if isinstance(access, dict) else None
    for alias, key in sorted(keys.items()) if isinstance(keys, dict) else []:
        if not isinstance(key, dict):
            continue
        routes = _strings(key.get("allowed_routes"))
        match = env_ref.match(key["value"]) if isinstance(key.get("value"), str) else None
        if routes and set(routes) <= set(METRICS_ROUTES) and match:
            return str(alias), match.group(1)
    return None


def scrapes_with_a_key(env: dict[str, Any]) -> bool:
    """A ServiceMonitor scrapes /metrics/ while the proxy requires a key there (the schema's default is
    true; a tree whose schema predates the switch, a git ref for `diff`, rendered /metrics/ open)."""
    kube = env.get("kubernetes") if isinstance(env, dict) else None
    return isinstance(kube, dict) and bool(env.get("prometheus") and kube.get("service_monitor") and env.get("require_auth_for_metrics_endpoint", False))


def check_metrics_scraper(eff: EffectiveConfig, env_ref: re.Pattern[str]) -> list[Problem]:
    """With /metrics/ behind a key, the ServiceMonitor needs one it can send (LiteLLM answers it 401 otherwise)."""
    from .semantics import Found

    found = Found(eff.env)
    if scrapes_with_a_key(eff.data["environment"]) and metrics_scraper(eff, env_ref) is None:
        found.add(eff, ("environment", "kubernetes", "service_monitor"),
                  message=f"{eff.env} keeps /metrics/ behind a key (require_auth_for_metrics_endpoint) and its ServiceMonitor has none to send: "
                          "declare a key in config/access.yaml with `allowed_routes: [/metrics]` and `value: os.environ/NAME` "
                          "(a declared secret reference) for this environment, or set require_auth_for_metrics_endpoint: false")
    return found.problems


def check_connection_budget(eff: EffectiveConfig) -> list[Problem]:
    """Every pod's database pool at the most replicas fits into the server's max_connections."""
    from .semantics import Found

    env = eff.data["environment"]
    database = env.get("database")
    autoscaling = env.get("autoscaling")
    numbers = [database.get("connection_pool_limit"), env.get("workers"), database.get("max_connections"),
               autoscaling.get("max_replicas") if isinstance(autoscaling, dict) else env.get("replicas")] if isinstance(database, dict) else []
    if not numbers or not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
        return []  # missing or malformed: the schema reports it (defaults are filled only on valid sources)
    pool, workers, limit, pods = numbers
    needed = pool * workers * pods
    found = Found(eff.env)
    if needed > limit:
        found.add(eff, ("environment", "database", "connection_pool_limit"),
                  message=f"the database pools need up to {needed} connections (connection_pool_limit {pool} x workers {workers} x {pods} pods at most) "
                          f"but database.max_connections is {limit}; lower the pool or the replicas, or raise max_connections")
    return found.problems


def document(eff: EffectiveConfig, policies: Policies) -> dict[str, Any]:
    """The complete access.json of one environment (defaults from access-state.schema.json)."""
    access = eff.data.get("access") or {}

    def metadata(item: dict[str, Any]) -> dict[str, Any]:
        found = dict(item.get("metadata") or {})
        if item.get("tags"):
            found["tags"] = list(item["tags"])
        return found

    teams = {alias: {"models": list(team["models"]), **{k: team.get(k) for k in LIMITS}, "metadata": metadata(team)}
             for alias, team in sorted((access.get("teams") or {}).items())}
    keys = {}
    for alias, key in sorted((access.get("keys") or {}).items()):
        match = policies.env_ref.match(key.get("value") or "")
        keys[alias] = {"team": key["team"], "models": list(key["models"]), **{k: key.get(k) for k in LIMITS}, "metadata": metadata(key),
                       "value_env": match.group(1) if match else None, "allowed_routes": key.get("allowed_routes")}
    return with_defaults(policies.schemas[STATE_SCHEMA], {"environment": eff.env, "teams": teams, "keys": keys}, policies.registry)


def render(eff: EffectiveConfig, policies: Policies) -> str:
    return json.dumps(document(eff, policies), indent=2, sort_keys=True) + "\n"


def reconciler(tree: BundleTree) -> ModuleType:
    """The gateway_access package of the tree (the same code the in-cluster Job runs)."""
    hooks = str(tree.root / "hooks")
    if hooks not in sys.path:
        sys.path.insert(0, hooks)
    return importlib.import_module("gateway_access.__main__")
