"""`make up` (native: no Docker engine here), scripts/smoke.sh, the OpenAI SDK, `make down`."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import psutil
import pytest

from litellm_bundle.core.facts import ENV_EXAMPLE, METRICS_PATH, READINESS_PATH
from litellm_bundle.core.wait import wait_until
from litellm_bundle.render import alerts
from litellm_bundle.runtime import local_prometheus, localenv, processes, stack
from tests.helpers import ROOT, checkout_tree

pytestmark = pytest.mark.proxy


def _make(target: str, state: Path, env_file: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    args = f"--state-dir {state} --env-file {env_file} {' '.join(extra)}".strip()
    return subprocess.run(
        ["make", "-s", target, f"STACK_ARGS={args}"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    # outside pytest's 0700 temp root: as root, PostgreSQL runs as the postgres user and must reach its data
    work = Path(tempfile.mkdtemp(prefix="gateway-stack-"))
    work.chmod(0o755)
    state, env_file = work / "run", work / ".env"
    ports = {
        name: processes.free_port()
        for name in ("PROXY_PORT", "FAKE_PROVIDER_PORT", "REDIS_PORT", "PROMETHEUS_PORT", "POSTGRES_PORT")
    }
    example = (ROOT / ENV_EXAMPLE).read_text()
    for name, port in ports.items():
        example = example.replace(f"\n{name}=", f"\n{name}={port}\n# was: {name}=", 1)
    env_file.write_text(example)
    up = _make("up", state, env_file, "--native")
    assert up.returncode == 0, up.stdout + up.stderr
    key = localenv.read_env_file(env_file)["LITELLM_MASTER_KEY"]
    info = {
        "state": state,
        "env_file": env_file,
        "url": f"http://127.0.0.1:{ports['PROXY_PORT']}",
        "key": key,
        "up": up.stdout,
        "ports": ports,
    }
    try:
        yield info
    finally:
        _make("down", state, env_file)
        shutil.rmtree(work, ignore_errors=True)


def test_virtual_keys_work_locally_the_declared_ones_land_in_env(local_stack: dict) -> None:
    """The native stack's PostgreSQL: config/access.yaml applied for dev at `make up`, keys in .env."""
    assert "teams and keys of config/access.yaml applied" in local_stack["up"]
    values = localenv.read_env_file(local_stack["env_file"])
    ci_key = values["LITELLM_KEY_PLATFORM_CI"]
    assert ci_key.startswith("sk-") and ci_key not in local_stack["up"], "a key value never reaches the output"
    client = openai.OpenAI(base_url=f"{local_stack['url']}/v1", api_key=ci_key, max_retries=0)
    assert (
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
        .choices[0]
        .message.content
    )
    with pytest.raises(openai.PermissionDeniedError):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    admin = {"Authorization": f"Bearer {local_stack['key']}"}
    generated = httpx.post(
        f"{local_stack['url']}/key/generate", headers=admin, json={"models": ["gpt-4o-mini"]}, timeout=30
    )
    assert generated.status_code == 200 and generated.json()["key"].startswith("sk-")
    assert httpx.get(f"{local_stack['url']}{READINESS_PATH}", timeout=30).json()["db"] == "connected"


def test_up_prints_url_key_source_and_examples(local_stack: dict) -> None:
    out = local_stack["up"]
    assert "LiteLLM gateway is up (native" in out and local_stack["url"] in out
    assert f"LITELLM_MASTER_KEY from {local_stack['env_file']}" in out
    assert "curl -s" in out and "openai.OpenAI(base_url=" in out
    assert local_stack["key"].startswith("sk-") and len(local_stack["key"]) > 30


