"""Real processes: the pinned LiteLLM proxy with the rendered dev config and hooks, and the fake provider."""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from litellm_bundle.core.facts import LIVENESS_PATH
from litellm_bundle.policy.policies import Policies
from litellm_bundle.runtime import launch, localenv, pod, processes, sandbox
from litellm_bundle.runtime.pod import PodSandbox
from tests.helpers import checkout_tree

# test-only transforms, staged next to config.yaml like a user's own module
TEST_TRANSFORMS = """
def explode_on_marker(data, params):
    for message in data.get("messages") or []:
        if isinstance(message, dict) and params["marker"] in str(message.get("content")):
            raise RuntimeError("transform exploded")
    return None
"""


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


TREE = checkout_tree()


def chart_pod(workload: str, env: str = "prod") -> PodSandbox:
    """A workload's pod sandbox (pod.WORKLOADS) as the committed manifests of `env` declare it: prod's by
    default (a database, two workers, the multiprocess metrics directory: the shape the tests run)."""
    return pod.committed(TREE, env, workload)


def streamed_text(events: Sequence[dict[str, Any]]) -> str:
    """The text of an Anthropic Messages stream: its content_block_delta events' text deltas."""
    return "".join(e["delta"].get("text", "") for e in events if e["type"] == "content_block_delta")


def stage_dev(dest: Path, secrets: dict[str, str]) -> launch.Staged:
    """The committed dev rendering staged for a local proxy with `secrets` (what `make up` runs)."""
    return launch.stage_files(TREE, launch.committed_files(TREE, "dev"), dest, secrets, Policies(TREE).env_ref)


@contextlib.contextmanager
def running_proxy(
    config: Path,
    secrets: dict[str, str],
    fake_provider: str,
    log_level: str = "WARNING",
    workers: int = 1,
    args: Sequence[str] = (),
    pod: PodSandbox | None = None,
) -> Iterator[Stack]:
    """The real proxy on a free port with `config` (`secrets`: its environment besides the defaults, `workers`
    and `args` as the chart passes them: proxy_args); stopped (whole process group) on exit. `pod`: in that
    pod's sandbox (runtime/sandbox.py) with its environment, the log level kept; a write it was refused
    outside the pod's emptyDirs fails the test at the end, with the path named."""
    env = launch.proxy_env({**secrets, "LITELLM_LOG": log_level})
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY"):
        env.pop(name, None)
    port = processes.free_port()
    log = config.parent / "proxy.log"
    proc = launch.start_proxy(
        config, port, env, log, workers=workers, extra_args=args, pod=pod, keep=("LITELLM_LOG",), visible=[TREE.root]
    )
    url = f"http://127.0.0.1:{port}"
    try:
        processes.wait_healthy(f"{url}{LIVENESS_PATH}", 120, proc, log)
        yield Stack(url, secrets["LITELLM_MASTER_KEY"], fake_provider, log)
    finally:
        # the proxy first: its shutdown writes the queued spend through its Prisma engine, which a signal to
        # the whole group kills at once (the proxy then retries the writes until SIGKILL, 10 s later)
        sandbox.terminate(proc)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        processes.stop(proc)
        assert proc.returncode is not None
    if pod is not None:
        outside = sandbox.writes_outside(log.read_text(errors="replace"), pod)
        assert not outside, "\n".join(outside)


@pytest.fixture(scope="session")
def dev_stack(tmp_path_factory: pytest.TempPathFactory, fake_provider: str, redis_server: int) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("proxy")
    secrets = localenv.local_secrets(fake_provider, redis_server)
    staged = stage_dev(workdir, secrets)
    (workdir / "test_transforms.py").write_text(TEST_TRANSFORMS)
    hooks = json.loads((workdir / "hooks.json").read_text())
    hooks["transforms"]["pipeline"] += [
        {
            "name": "explodes-open",
            "type": "custom",
            "path": "test_transforms.explode_on_marker",
            "on_error": "fail_open",
            "params": {"marker": "EXPLODE-OPEN"},
        },
        {
            "name": "explodes-closed",
            "type": "custom",
            "path": "test_transforms.explode_on_marker",
            "on_error": "fail_closed",
            "params": {"marker": "EXPLODE-CLOSED"},
        },
    ]
    (workdir / "hooks.json").write_text(json.dumps(hooks))
    with running_proxy(staged.config, secrets, fake_provider, log_level="INFO") as stack:
        yield stack
