"""Two proxy instances sharing a highly available Redis: a Redis Cluster (3 primaries, 3 replicas) and a
Sentinel group (1 primary, 1 replica, 3 Sentinels), real redis-server processes on loopback
(litellm_bundle/runtime/redis_topology.py). Through each: the response cache, per-deployment rpm limits
and cooldowns are shared, and a primary failover under k6 load through both proxies costs a bounded
number of client errors, after which the proxies share state again without a restart.

The Redis settings are the ones the bundle renders for `redis:` of that shape
(litellm_bundle/model/redis_settings.py). The single-node shape is covered by every other integration
test that uses the `redis_server` fixture (the rendered dev config: router_settings redis_host/redis_port)."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import openai
import pytest
from ruamel.yaml import YAML

from litellm_bundle.core.wait import wait_until
from litellm_bundle.core.yamlio import dump_yaml
from litellm_bundle.model import redis_settings
from litellm_bundle.render import proxy_args
from litellm_bundle.runtime import k6, localenv, redis_topology

from .conftest import TREE, Stack, running_proxy, stage_dev

pytestmark = pytest.mark.proxy

RPM_LIMIT = 4
COOLDOWN_S = 60  # longer than the cooldown test: proxy B must find the deployment still cooling down
# how long an instance goes at most without reading from Redis a key it does not hold
# (litellm.default_redis_batch_cache_expiry; unset, DualCache's 10 s), and a second more
REDIS_BATCH_READ_S = 11
MAX_CONNECTIONS = 20  # per client of a worker: rendered as the environment's redis.max_connections
LOAD_RATE = 5  # requests per second through each proxy
LOAD_SECONDS = 10
# client-visible errors a failover may cost, of every request of both loads: LiteLLM treats Redis as
# best-effort on the request path (a failed cache or rpm read is logged, the request goes on), so a
# failover may fail at most the requests whose Redis call was in flight when the primary changed role
MAX_FAILOVER_ERROR_RATE = 0.05


def _deployment(group: str, model: str, **params: Any) -> dict[str, Any]:
    return {
        "model_name": group,
        "litellm_params": {
            "model": f"openai/{model}",
            "api_base": "os.environ/FAKE_PROVIDER_API_BASE",
            "api_key": "os.environ/FAKE_PROVIDER_API_KEY",
            **params,
        },
        "model_info": {"id": f"{model}-dep"},
    }


def shared_config(staged: Path, redis: dict[str, Any]) -> None:
    """The rendered dev config with the Redis settings the bundle renders for `redis` (cache on, as
    staging/prod), two rpm-limited groups (before and after the failover) and a pool of two to cool down."""
    config = YAML(typ="safe").load(staged.read_text())
    config["model_list"] += [
        _deployment("limited", "fake-limited", rpm=RPM_LIMIT),
        _deployment("limited-after", "fake-limited-after", rpm=RPM_LIMIT),
        _deployment("pool", "fake-pool-a"),
        _deployment("pool", "fake-pool-b"),
    ]
    router = {k: v for k, v in config["router_settings"].items() if not k.startswith("redis_")}
    config["router_settings"] = {
        **router,
        **redis_settings.router_settings(redis),
        "num_retries": 0,
        "allowed_fails": 1,
        "cooldown_time": COOLDOWN_S,
    }
    config["litellm_settings"]["cache"] = True
    config["litellm_settings"]["cache_params"] = {
        **redis_settings.cache_params(redis, 600),
        "supported_call_types": ["acompletion", "completion"],
    }
    coordination = redis_settings.coordination(redis)
    assert coordination is not None
    config["general_settings"]["coordination_redis"] = coordination
    staged.write_text(dump_yaml(config))


@pytest.fixture(scope="module", params=["cluster", "sentinel"])
def topology(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[redis_topology.Topology]:
    if redis_topology.binaries() is None:
        pytest.fail("redis-server and redis-cli are not installed (apt-get install redis-server)")
    with redis_topology.running(request.param, tmp_path_factory.mktemp(request.param)) as running:
        yield running


@pytest.fixture(scope="module")
def pair(
    tmp_path_factory: pytest.TempPathFactory, fake_provider: str, topology: redis_topology.Topology
) -> Iterator[tuple[Stack, Stack]]:
    # no REDIS_*: only the rendered settings name Redis
    # the pods' environment as the chart renders it for this shape: LiteLLM's Redis circuit breaker off (with
    # it on, a lost primary opens it and its half-open probe can leave it so until a restart: seen here;
    # docs/operations.md "Redis Cluster and Sentinel")
    redis = topology.redis(MAX_CONNECTIONS)
    values = {"enabled": True, "circuitBreaker": redis_settings.circuit_breaker(redis)}
    secrets = {**localenv.local_secrets(fake_provider, None), **proxy_args.redis_env(values)}
    assert secrets["REDIS_CIRCUIT_BREAKER_ENABLED"] == "false"
    configs = []
    for name in ("a", "b"):
        staged = stage_dev(tmp_path_factory.mktemp(f"{topology.kind}-{name}"), secrets)
        shared_config(staged.config, redis)
        configs.append(staged.config)
    with contextlib.ExitStack() as running:
        # both start at once (a start is the proxy's import time); a failed start stops the other on the way out
        with ThreadPoolExecutor(2) as pool:
            proxies = [running_proxy(c, secrets, fake_provider) for c in configs]
            starting = [pool.submit(running.enter_context, proxy) for proxy in proxies]
        a, b = (future.result() for future in starting)
        yield a, b


def chat(stack: Stack, model: str, text: str) -> Any:
    client = openai.OpenAI(base_url=f"{stack.url}/v1", api_key=stack.key, max_retries=0, timeout=60)
    return client.chat.completions.with_raw_response.create(model=model, messages=[{"role": "user", "content": text}])


def received(stack: Stack, model: str) -> int:
    return sum(1 for r in stack.fake_requests() if r["model"] == model)


def assert_cache_shared(a: Stack, b: Stack) -> None:
    prompt = f"cache me {uuid.uuid4()}"
    before = received(a, "fake-gpt-4o-mini")
    first = chat(a, "gpt-4o-mini", prompt)
    assert "x-litellm-cache-key" not in first.headers

    def hit() -> Any:  # the cache write to Redis is asynchronous: a miss on b until it lands is a request more
        answer = chat(b, "gpt-4o-mini", prompt)
        return answer if answer.headers.get("x-litellm-cache-key") else None

    second = wait_until(hit, 10, 0.3, "b to answer from the cache a wrote")
    assert second.parse().choices[0].message.content == first.parse().choices[0].message.content
    assert 1 <= received(a, "fake-gpt-4o-mini") - before <= 2  # b's one miss at most, before the write landed


def assert_rpm_shared(a: Stack, b: Stack, group: str) -> None:
    model = f"fake-{group}"
    # LiteLLM counts rpm per calendar minute (key ...:HH-MM): keep the whole sequence inside one minute
    if time.time() % 60 > 45:
        time.sleep(61 - time.time() % 60)
    statuses = []
    for i in range(RPM_LIMIT + 2):
        target = a if i % 2 == 0 else b
        try:
            chat(target, group, f"{group} {uuid.uuid4()}")
            statuses.append(200)
        except openai.APIStatusError as exc:
            statuses.append(exc.status_code)
        time.sleep(0.3)  # let each instance's usage reach Redis
    # per instance the limit would allow RPM_LIMIT each (2*RPM_LIMIT in all); shared, RPM_LIMIT in all
    assert statuses[:RPM_LIMIT] == [200] * RPM_LIMIT, statuses
    assert statuses[RPM_LIMIT:] == [429, 429], statuses
    assert received(a, model) == RPM_LIMIT


def test_response_cached_by_a_is_a_hit_on_b(pair: tuple[Stack, Stack]) -> None:
    a, b = pair
    a.clear()
    assert_cache_shared(a, b)


def test_rpm_limit_is_enforced_across_both_instances(pair: tuple[Stack, Stack]) -> None:
    a, b = pair
    a.clear()
    assert_rpm_shared(a, b, "limited")


def test_a_deployment_cooled_down_on_a_is_skipped_by_b(
    pair: tuple[Stack, Stack], topology: redis_topology.Topology
) -> None:
    a, b = pair
    a.clear()
    # allowed_fails counts failures per calendar minute: keep the failures inside one minute
    if time.time() % 60 > 50:
        time.sleep(61 - time.time() % 60)
    a.faults({"fake-pool-a": {"status": 500}})
    for i in range(30):
        with contextlib.suppress(openai.APIStatusError):
            chat(a, "pool", f"pool {i}")
        if received(a, "fake-pool-a") >= 2:
            break
    assert received(a, "fake-pool-a") == 2, "deployment a never failed twice on proxy a"
    # allowed_fails=1: a is cooled down after its 2nd failure; a writes it to Redis after answering
    wait_until(lambda: topology.get("deployment:fake-pool-a-dep:cooldown"), 10, 0.1, "the cooldown in Redis")
    # b reads every deployment's cooldown key from Redis at most once per REDIS_BATCH_READ_S (LiteLLM's DualCache
    # throttle), and its requests in the tests before read pool-a's, absent then: b sees what a wrote once that
    # interval has passed since (a cooldown reaches the other pods within it; docs/operations.md)
    time.sleep(REDIS_BATCH_READ_S)
    # b never saw a fail: it skips a because of what a wrote
    served = [chat(b, "pool", f"on b {i}").headers["x-litellm-model-id"] for i in range(8)]
    assert served == ["fake-pool-b-dep"] * 8
    assert received(a, "fake-pool-a") == 2
    a.clear()


def test_a_primary_failover_under_load_costs_bounded_errors_and_state_stays_shared(
    pair: tuple[Stack, Stack], topology: redis_topology.Topology, tmp_path: Path
) -> None:
    a, b = pair
    a.clear()
    with ThreadPoolExecutor(2) as pool:
        loads = [
            pool.submit(
                k6.run, TREE, s.url, s.key, LOAD_RATE, f"{LOAD_SECONDS}s", tmp_path / f"k6-{i}.json", "gpt-4o-mini"
            )
            for i, s in enumerate(pair)
        ]
        # load.js repeats its prompts, so after the first ones the load is answered from the cache (Redis reads
        # on every request, as the rpm checks): the failover lands in the middle of the run, not at its start
        time.sleep(LOAD_SECONDS / 2)
        started = time.monotonic()
        old, new = topology.failover(kill=True)
        took = time.monotonic() - started
        results = [load.result(timeout=120) for load in loads]
    requests = sum(r.requests for r in results)
    failed = sum(r.failed for r in results)
    # the figures docs/operations.md records ("Redis Cluster and Sentinel")
    print(json.dumps({"topology": topology.kind, "requests": requests, "failed": failed, "failover_s": took}))
    assert old != new

    assert requests >= LOAD_RATE * LOAD_SECONDS, "the load did not run"
    assert failed <= MAX_FAILOVER_ERROR_RATE * requests, [r.output[-2000:] for r in results]
    # the same proxies, no restart: the cache and the rpm limit are shared through the new primary
    assert_cache_shared(a, b)
    assert_rpm_shared(a, b, "limited-after")