def test_smoke_script_passes(local_stack: dict) -> None:
    result = subprocess.run(
        [str(ROOT / "scripts" / "smoke.sh"), local_stack["url"], local_stack["key"]],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "smoke: all checks passed" in result.stdout
    assert "ok    stream:" in result.stdout and "ok    embedding:" in result.stdout


def test_smoke_script_fails_clearly_on_a_wrong_key(local_stack: dict) -> None:
    result = subprocess.run(
        [str(ROOT / "scripts" / "smoke.sh"), local_stack["url"], "sk-wrong-key-000000"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("FAIL  models: GET /v1/models answered 4")


def test_openai_sdk_sync_async_streaming(local_stack: dict) -> None:
    client = openai.OpenAI(base_url=f"{local_stack['url']}/v1", api_key=local_stack["key"], max_retries=0)
    assert (
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
        .choices[0]
        .message.content
    )
    text = "".join(
        c.choices[0].delta.content or ""
        for c in client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        if c.choices
    )
    assert text == "Fake answer from fake-gpt-4o."
    assert [m.id for m in client.models.list()] == [
        "gpt-4o",
        "gpt-4o-mini",
        "claude-sonnet",
        "long-context",
        "text-embedding",
    ]

    async def go() -> str:
        async with openai.AsyncOpenAI(
            base_url=f"{local_stack['url']}/v1", api_key=local_stack["key"], max_retries=0
        ) as aclient:
            stream = await aclient.chat.completions.create(
                model="claude-sonnet", messages=[{"role": "user", "content": "hi"}], stream=True
            )
            return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

    assert asyncio.run(go()) == "Fake answer from fake-claude-sonnet."


def test_prometheus_scrapes_the_gateway_with_the_bundles_alert_rules(local_stack: dict) -> None:
    port = local_stack["ports"]["PROMETHEUS_PORT"]
    assert f"prometheus: http://127.0.0.1:{port}/classic/alerts" in local_stack["up"]
    assert httpx.get(f"http://127.0.0.1:{port}/classic/alerts", timeout=10).status_code == 200
    api = local_prometheus.PrometheusAPI(port)
    local = alerts.groups(checkout_tree(), alerts.LOCAL, "dev")  # the threshold alerts and dev's SLO rules
    assert {r["name"] for r in api.rules()} == {r.get("alert", r.get("record")) for g in local for r in g["rules"]}
    wait_until(lambda: [t for t in api.targets() if t["health"] == "up"], 30, 0.5, "a good scrape of the proxy")
    target = api.targets()[0]
    assert target["health"] == "up" and target["scrapeUrl"] == f"{local_stack['url']}{METRICS_PATH}"
    assert api.query(f'litellm_in_flight_requests{{job="{alerts.LOCAL_JOB}"}}')


def test_logs_show_the_stack(local_stack: dict) -> None:
    result = _make("logs", local_stack["state"], local_stack["env_file"], "--no-follow")
    assert result.returncode == 0
    assert "litellm.log" in result.stdout and "fake-provider.log" in result.stdout


def test_second_up_refuses_while_running(local_stack: dict) -> None:
    again = _make("up", local_stack["state"], local_stack["env_file"], "--native")
    assert again.returncode != 0 and "already running" in again.stderr


def test_down_leaves_no_process_behind(local_stack: dict) -> None:
    pids = stack.recorded_pids(stack.StackPaths(checkout_tree(), local_stack["state"], local_stack["env_file"]))
    assert set(pids) == {"litellm", "fake-provider", "redis", "prometheus", "postgres"}
    children = subprocess.run(
        ["pgrep", "-g", ",".join(map(str, pids.values()))], capture_output=True, text=True
    ).stdout.split()
    assert len(children) >= 3
    down = _make("down", local_stack["state"], local_stack["env_file"])
    assert down.returncode == 0 and "stopped" in down.stdout
    for pgid in pids.values():
        assert not processes.group_alive(pgid), f"process group {pgid} still running after make down"
    for pid in (int(c) for c in children):
        try:
            state = psutil.Process(pid).status()
        except psutil.NoSuchProcess:
            state = "gone"
        assert state in ("gone", psutil.STATUS_ZOMBIE), f"process {pid} still running after make down"
    for port in local_stack["ports"].values():
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still open"
    assert not list((local_stack["state"] / "pids").glob("*.pid"))
