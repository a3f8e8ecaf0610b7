"""Real processes: the pinned LiteLLM proxy with the rendered dev config and hooks, and the fake provider."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from litellm_bundle import runtime

MASTER_KEY = "sk-gw-test-3f9a1c7e5b"

# test-only transforms, staged next to config.yaml like a user's own module
TEST_TRANSFORMS = '''
def explode_on_marker(data, params):
    for message in data.get("messages") or []:
        if isinstance(message, dict) and params["marker"] in str(message.get("content")):
            raise RuntimeError("transform exploded")
    return None
'''


@dataclass
class Stack:
    url: str
    key: str
    fake_url: str
    log: Path

    def fake_requests(self) -> list[dict[str, Any]]:
        return httpx.get(f"{self.fake_url}/_fake/requests").json()["requests"]

    def clear(self) -> None:
        httpx.delete(f"{self.fake_url}/_fake/requests")
        httpx.delete(f"{self.fake_url}/_fake/faults")

    def faults(self, faults: dict[str, Any]) -> None:
        httpx.put(f"{self.fake_url}/_fake/faults", json=faults).raise_for_status()


def local_secrets(fake_provider: str, redis_port: int, salt: str) -> dict[str, str]:
    """The .env of a test stack: fake provider, the test's Redis; no real provider keys."""
    return {"LITELLM_MASTER_KEY": MASTER_KEY, "LITELLM_SALT_KEY": salt, "FAKE_PROVIDER_API_BASE": f"{fake_provider}/v1",
            "FAKE_PROVIDER_API_KEY": "fake-key", "REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(redis_port)}


@contextlib.contextmanager
def running_proxy(config: Path, secrets: dict[str, str], fake_provider: str, log_level: str = "WARNING") -> Iterator[Stack]:
    """The real proxy on a free port with `config`; stopped (whole process group) on exit."""
    env = runtime.proxy_env({**secrets, "LITELLM_LOG": log_level})
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY"):
        env.pop(name, None)
    port = runtime.free_port()
    log = config.parent / "proxy.log"
    proc = runtime.start_proxy(config, port, env, log)
    url = f"http://127.0.0.1:{port}"
    try:
        runtime.wait_healthy(f"{url}/health/liveliness", 120, proc, log)
        yield Stack(url, MASTER_KEY, fake_provider, log)
    finally:
        runtime.stop(proc)
        assert proc.returncode is not None


@pytest.fixture(scope="session")
def fake_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = runtime.free_port()
    log = tmp_path_factory.mktemp("fake") / "fake.log"
    proc = runtime.start_fake_provider(port, log)
    url = f"http://127.0.0.1:{port}"
    try:
        runtime.wait_healthy(f"{url}/health", 30, proc, log)
        yield url
    finally:
        runtime.stop(proc)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A real redis-server on a free port, stopped at the end (CI installs redis-server)."""
    port = runtime.free_port()
    proc = runtime.start_redis(port, tmp_path_factory.mktemp("redis") / "redis.log")
    if proc is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    try:
        runtime.wait_port(port, 20, proc)
        yield port
    finally:
        runtime.stop(proc)


@pytest.fixture(scope="session")
def dev_stack(tmp_path_factory: pytest.TempPathFactory, fake_provider: str, redis_server: int) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("proxy")
    secrets = local_secrets(fake_provider, redis_server, "salt-gw-test-0a1b2c3d")
    staged = runtime.stage("dev", workdir, secrets)
    (workdir / "test_transforms.py").write_text(TEST_TRANSFORMS)
    hooks = json.loads((workdir / "hooks.json").read_text())
    hooks["transforms"]["pipeline"] += [
        {"name": "explodes-open", "type": "custom", "path": "test_transforms.explode_on_marker", "on_error": "fail_open", "params": {"marker": "EXPLODE-OPEN"}},
        {"name": "explodes-closed", "type": "custom", "path": "test_transforms.explode_on_marker", "on_error": "fail_closed", "params": {"marker": "EXPLODE-CLOSED"}},
    ]
    (workdir / "hooks.json").write_text(json.dumps(hooks))
    with running_proxy(staged.config, secrets, fake_provider, log_level="INFO") as stack:
        yield stack
