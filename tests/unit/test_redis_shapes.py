"""The environment's `redis:` in its three shapes (single node, Redis Cluster, Sentinel group): what the
schema refuses (at file:line, saying what is allowed), what is rendered into LiteLLM's settings, the
NetworkPolicy's view of the nodes, the connection budget against maxclients and the local launch."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from litellm_bundle.build.generate import render_one
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.model import redis_settings
from litellm_bundle.runtime import launch
from tests.unit.test_broken_edits import ENV_STAGING, problems_of

SINGLE = "redis:\n  host: os.environ/REDIS_HOST\n  port: os.environ/REDIS_PORT\n  password: os.environ/REDIS_PASSWORD\n"
CLUSTER = (
    "redis:\n  startup_nodes:\n    - {host: os.environ/REDIS_HOST, port: os.environ/REDIS_PORT}\n"
    "    - {host: os.environ/REDIS_HOST, port: 7001}\n  password: os.environ/REDIS_PASSWORD\n"
)
SENTINEL = (
    "redis:\n  sentinel_nodes: [[sentinel-0.redis, 26379], [sentinel-1.redis, 26379]]\n  service_name: gateway\n"
    "  password: os.environ/REDIS_PASSWORD\n"
)
ONE_SHAPE = "must be one Redis shape"


def _staging(root: Path, redis: str) -> list[str]:
    """Staging with `redis` in place of its single node; its problems as 'line: message'."""
    path = root / ENV_STAGING
    text = path.read_text()
    assert SINGLE in text
    path.write_text(text.replace(SINGLE, redis))
    return [f"{p.location.line}: {p.message}" for p in problems_of(root) if p.location.file == ENV_STAGING]


def _line(root: Path, needle: str) -> int:
    return next(i for i, line in enumerate((root / ENV_STAGING).read_text().splitlines(), 1) if needle in line)


def _rendered(root: Path) -> dict:
    return YAML(typ="safe").load(render_one(BundleTree.at(root), "staging")["config.yaml"])


def test_cluster_renders_coordination_and_cache_and_no_router_redis(repo_copy: Path) -> None:
    assert _staging(repo_copy, CLUSTER.replace("  password:", "  max_connections: 20\n  password:")) == []
    config = _rendered(repo_copy)
    nodes = [
        {"host": "os.environ/REDIS_HOST", "port": "os.environ/REDIS_PORT"},
        {"host": "os.environ/REDIS_HOST", "port": 7001},
    ]
    expected = {"startup_nodes": nodes, "password": "os.environ/REDIS_PASSWORD", "max_connections": 20}
    assert config["general_settings"]["coordination_redis"] == expected
    assert config["litellm_settings"]["cache_params"] == {"type": "redis", **expected, "ttl": 600}
    assert not [k for k in config["router_settings"] if k.startswith("redis_") or k == "cache_kwargs"]
    values = YAML(typ="safe").load(render_one(BundleTree.at(repo_copy), "staging")["values.yaml"])
    assert values["redis"]["circuitBreaker"] is False  # a failover is expected: LiteLLM's breaker off


def test_sentinel_renders_nodes_service_name_and_lists_each_sentinel_for_egress(repo_copy: Path) -> None:
    assert _staging(repo_copy, SENTINEL) == []
    files = render_one(BundleTree.at(repo_copy), "staging")
    config = YAML(typ="safe").load(files["config.yaml"])
    coordination = config["general_settings"]["coordination_redis"]
    assert coordination["sentinel_nodes"] == [["sentinel-0.redis", 26379], ["sentinel-1.redis", 26379]]
    assert coordination["service_name"] == "gateway"
    assert config["litellm_settings"]["cache_params"]["sentinel_nodes"] == coordination["sentinel_nodes"]
    # each Sentinel is opened on its own port (not Redis' 6379) in the NetworkPolicy
    assert re.search(r"sentinel-0\.redis:26379: Redis Sentinel 0", files["values.yaml"]), files["values.yaml"]
    assert YAML(typ="safe").load(files["values.yaml"])["redis"]["circuitBreaker"] is False


@pytest.mark.parametrize(
    ("redis", "needle", "message"),
    [
        (CLUSTER.replace("  password:", "  host: os.environ/REDIS_HOST\n  password:"), "redis:", ONE_SHAPE),
        (SENTINEL.replace("  service_name: gateway\n", ""), "redis:", ONE_SHAPE),
        (CLUSTER.replace("  password:", "  sentinel_nodes: [[s, 26379]]\n  password:"), "redis:", ONE_SHAPE),
        (
            SENTINEL.replace("[sentinel-0.redis, 26379]", "[os.environ/REDIS_HOST, 26379]"),
            "sentinel_nodes:",
            "LiteLLM resolves no os.environ/ reference inside a [host, port] pair",
        ),
        ("redis:\n  startup_nodes: []\n", "startup_nodes:", "startup_nodes"),
        (SINGLE.replace("port: os.environ/REDIS_PORT", "port: six"), "port: six", "allowed: a reference"),
    ],
    ids=[
        "host-beside-startup-nodes",
        "sentinel-without-service-name",
        "two-shapes",
        "sentinel-node-reference",
        "no-nodes",
        "bad-port",
    ],
)
def test_a_mixed_or_incomplete_shape_is_an_error_at_its_line(
    repo_copy: Path, redis: str, needle: str, message: str
) -> None:
    found = _staging(repo_copy, redis)
    assert any(p.startswith(f"{_line(repo_copy, needle)}:") and message in p for p in found), found


def test_pools_beyond_maxclients_are_an_error(repo_copy: Path) -> None:
    found = _staging(repo_copy, SINGLE + "  max_connections: 500\n  maxclients: 1000\n")
    assert any("the Redis clients need up to" in p and "redis.maxclients is 1000" in p for p in found), found
    assert any(p.startswith(f"{_line(repo_copy, 'max_connections: 500')}:") for p in found), found


def test_maxclients_without_a_pool_limit_is_an_error(repo_copy: Path) -> None:
    found = _staging(repo_copy, SINGLE + "  maxclients: 1000\n")
    assert any("max_connections is not" in p for p in found), found


def test_pools_within_maxclients_render_the_limit_for_the_router_and_the_cache(repo_copy: Path) -> None:
    assert _staging(repo_copy, SINGLE + "  max_connections: 10\n  maxclients: 10000\n") == []
    config = _rendered(repo_copy)
    assert config["router_settings"]["cache_kwargs"] == {"max_connections": 10}
    assert config["litellm_settings"]["cache_params"]["max_connections"] == 10
    assert "coordination_redis" not in config["general_settings"]


def test_clients_per_worker() -> None:
    assert redis_settings.clients_per_worker({"host": "h", "port": 1}, cache=False) == 1
    assert redis_settings.clients_per_worker({"startup_nodes": []}, cache=True) == 2


def test_local_launch_without_redis_drops_every_redis_setting() -> None:
    config = {
        "model_list": [],
        "router_settings": {"redis_host": "h", "cache_kwargs": {"max_connections": 5}, "num_retries": 0},
        "litellm_settings": {"cache": True, "cache_params": {"type": "redis"}},
        "general_settings": {"master_key": "k", "coordination_redis": {"startup_nodes": []}},
    }
    local, notes = launch.localize(config, {}, False, re.compile(r"^os\.environ/(\w+)$"))
    assert local["router_settings"] == {"num_retries": 0}
    assert local["litellm_settings"] == {}
    assert local["general_settings"] == {"master_key": "k"}
    assert any("no Redis" in n for n in notes)
