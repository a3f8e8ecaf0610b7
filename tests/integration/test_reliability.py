"""Failure behaviour of the rendered configuration in the real proxy: fallbacks on 500 / 429 /
timeouts, cooldown and recovery, a stream cut mid-way, health under saturation."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from ruamel.yaml import YAML

from litellm_bundle.core.facts import LIVENESS_PATH
from litellm_bundle.core.yamlio import dump_yaml
from litellm_bundle.runtime import k6, launch, localenv
from tests.helpers import checkout_tree

from .conftest import Stack, running_proxy, stage_dev

pytestmark = pytest.mark.proxy

COOLDOWN_S = 3


def _deployment(group: str, model: str, fake: str, timeout: float = 2, **extra: Any) -> dict[str, Any]:
    return {
        "model_name": group,
        "litellm_params": {
            "model": f"openai/{model}",
            "api_base": "os.environ/FAKE_PROVIDER_API_BASE",
            "api_key": "os.environ/FAKE_PROVIDER_API_KEY",
            "timeout": timeout,
            **extra,
        },
        "model_info": {"id": f"{model}-dep"},
    }


def reliability_config(staged: Path, fake: str) -> None:
    """The rendered dev config (hooks, guardrails, callbacks, Redis) with small groups and short timers."""
    config = YAML(typ="safe").load(staged.read_text())
    config["model_list"] = [
        _deployment("primary", "fake-primary", fake),
        _deployment("backup", "fake-backup", fake),
        _deployment("pool", "fake-pool-a", fake),
        _deployment("pool", "fake-pool-b", fake),
        _deployment("streamy", "fake-streamy", fake),
    ]
    config["router_settings"].update(
        {
            "num_retries": 0,
            "allowed_fails": 1,
            "cooldown_time": COOLDOWN_S,
            "timeout": 30,
            "fallbacks": [{"primary": ["backup"]}],
            "context_window_fallbacks": None,
        }
    )
    config["router_settings"] = {k: v for k, v in config["router_settings"].items() if v is not None}
    staged.write_text(dump_yaml(config))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, fake_provider: str, redis_server: int) -> Iterator[Stack]:
    secrets = localenv.local_secrets(fake_provider, redis_server)
    staged = stage_dev(tmp_path_factory.mktemp("reliability"), secrets)
    reliability_config(staged.config, fake_provider)
    with running_proxy(staged.config, secrets, fake_provider) as running:
        yield running


def client(stack: Stack) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{stack.url}/v1", api_key=stack.key, max_retries=0, timeout=60)


def ask(stack: Stack, model: str, text: str = "hello") -> Any:
    return client(stack).chat.completions.with_raw_response.create(
        model=model, messages=[{"role": "user", "content": text}]
    )


def received(stack: Stack, model: str) -> int:
    return sum(1 for r in stack.fake_requests() if r["model"] == model)


@pytest.mark.parametrize(
    "fault", [{"status": 500}, {"status": 429, "retry_after": 1}, {"delay_s": 6}], ids=["500", "429", "timeout"]
)
def test_failing_primary_is_served_by_the_fallback_group(stack: Stack, fault: dict[str, Any]) -> None:
    stack.clear()
    stack.faults({"fake-primary": fault})
    started = time.monotonic()
    raw = ask(stack, "primary", f"fallback please {json.dumps(fault)}")
    elapsed = time.monotonic() - started
    assert raw.headers["x-litellm-model-group"] == "backup"
    assert int(raw.headers["x-litellm-attempted-fallbacks"]) >= 1
    assert raw.parse().choices[0].message.content == "Fake answer from fake-backup."
    assert received(stack, "fake-primary") >= 1 and received(stack, "fake-backup") == 1
    if "delay_s" in fault:
        assert elapsed < fault["delay_s"], "the 2 s deployment timeout must cut the slow primary short"
    stack.clear()
    time.sleep(COOLDOWN_S + 1)  # let a cooled-down primary recover before the next scenario


def test_cooldown_after_allowed_fails_and_recovery(stack: Stack) -> None:
    stack.clear()
    # allowed_fails counts failures per calendar minute: keep the failures inside one minute
    if time.time() % 60 > 40:
        time.sleep(61 - time.time() % 60)
    stack.faults({"fake-pool-a": {"status": 500}})
    outcomes = []
    for i in range(30):
        try:
            ask(stack, "pool", f"pool {i}")
            outcomes.append("ok")
        except openai.APIStatusError as exc:
            outcomes.append(exc.status_code)
        if received(stack, "fake-pool-a") >= 2:
            break
    assert received(stack, "fake-pool-a") == 2, f"deployment a never failed twice: {outcomes}"
    # allowed_fails=1: after the 2nd failure a is cooled down; every request now goes to b
    for i in range(10):
        assert ask(stack, "pool", f"cooled {i}").headers["x-litellm-model-id"] == "fake-pool-b-dep"
    assert received(stack, "fake-pool-a") == 2
    # the fault is gone; after cooldown_time a is back in rotation
    httpx.delete(f"{stack.fake_url}/_fake/faults")
    time.sleep(COOLDOWN_S + 1)
    served = {ask(stack, "pool", f"recovered {i}").headers["x-litellm-model-id"] for i in range(20)}
    assert "fake-pool-a-dep" in served
    stack.clear()


def test_stream_cut_mid_way_gives_the_client_an_error_and_the_proxy_keeps_serving(stack: Stack) -> None:
    stack.clear()
    stack.faults({"fake-streamy": {"cut_after_chunks": 2}})
    text = ""
    with pytest.raises((openai.APIError, httpx.HTTPError)):
        for chunk in client(stack).chat.completions.create(
            model="streamy", messages=[{"role": "user", "content": "stream"}], stream=True
        ):
            text += (chunk.choices[0].delta.content or "") if chunk.choices else ""
    assert text != "Fake answer from fake-streamy."
    stack.clear()
    complete = "".join(
        (c.choices[0].delta.content or "")
        for c in client(stack).chat.completions.create(
            model="streamy", messages=[{"role": "user", "content": "again"}], stream=True
        )
        if c.choices
    )
    assert complete == "Fake answer from fake-streamy."


def test_health_stays_200_while_the_proxy_is_saturated(stack: Stack, tmp_path: Path) -> None:
    stack.clear()
    variables = k6.load_env(stack.url, stack.key, 200, "15s", tmp_path / "sat.json", "backup", stream_ratio=0, vus=100)
    load = subprocess.Popen(
        [launch.bin_path("k6"), "run", "-q", str(k6.script(checkout_tree()))],
        env={**launch.proxy_env(), **variables},
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    statuses: list[int] = []
    slowest = 0.0
    try:
        time.sleep(2)  # load ramps up
        while load.poll() is None and len(statuses) < 20:
            started = time.monotonic()
            statuses.append(
                httpx.get(f"{stack.url}{LIVENESS_PATH}", timeout=5).status_code
            )  # the probe's timeoutSeconds
            slowest = max(slowest, time.monotonic() - started)
            time.sleep(0.25)
    finally:
        load.wait(timeout=60)
    summary = json.loads((tmp_path / "sat.json").read_text())["metrics"]
    achieved = summary["http_reqs"]["values"]["rate"]
    assert achieved < 190 or summary["dropped_iterations"]["values"]["count"] > 0, "the proxy was not saturated"
    assert len(statuses) >= 5 and set(statuses) == {200}, statuses
    assert slowest < 5, f"slowest health answer {slowest:.2f}s"
