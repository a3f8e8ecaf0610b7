"""Zero-downtime restarts: two native proxy instances sharing one Redis behind a real haproxy (no
retries, no redispatch), replaced one at a time under k6 load the way a Deployment rolls with
maxUnavailable 0: a new instance joins when its readiness passes; the old one leaves the rotation,
keeps accepting for the preStop sleep, gets SIGTERM, finishes what is in flight (a stream included)
and exits within the grace period. The timing comes from the same derivation as the chart's
(litellm_bundle/model/shutdown.py), fed a short test profile. To keep the test short (every proxy
start is ~15 s of CPU) the fleet is two instances, the fewest where one serves while the other is
replaced, and the replacements start together with the old instances (a larger surge than the
chart's 25%); each still joins only when ready, and the old ones leave one at a time."""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from litellm_bundle.core.facts import LIVENESS_PATH, READINESS_PATH
from litellm_bundle.core.wait import wait_until
from litellm_bundle.model import shutdown
from litellm_bundle.render import proxy_args
from litellm_bundle.runtime import k6, launch, load_balancer, localenv, processes
from litellm_bundle.runtime.load_balancer import HAProxy, Server

from .conftest import TREE, stage_dev

pytestmark = pytest.mark.proxy

# the test profile: the chart derives the same numbers from an environment's drain_seconds and timeouts
TIMING = shutdown.timing(drain_seconds=1, stream_timeout=10, request_timeout=None)
OPTIONS = proxy_args.proxy_options({"proxy": {"workers": 1, "maxStreamingDurationSeconds": 10}})
STREAM_DELAY_S = 3  # the in-flight stream's first token comes this long after the request
INSTANCES = 2  # the fleet: one instance serves while the other is replaced
LOAD_SECONDS = 18  # k6's fixed duration: the rollout (about 8 s, up to 13 s on a busy machine) must end before it


@dataclass
class Instance:
    name: str
    port: int
    proc: subprocess.Popen[bytes] | None = None

    def accepting(self) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}{LIVENESS_PATH}", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False


@dataclass
class Replacement:
    """What one step of the rollout saw."""

    old: str
    new: str
    accepting_when_removed: bool = False  # the old instance still accepted after it left the rotation
    state_when_removed: str = ""
    exited_after_s: float = -1.0  # seconds from SIGTERM to exit
    exit_code: int | None = None


@dataclass
class Rollout:
    steps: list[Replacement] = field(default_factory=list)
    stream: dict[str, object] = field(default_factory=dict)
    error: str = ""
    load_started: float = 0.0
    finished: float = 0.0


class Fleet:
    def __init__(self, work: Path, secrets: dict[str, str]) -> None:
        self.work = work
        self.secrets = secrets
        self.config = stage_dev(work / "runtime", secrets).config

    def start(self, instance: Instance) -> None:
        env = launch.proxy_env({**self.secrets, **OPTIONS.env})
        instance.proc = launch.start_proxy(
            self.config, instance.port, env, self.work / f"{instance.name}.log", workers=OPTIONS.workers
        )

    def wait_ready(self, instance: Instance) -> None:
        processes.wait_healthy(
            f"http://127.0.0.1:{instance.port}{READINESS_PATH}", 120, instance.proc, self.work / f"{instance.name}.log"
        )


def stream_directly(instance: Instance, key: str, out: dict[str, object]) -> None:
    """A streaming chat straight to one instance (bypassing haproxy), recording what arrived."""
    body = {"model": "claude-sonnet", "messages": [{"role": "user", "content": "a slow stream"}], "stream": True}
    out["sent"] = time.monotonic()
    try:
        with httpx.stream(
            "POST",
            f"http://127.0.0.1:{instance.port}/v1/chat/completions",
            json=body,
            timeout=30,
            headers={"Authorization": f"Bearer {key}"},
        ) as response:
            out["status"] = response.status_code  # LiteLLM answers once the first chunk is there
            lines = [line for line in response.iter_lines() if line.startswith("data: ")]
        out["done"] = lines[-1] == "data: [DONE]" if lines else False
        out["text"] = "".join(
            json.loads(line[6:])["choices"][0]["delta"].get("content") or ""
            for line in lines[:-1]
            if json.loads(line[6:])["choices"]
        )
    except httpx.HTTPError as exc:
        out["error"] = repr(exc)
    out["ended"] = time.monotonic()


