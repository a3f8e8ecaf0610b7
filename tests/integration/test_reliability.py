"""Failure behaviour of the rendered configuration in the real proxy: fallbacks on 500 / 429 /
timeouts, cooldown and recovery, a stream cut mid-way, health under saturation."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from ruamel.yaml import YAML

from litellm_bundle.core.facts import K8S_AREA, LIVENESS_PATH
from litellm_bundle.core.wait import wait_until
from litellm_bundle.core.yamlio import dump_yaml
from litellm_bundle.runtime import k6, launch, localenv
from tests.helpers import checkout_tree

from .conftest import Stack, running_proxy, stage_dev

pytestmark = pytest.mark.proxy

COOLDOWN_S = 3
RECOVERY_S = COOLDOWN_S + 10  # how long a cooled-down deployment may take to serve again (a busy machine included)


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


def served_by(stack: Stack, model: str, deployment: str) -> bool:
    return bool(ask(stack, model, "are you back?").headers["x-litellm-model-id"] == deployment)


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
    stack.clear()  # the fault gone, a cooled-down primary serves again before the next scenario
    wait_until(lambda: served_by(stack, "primary", "fake-primary-dep"), RECOVERY_S, 0.2, "the primary serving again")
    stack.clear()


def test_cooldown_after_allowed_fails_and_recovery(stack: Stack) -> None:
    stack.clear()
    # allowed_fails counts failures per calendar minute: keep the failures (a few requests) inside one minute
    if time.time() % 60 > 50:
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
    wait_until(lambda: served_by(stack, "pool", "fake-pool-a-dep"), RECOVERY_S, 0.2, "fake-pool-a back in rotation")
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


def _rendered_liveness_probe() -> dict[str, Any]:
    """The liveness probe as the chart renders it for dev (k8s/dev/manifests.yaml, a committed render)."""
    docs = YAML(typ="safe").load_all((checkout_tree().root / K8S_AREA / "dev" / "manifests.yaml").read_text())
    deployment = next(d for d in docs if d and d.get("kind") == "Deployment")
    probe: dict[str, Any] = deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]
    return probe


def test_liveness_probe_never_fails_while_the_proxy_is_saturated(stack: Stack, tmp_path: Path) -> None:
    """The chart's liveness probe (kind, timeout, failure threshold) replayed against a proxy driven
    past its capacity: it must never fail, let alone failureThreshold times in a row (a restart)."""
    probe = _rendered_liveness_probe()
    assert probe["tcpSocket"] == {"port": "http"}, "the test replays the TCP liveness probe the chart renders"
    timeout = float(probe["timeoutSeconds"])
    stack.clear()
    variables = k6.load_env(stack.url, stack.key, 200, "10s", tmp_path / "sat.json", "backup", stream_ratio=0, vus=100)
    load = subprocess.Popen(
        [launch.bin_path("k6"), "run", "-q", str(k6.script(checkout_tree()))],
        env={**launch.proxy_env(), **variables},
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    address = httpx.URL(stack.url)
    outcomes: list[bool] = []
    http_statuses: list[int | str] = []
    try:
        time.sleep(2)  # load ramps up
        while load.poll() is None and len(outcomes) < 20:
            try:  # what the kubelet does for tcpSocket: connect within timeoutSeconds, then close
                socket.create_connection((address.host, address.port), timeout=timeout).close()
                outcomes.append(True)
            except OSError:
                outcomes.append(False)
            try:  # an HTTP liveness on the main port, for the record only (it is why the probe is TCP)
                http_statuses.append(httpx.get(f"{stack.url}{LIVENESS_PATH}", timeout=0.5).status_code)
            except httpx.TimeoutException:
                http_statuses.append("timeout")
            time.sleep(0.25)
    finally:
        load.wait(timeout=60)
    summary = json.loads((tmp_path / "sat.json").read_text())["metrics"]
    achieved = summary["http_reqs"]["values"]["rate"]
    assert achieved < 190 or summary["dropped_iterations"]["values"]["count"] > 0, "the proxy was not saturated"
    assert len(outcomes) >= 5 and all(outcomes), (outcomes, http_statuses)
