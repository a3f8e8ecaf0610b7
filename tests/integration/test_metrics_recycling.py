"""Dead workers' Prometheus multiprocess files do not pile up: the real proxy with two workers that recycle
after a few requests (prod recycles after 10-20k) and a per-instance metrics directory (the chart's
emptyDir), one client sending requests and scraping in turn. Across many recycles the directory holds the
live workers' files and the archives only, and the request counter of every scrape is the previous one or
more, ending at the requests sent."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from litellm_bundle.core.facts import METRICS_PATH
from litellm_bundle.core.wait import wait_until
from litellm_bundle.render import proxy_args
from litellm_bundle.runtime import localenv, metrics

from .conftest import Stack, running_proxy, stage_dev

pytestmark = pytest.mark.proxy

WORKERS = 2
RECYCLE_AFTER = 8  # requests a worker serves before it exits (checked every 0.1 s: a few more when they come fast)
RECYCLES = 5  # workers that recycled before the test stops sending
MOST_REQUESTS = 200  # the load's bound: more than RECYCLES recycles take (about 10 requests each)
SCRAPE_EVERY = 4
COUNTER = "litellm_proxy_total_requests_metric_total"
PID_FILE = re.compile(r"^[a-z_]+_([0-9]+)\.db$")


@pytest.fixture(scope="module")
def recycling(
    tmp_path_factory: pytest.TempPathFactory, fake_provider: str, redis_server: int
) -> Iterator[tuple[Stack, Path]]:
    work = tmp_path_factory.mktemp("recycling")
    secrets = localenv.local_secrets(fake_provider, redis_server)
    staged = stage_dev(work / "runtime", secrets)
    (work / "multiprocess").mkdir()
    values = {"proxy": {"workers": WORKERS, "maxRequestsBeforeRestart": RECYCLE_AFTER}}
    options = proxy_args.proxy_options(values, work / "multiprocess")
    env = {**secrets, **options.env}
    with running_proxy(staged.config, env, fake_provider, workers=options.workers, args=options.args) as stack:
        yield stack, work / "multiprocess"


def writers(directory: Path) -> set[int]:
    """The pids that have files in the directory (the archives have none)."""
    return {int(m.group(1)) for f in directory.iterdir() if (m := PID_FILE.match(f.name))}


def answered(client: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """The answer, the request sent again when a recycling worker cut its connection before reading it
    (uvicorn's, docs/operations.md: the request never reached LiteLLM), as a retrying client does."""
    for _ in range(4):
        try:
            return client.request(method, path, **kwargs)
        except httpx.TransportError:
            continue
    return client.request(method, path, **kwargs)


def test_recycled_workers_leave_no_files_and_the_counters_keep_counting(recycling: tuple[Stack, Path]) -> None:
    stack, directory = recycling
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    seen: set[int] = set()
    most, totals = 0, [0.0]
    with httpx.Client(base_url=stack.url, headers={"Authorization": f"Bearer {stack.key}"}, timeout=120) as client:

        def scrape() -> float:
            nonlocal most
            text = answered(client, "GET", METRICS_PATH).text  # the dead workers' files are folded first
            totals.append(metrics.total(text, COUNTER))
            now = writers(directory)
            seen.update(now)
            most = max(most, len(now))
            return totals[-1]

        sent = 0
        while len(seen) < WORKERS + RECYCLES and sent < MOST_REQUESTS:
            assert answered(client, "POST", "/v1/chat/completions", json=body).status_code == 200
            sent += 1
            if sent % SCRAPE_EVERY == 0:
                scrape()
        wait_until(lambda: scrape() == sent, 60, what=f"{sent} requests counted")  # counted after the answer
    assert len(seen) >= WORKERS + RECYCLES, f"too few recycles in {sent} requests: {sorted(seen)}"
    assert most <= 2 * WORKERS, f"{most} pids had files: the live workers and at most those dead since the fold"
    assert totals == sorted(totals), totals
    assert (directory / "counter_archive.db").exists()
