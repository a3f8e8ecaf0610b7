"""Two proxy instances sharing one real Redis: the cache and per-deployment rpm limits are shared."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import openai
import pytest
from ruamel.yaml import YAML

from litellm_bundle.core.yamlio import dump_yaml
from litellm_bundle.runtime import localenv

from .conftest import Stack, running_proxy, stage_dev

pytestmark = pytest.mark.proxy

RPM_LIMIT = 4


def shared_config(staged: Path) -> None:
    """The rendered dev config plus the response cache in Redis (as staging/prod) and an rpm-limited group."""
    config = YAML(typ="safe").load(staged.read_text())
    limited = {
        "model_name": "limited",
        "litellm_params": {
            "model": "openai/fake-limited",
            "api_base": "os.environ/FAKE_PROVIDER_API_BASE",
            "api_key": "os.environ/FAKE_PROVIDER_API_KEY",
            "rpm": RPM_LIMIT,
        },
        "model_info": {"id": "fake-limited-dep"},
    }
    config["model_list"].append(limited)
    config["litellm_settings"]["cache"] = True
    config["litellm_settings"]["cache_params"] = {
        "type": "redis",
        "host": "os.environ/REDIS_HOST",
        "port": "os.environ/REDIS_PORT",
        "ttl": 600,
        "supported_call_types": ["acompletion", "completion"],
    }
    config["router_settings"]["num_retries"] = 0
    staged.write_text(dump_yaml(config))


@pytest.fixture(scope="module")
def pair(
    tmp_path_factory: pytest.TempPathFactory, fake_provider: str, redis_server: int
) -> Iterator[tuple[Stack, Stack]]:
    secrets = localenv.local_secrets(fake_provider, redis_server)
    configs = []
    for name in ("a", "b"):
        staged = stage_dev(tmp_path_factory.mktemp(f"instance-{name}"), secrets)
        shared_config(staged.config)
        configs.append(staged.config)
    with contextlib.ExitStack() as running:
        # both start at once (a start is the proxy's import time); a failed start stops the other on the way out
        with ThreadPoolExecutor(2) as pool:
            starting = [pool.submit(running.enter_context, running_proxy(c, secrets, fake_provider)) for c in configs]
        a, b = (future.result() for future in starting)
        yield a, b


def chat(stack: Stack, model: str, text: str) -> Any:
    client = openai.OpenAI(base_url=f"{stack.url}/v1", api_key=stack.key, max_retries=0, timeout=60)
    return client.chat.completions.with_raw_response.create(model=model, messages=[{"role": "user", "content": text}])


def test_response_cached_by_a_is_a_hit_on_b(pair: tuple[Stack, Stack]) -> None:
    a, b = pair
    a.clear()
    prompt = f"cache me {uuid.uuid4()}"
    first = chat(a, "gpt-4o-mini", prompt)
    assert "x-litellm-cache-key" not in first.headers
    time.sleep(0.5)  # the cache write to Redis is asynchronous
    second = chat(b, "gpt-4o-mini", prompt)
    assert second.headers.get("x-litellm-cache-key"), dict(second.headers)
    assert second.parse().choices[0].message.content == first.parse().choices[0].message.content
    assert sum(1 for r in a.fake_requests() if r["model"] == "fake-gpt-4o-mini") == 1


def test_rpm_limit_is_enforced_across_both_instances(pair: tuple[Stack, Stack]) -> None:
    a, b = pair
    a.clear()
    # LiteLLM counts rpm per calendar minute (key ...:HH-MM): keep the whole sequence inside one minute
    if time.time() % 60 > 45:
        time.sleep(61 - time.time() % 60)
    statuses = []
    for i in range(RPM_LIMIT + 2):
        target = a if i % 2 == 0 else b
        try:
            chat(target, "limited", f"limited {uuid.uuid4()}")
            statuses.append(200)
        except openai.APIStatusError as exc:
            statuses.append(exc.status_code)
        time.sleep(0.3)  # let each instance's usage reach Redis
    served = sum(1 for r in a.fake_requests() if r["model"] == "fake-limited")
    # per instance the limit would allow RPM_LIMIT each (2*RPM_LIMIT in all); shared, RPM_LIMIT in all
    assert statuses[:RPM_LIMIT] == [200] * RPM_LIMIT, statuses
    assert statuses[RPM_LIMIT:] == [429, 429], statuses
    assert served == RPM_LIMIT
