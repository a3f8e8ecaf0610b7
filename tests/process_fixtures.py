"""Session-wide real processes the integration and database tests share: the fake provider and a Redis server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from litellm_bundle.runtime import launch, processes
from tests.helpers import checkout_tree

TREE = checkout_tree()


@pytest.fixture(scope="session")
def fake_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = processes.free_port()
    log = tmp_path_factory.mktemp("fake") / "fake.log"
    proc = launch.start_fake_provider(TREE, port, log)
    url = f"http://127.0.0.1:{port}"
    try:
        processes.wait_healthy(f"{url}/health", 30, proc, log)
        yield url
    finally:
        processes.stop(proc)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A real redis-server on a free port, stopped at the end (CI installs redis-server)."""
    port = processes.free_port()
    log = tmp_path_factory.mktemp("redis") / "redis.log"
    proc = launch.start_redis(port, log)
    if proc is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    try:
        processes.wait_port(port, 20, proc, log)
        yield port
    finally:
        processes.stop(proc)
