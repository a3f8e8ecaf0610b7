"""Folding dead workers' multiprocess files: the collector reads the same totals before and after, from
the live workers' files and one archive per kind; a dead worker's own gauges are gone."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.multiprocess import MultiProcessCollector

from gateway_hooks import metrics_files
from gateway_hooks.metrics_files import compact

LIVE = 5_000_001  # above the largest pid Linux allows (PID_MAX_LIMIT, 2**22): no process runs under these
DEAD = (5_000_002, 5_000_003, 5_000_004)


def write(directory: Path, kind: str, pid: int, samples: dict[tuple[str, str], tuple[float, float]]) -> None:
    """One process's file of `kind` with {(metric, sample name): (value, timestamp)}."""
    d = MmapedDict(str(directory / f"{kind}_{pid}.db"))
    for (metric, name), (value, timestamp) in samples.items():
        d.write_value(mmap_key(metric, name, ["route"], ["/chat"], "help"), value, timestamp)
    d.close()


def scrape(directory: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for metric in MultiProcessCollector.merge([str(p) for p in directory.glob("*.db")])
        for s in metric.samples
    }


def workers(directory: Path) -> None:
    for n, pid in enumerate((LIVE, *DEAD), start=1):
        write(directory, "counter", pid, {("requests", "requests_total"): (n, 0)})
        write(
            directory,
            "histogram",
            pid,
            {
                ("latency", "latency_bucket"): (n, 0),
                ("latency", "latency_sum"): (0.5 * n, 0),
                ("latency", "latency_count"): (n, 0),
            },
        )
        write(directory, "gauge_max", pid, {("peak", "peak"): (10 * n, 0)})
        write(directory, "gauge_mostrecent", pid, {("last", "last"): (n, 100 + n)})
        write(directory, "gauge_livesum", pid, {("in_flight", "in_flight"): (1, 0)})
        write(directory, "gauge_all", pid, {("budget", "budget"): (n, 0)})


def test_totals_survive_and_dead_files_go(tmp_path: Path) -> None:
    workers(tmp_path)
    before = scrape(tmp_path)
    assert compact(str(tmp_path), alive=lambda pid: pid == LIVE) == list(DEAD)
    after = scrape(tmp_path)
    kept = {k: v for k, v in before.items() if k[0] not in ("in_flight", "budget")}
    assert {k: v for k, v in after.items() if k[0] not in ("in_flight", "budget")} == kept
    assert after[("requests_total", (("route", "/chat"),))] == 1 + 2 + 3 + 4
    assert after[("peak", (("route", "/chat"),))] == 40 and after[("last", (("route", "/chat"),))] == 4
    assert after[("in_flight", (("route", "/chat"),))] == 1  # the live worker's only
    assert [k for k in after if k[0] == "budget"] == [("budget", (("pid", str(LIVE)), ("route", "/chat")))]
    names = sorted(p.name for p in tmp_path.glob("*.db"))
    assert [n for n in names if str(LIVE) not in n] == [
        "counter_archive.db",
        "gauge_max_archive.db",
        "gauge_mostrecent_archive.db",
        "histogram_archive.db",
    ]
    # the next dead worker folds into the same archives
    assert compact(str(tmp_path), alive=lambda pid: False) == [LIVE]
    assert scrape(tmp_path)[("requests_total", (("route", "/chat"),))] == 10
    assert len(list(tmp_path.glob("*.db"))) == 4


def test_a_scrape_folds_first_and_holds_the_lock_until_it_answers(tmp_path: Path) -> None:
    workers(tmp_path)
    seen: list[Any] = []

    async def metrics_app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(sorted(p.name for p in tmp_path.glob("counter_*.db")))
        try:
            fd = metrics_files.os.open(str(tmp_path / metrics_files.LOCK_FILE), metrics_files.os.O_RDWR)
            metrics_files.fcntl.flock(fd, metrics_files.fcntl.LOCK_EX | metrics_files.fcntl.LOCK_NB)
            seen.append("unlocked")
        except BlockingIOError:
            seen.append("locked")
        finally:
            metrics_files.os.close(fd)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def send(message: Any) -> None:
        pass

    async def receive() -> Any:
        return {"type": "http.request"}

    guard = metrics_files.MetricsFilesGuard(metrics_app, str(tmp_path))
    asyncio.run(guard({"type": "http", "path": "/metrics/", "root_path": ""}, receive, send))
    assert seen == [["counter_archive.db"], "locked"]  # every test pid is dead
