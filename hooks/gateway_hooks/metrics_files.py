"""Dead workers' Prometheus multiprocess files, folded away at each scrape.

With several workers every worker writes its samples into PROMETHEUS_MULTIPROC_DIR (the chart's
per-pod emptyDir), one file per metric type and worker pid, and each scrape reads every file. A
recycled worker (--max_requests_before_restart) leaves its files behind: prometheus_client keeps
a dead process's counters, histograms and summaries on purpose (the totals must keep counting) and
its mark_process_dead removes only the `live*` gauges. So the directory grows with every recycle,
scrapes slow down and the emptyDir fills up.

This guard, in front of the router (asgi.mount), runs before each scrape of /metrics that reached
it (LiteLLM's key check comes first): the files of every pid that no longer runs are folded into one
archive file per kind, `<kind>_archive.db`, which the collector reads like any worker's file:
counters, histograms, summaries and `sum` gauges are added up, `min`/`max` gauges keep the minimum
or maximum, `mostrecent` the newest value; `live*` gauges go (mark_process_dead) and so do the
per-process `all` gauges of dead pids (a dead worker's own series, stale). Totals stay what they were
and the directory holds the live workers' files plus a few archives.

Scrapes and foldings exclude each other with an exclusive lock on a file in the directory (a fold
between a scrape's listing and its reading would count a worker twice or not at all): a scrape holds
it from before the fold until its response starts, by which time LiteLLM has rendered it whole. A
fold writes the new archive beside the old one, renames it over it, then deletes the dead files: a
worker killed in between counts the dead worker twice, never loses it (docs/operations.md)."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import re
from collections.abc import AsyncIterator, Callable, MutableMapping
from typing import Any

from gateway_hooks import observability as obs
from gateway_hooks.asgi import App, Message, Receive, Send, mount, proxy_app, route_path

METRICS_ROUTE = "/metrics"  # where LiteLLM mounts its scrape app
LOCK_FILE = ".gateway-metrics.lock"  # not *.db: the collector never reads it
ARCHIVE = "archive"  # the "pid" of the archive files: <kind>_archive.db
# how a kind's samples of several processes fold into one; a kind not here is dropped with its process
FOLD = {
    "counter": "sum",
    "histogram": "sum",
    "summary": "sum",
    "gauge_sum": "sum",
    "gauge_min": "min",
    "gauge_max": "max",
    "gauge_mostrecent": "mostrecent",
}
_FILE = re.compile(r"^(?P<kind>counter|histogram|summary|gauge_[a-z]+)_(?P<pid>[0-9]+)\.db$")
_POLL_S = 0.01  # a scrape waiting for another one's lock polls it this often
_MARK = "_gateway_metrics_files"

Sample = tuple[float, float]  # value, timestamp


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _prometheus() -> Any:
    """prometheus_client, imported where metrics are on (LiteLLM's dependency; untyped)."""
    import prometheus_client.mmap_dict  # noqa: PLC0415
    import prometheus_client.multiprocess  # noqa: PLC0415

    return prometheus_client


def _folded(rule: str, old: Sample | None, new: Sample) -> Sample:
    if old is None:
        return new
    if rule == "sum":
        return old[0] + new[0], max(old[1], new[1])
    if rule == "min":
        return min(old, new)
    if rule == "max":
        return max(old, new)
    return new if new[1] > old[1] else old  # mostrecent


def _fold(directory: str, kind: str, files: list[str]) -> None:
    """The archive of `kind` with the samples of `files` folded in, written beside it and renamed over it."""
    mmaped_dict = _prometheus().mmap_dict.MmapedDict
    archive = os.path.join(directory, f"{kind}_{ARCHIVE}.db")
    sources = ([archive] if os.path.exists(archive) else []) + [os.path.join(directory, f) for f in files]
    samples: dict[str, Sample] = {}
    for source in sources:
        for key, value, timestamp, _ in mmaped_dict.read_all_values_from_file(source):
            samples[key] = _folded(FOLD[kind], samples.get(key), (value, timestamp))
    staged = archive + ".new"
    with contextlib.suppress(FileNotFoundError):
        os.remove(staged)
    written = mmaped_dict(staged)
    try:
        for key, (value, timestamp) in samples.items():
            written.write_value(key, value, timestamp)
    finally:
        written.close()
    os.replace(staged, archive)


def compact(directory: str, alive: Callable[[int], bool] = running) -> list[int]:
    """Fold the files of the processes that no longer run into the archives; their pids. The caller holds
    the directory's lock."""
    multiprocess = _prometheus().multiprocess
    by_pid: dict[int, list[tuple[str, str]]] = {}
    for name in os.listdir(directory):
        match = _FILE.match(name)
        if match:
            by_pid.setdefault(int(match["pid"]), []).append((match["kind"], name))
    dead = sorted(pid for pid in by_pid if pid != os.getpid() and not alive(pid))
    by_kind: dict[str, list[str]] = {}
    for pid in dead:
        multiprocess.mark_process_dead(pid, directory)  # the live* gauges
        for kind, name in by_pid[pid]:
            if not kind.startswith("gauge_live"):
                by_kind.setdefault(kind, []).append(name)
    for kind, files in sorted(by_kind.items()):
        if kind in FOLD:
            _fold(directory, kind, files)
        for name in files:
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(directory, name))
    return dead


@contextlib.asynccontextmanager
async def locked(directory: str) -> AsyncIterator[Callable[[], None]]:
    """The directory's exclusive lock, waited for without blocking the event loop; yields its early
    release (closing the lock file releases the lock)."""
    fd = os.open(os.path.join(directory, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o600)
    open_ = [True]

    def release() -> None:
        if open_[0]:
            open_[0] = False
            os.close(fd)

    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                await asyncio.sleep(_POLL_S)
        yield release
    finally:
        release()


class MetricsFilesGuard:
    def __init__(self, app: App, directory: str):
        self.app = app
        self.directory = directory

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        path = route_path(scope)
        if scope.get("type") != "http" or not (path == METRICS_ROUTE or path.startswith(METRICS_ROUTE + "/")):
            await self.app(scope, receive, send)
            return
        async with locked(self.directory) as release:
            try:
                dead = await asyncio.to_thread(compact, self.directory)
            except Exception as e:  # the scrape is answered whatever the folding did
                obs.event("metrics_files_not_folded", level=logging.WARNING, error=f"{type(e).__name__}: {e}")
            else:
                if dead:
                    obs.event("metrics_files_folded", pids=dead)

            async def sending(message: Message) -> None:
                if message.get("type") == "http.response.start":
                    release()  # the scrape is rendered: its files are read
                await send(message)

            await self.app(scope, receive, sending)


def install(app: Any, directory: str) -> bool:
    return mount(app, _MARK, lambda inner: MetricsFilesGuard(inner, directory))


def install_in_proxy() -> None:
    """Fold dead workers' files at each scrape of the running proxy with a multiprocess metrics
    directory (a no-op outside the proxy or with one worker)."""
    app = proxy_app()
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    if app is not None and directory and os.path.isdir(directory):
        install(app, directory)
