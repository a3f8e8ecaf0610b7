"""The environment's `redis:` in LiteLLM's settings: one shape of three (single node, Redis Cluster,
Sentinel group), rendered so that the router (rpm/tpm, cooldowns), the proxy's rate limiter and the
response cache all use it.

How LiteLLM 1.108.7 reads them (its source, not upstream's):
- single node: router_settings `redis_host`/`redis_port`/`redis_password` build the router's own Redis
  (Router.__init__ makes one only from redis_url or redis_host + redis_port; `cache_kwargs` are added);
- cluster and sentinel: the router has no setting for them, so the proxy's coordination Redis
  (`general_settings.coordination_redis`: startup_nodes, or sentinel_nodes + service_name +
  sentinel_password) is attached to the router after it is built (proxy_server: `update_redis_cache`
  when the router has none) and is what the rpm limiter and the cooldowns read (CooldownCache attaches
  the router's Redis lazily);
- the response cache: `cache_params` of type redis with the same keys (RedisCache passes them to
  `_redis.get_redis_client`: startup_nodes -> RedisCluster, sentinel_nodes + service_name -> Sentinel).
`max_connections` goes with every client (a BlockingConnectionPool, a RedisCluster node pool, a
Sentinel-managed pool)."""

from __future__ import annotations

from typing import Any, Literal

Shape = Literal["single", "cluster", "sentinel"]

# the keys that make a shape, in LiteLLM's names
SHAPE_KEYS: dict[Shape, tuple[str, ...]] = {
    "single": ("host", "port"),
    "cluster": ("startup_nodes",),
    "sentinel": ("sentinel_nodes", "service_name", "sentinel_password"),
}


def shape(redis: dict[str, Any]) -> Shape:
    if "startup_nodes" in redis:
        return "cluster"
    if "sentinel_nodes" in redis:
        return "sentinel"
    return "single"


def connection(redis: dict[str, Any]) -> dict[str, Any]:
    """LiteLLM's Redis connection keywords for the shape: its nodes, the password, the pool limit."""
    keys = (*SHAPE_KEYS[shape(redis)], "password", "max_connections")
    return {k: redis[k] for k in keys if redis.get(k) is not None}


def router_settings(redis: dict[str, Any]) -> dict[str, Any]:
    """router_settings keys: a single node only (cluster and sentinel reach the router through coordination)."""
    if shape(redis) != "single":
        return {}
    router = {"redis_host": redis["host"], "redis_port": redis["port"]}
    if redis.get("password") is not None:
        router["redis_password"] = redis["password"]
    if redis.get("max_connections") is not None:
        router["cache_kwargs"] = {"max_connections": redis["max_connections"]}
    return router


def coordination(redis: dict[str, Any]) -> dict[str, Any] | None:
    """general_settings.coordination_redis for a cluster or a sentinel group (the router's and the limiter's)."""
    return None if shape(redis) == "single" else connection(redis)


def cache_params(redis: dict[str, Any], ttl: Any) -> dict[str, Any]:
    params = {"type": "redis", **connection(redis)}
    if ttl is not None:
        params["ttl"] = ttl
    return params


def circuit_breaker(redis: dict[str, Any]) -> bool:
    """LiteLLM's Redis circuit breaker on (its default) for a single node, off for a cluster or a sentinel
    group: there a failover is an expected event, and a breaker whose half-open probe ends neither in a
    success nor a failure stays half-open until the pod restarts (docs/operations.md, "Redis Cluster and
    Sentinel"); off, the clients reconnect as soon as the replica serves."""
    return shape(redis) == "single"


def clients_per_worker(redis: dict[str, Any], cache: bool) -> int:
    """Redis clients one proxy worker holds: the router's (single node) or the coordination one, plus the
    response cache's (which, for a single node, is also the proxy's usage cache)."""
    return 1 + int(cache)
