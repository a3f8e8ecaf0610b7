"""The Redis connection budget: every worker's Redis clients at the most replicas fit into the servers'
`maxclients`, like the database pool into PostgreSQL's max_connections (checks/access.py).

Per worker, each Redis client LiteLLM builds (model/redis_settings.py: the router's or the coordination
one, plus the response cache's) opens up to `max_connections` async connections to each node it uses
(per node for a cluster; the primary only, as neither the cluster client nor Sentinel's master_for reads
from replicas) and one more for its synchronous client (LiteLLM runs INFO with it at start and the few
sync calls, one at a time). A failover moves all of them to the new primary, so every data node must
hold the whole budget."""

from __future__ import annotations

from typing import Any

from litellm_bundle.core.problems import Found, Problem
from litellm_bundle.model.effective import EffectiveConfig
from litellm_bundle.model.redis_settings import clients_per_worker
from litellm_bundle.model.sizing import most_pods

SYNC_CONNECTIONS = 1  # per client: the synchronous client beside the async pool


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def check_redis_connections(eff: EffectiveConfig) -> list[Problem]:
    env = eff.data["environment"]
    redis = env.get("redis")
    if not isinstance(redis, dict) or _int(redis.get("maxclients")) is None:
        return []
    found = Found(eff.env)
    pods = _int(most_pods(env))
    workers, pool, limit = _int(env.get("workers")), _int(redis.get("max_connections")), redis["maxclients"]
    if pool is None:
        found.add(
            eff,
            ("environment", "redis", "maxclients"),
            message="redis.maxclients is set but redis.max_connections is not: each worker's Redis pools are "
            "then unbounded (redis-py's default); set max_connections so the budget can be checked",
            check="redis-connections-unbounded",
        )
        return found.problems
    if pods is None or workers is None:
        return []  # malformed: the schema reports it
    clients = clients_per_worker(redis, env.get("cache") is not None)
    needed = clients * (pool + SYNC_CONNECTIONS) * workers * pods
    if needed > limit:
        found.add(
            eff,
            ("environment", "redis", "max_connections"),
            message=f"the Redis clients need up to {needed} connections per node ({clients} client(s) x "
            f"(max_connections {pool} + {SYNC_CONNECTIONS} sync) x workers {workers} x {pods} pods at most) but "
            f"redis.maxclients is {limit}; lower max_connections or the replicas, or raise maxclients",
            check="redis-connections-exceeded",
        )
    return found.problems