def replace(
    fleet: Fleet, lb: HAProxy, old: Instance, new: Instance, key: str, rollout: Rollout, with_stream: bool
) -> None:
    step = Replacement(old.name, new.name)
    rollout.steps.append(step)
    fleet.wait_ready(new)  # the surge instance
    lb.enable(new.name)  # ready: into the Service's endpoints
    with contextlib.suppress(TimeoutError):  # the health checks' verdict, up to 10 s (then on regardless)
        wait_until(lambda: lb.states().get(new.name) == "UP", 10, 0.1, f"{new.name} UP in haproxy")
    lb.remove(old.name)  # Terminating: out of the endpoints at once
    step.state_when_removed = lb.states()[old.name]
    step.accepting_when_removed = old.accepting()
    stream_thread = None
    if with_stream:  # a stream on the old instance, in flight when SIGTERM arrives
        stream_thread = threading.Thread(target=stream_directly, args=(old, key, rollout.stream))
        stream_thread.start()
    time.sleep(TIMING.pre_stop)  # preStop sleep: the old instance keeps accepting
    assert old.proc is not None
    terminated = time.monotonic()
    if with_stream:
        rollout.stream["sigterm"] = terminated
    old.proc.terminate()  # SIGTERM to the proxy process, as the kubelet sends it to PID 1
    try:
        step.exit_code = old.proc.wait(timeout=TIMING.grace - TIMING.pre_stop)
        step.exited_after_s = time.monotonic() - terminated
    except subprocess.TimeoutExpired:
        processes.stop(old.proc)  # the kubelet's SIGKILL
    if stream_thread is not None:
        stream_thread.join(30)


@pytest.fixture(scope="module")
def rolled(
    tmp_path_factory: pytest.TempPathFactory, fake_provider: str, redis_server: int
) -> Iterator[tuple[Rollout, k6.LoadResult]]:
    if load_balancer.binary() is None:
        pytest.skip("haproxy is not installed (apt-get install haproxy)")
    work = tmp_path_factory.mktemp("restarts")
    secrets = localenv.local_secrets(fake_provider, redis_server)
    fleet = Fleet(work, secrets)
    old = [Instance(f"old{i}", processes.free_port()) for i in range(INSTANCES)]
    new = [Instance(f"new{i}", processes.free_port()) for i in range(INSTANCES)]
    lb: HAProxy | None = None
    try:
        for instance in old + new:
            fleet.start(instance)
        with ThreadPoolExecutor(INSTANCES) as pool:
            list(pool.map(fleet.wait_ready, old))
        lb = HAProxy(
            work / "haproxy",
            processes.free_port(),
            [Server(i.name, i.port) for i in old] + [Server(i.name, i.port, enabled=False) for i in new],
        )
        url = f"http://127.0.0.1:{lb.port}"
        httpx.delete(f"{fake_provider}/_fake/faults")
        httpx.put(
            f"{fake_provider}/_fake/faults", json={"fake-claude-sonnet": {"first_token_delay_s": STREAM_DELAY_S}}
        ).raise_for_status()
        rollout = Rollout()
        with ThreadPoolExecutor(1) as pool:
            load = pool.submit(
                k6.run,
                TREE,
                url,
                secrets["LITELLM_MASTER_KEY"],
                12,
                f"{LOAD_SECONDS}s",
                work / "k6.json",
                model="gpt-4o-mini",
            )
            rollout.load_started = time.monotonic()
            time.sleep(2)  # load is flowing before the first instance goes
            try:
                for i, (o, n) in enumerate(zip(old, new, strict=True)):
                    replace(fleet, lb, o, n, secrets["LITELLM_MASTER_KEY"], rollout, with_stream=i == 0)
            except (AssertionError, RuntimeError, OSError) as exc:
                rollout.error = repr(exc)
            rollout.finished = time.monotonic()
            result = load.result(timeout=120)
        yield rollout, result
    finally:
        httpx.delete(f"{fake_provider}/_fake/faults")
        if lb is not None:
            lb.stop()
        for instance in old + new:
            if instance.proc is not None:
                processes.stop(instance.proc)


def test_rolling_restart_under_load_fails_no_request(rolled: tuple[Rollout, k6.LoadResult]) -> None:
    rollout, load = rolled
    assert rollout.error == ""
    assert [(s.old, s.new) for s in rollout.steps] == [(f"old{i}", f"new{i}") for i in range(INSTANCES)]
    assert rollout.finished - rollout.load_started < LOAD_SECONDS - 1, "the rollout outlasted the load"
    assert load.requests >= 100 and load.streamed > 0, load.output
    assert (load.failed, load.checks_failed) == (0, 0), load.output


def test_readiness_fails_before_the_instance_stops_accepting(rolled: tuple[Rollout, k6.LoadResult]) -> None:
    for step in rolled[0].steps:
        assert step.state_when_removed == "MAINT", step  # out of the load balancer's rotation ...
        assert step.accepting_when_removed, step  # ... while it still accepts connections


def test_every_old_instance_exits_by_itself_within_the_grace_period(rolled: tuple[Rollout, k6.LoadResult]) -> None:
    for step in rolled[0].steps:
        assert step.exit_code is not None and 0 <= step.exited_after_s < TIMING.grace - TIMING.pre_stop, step


def test_a_stream_in_flight_at_sigterm_completes(rolled: tuple[Rollout, k6.LoadResult]) -> None:
    stream = rolled[0].stream
    assert stream.get("status") == 200 and "error" not in stream, stream
    assert float(stream["sent"]) < float(stream["sigterm"]) < float(stream["ended"]), stream  # type: ignore[arg-type]
    assert stream["done"] is True and stream["text"] == "Fake answer from fake-claude-sonnet.", stream
    first = rolled[0].steps[0]
    assert first.exited_after_s >= float(stream["ended"]) - float(stream["sigterm"]) - 0.5, (first, stream)  # type: ignore[arg-type]
