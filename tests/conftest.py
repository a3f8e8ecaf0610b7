"""Shared fixtures. In CI (CI=true) a skipped test fails the run."""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Any

import pytest
from _pytest.unraisableexception import gc_collect_iterations_key
from hypothesis import HealthCheck, settings

from litellm_bundle.core.facts import NO_DOTENV
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.policy.policies import Policies
from litellm_bundle.runtime.launch import chart_proxy_env

from . import scheduling
from .helpers import ROOT, checkout_tree, copy_tree

# the fake provider and Redis, shared by tests/integration and tests/database
pytest_plugins = ("tests.process_fixtures",)

# The test processes collect garbage as the proxies do (the chart's proxy.gcThreshold, LiteLLM's
# PYTHON_GC_THRESHOLD, read from the chart): with CPython's defaults the work the xdist workers do themselves
# (LiteLLM's import, the surface, the property tests) took about a fifth more CPU (docs/performance.md).
if threshold := chart_proxy_env().get("PYTHON_GC_THRESHOLD"):
    gc.set_threshold(*(int(n) for n in threshold.split(",")))

# Property tests explore new inputs on every local run; in CI they replay a fixed sequence, so a run of
# main is reproducible (a crash a local run finds becomes a broken-edit case or a fix, not a CI lottery).
# Wall-clock limits are off there: a background worker (tests/scheduling.py) runs them on idle core time only.
settings.register_profile(
    "ci", derandomize=True, print_blob=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")


@pytest.hookimpl(tryfirst=True)  # first: its cleanup (below) is then the last of pytest's (they run in reverse)
def pytest_configure(config: pytest.Config) -> None:
    """Like `make`: the checkout's tools (helm, kubeconform) on PATH, also for scratch copies of the tree."""
    os.environ["PATH"] = os.pathsep.join([str(ROOT / ".tools" / "bin"), os.environ.get("PATH", "")])
    # the tests import LiteLLM too (the hooks' tests, the surface): never the checkout's .env of `make up`
    os.environ.update(NO_DOTENV)
    # The end of a process holding LiteLLM's objects (the xdist workers) cost seconds of CPU per full garbage
    # collection, at the run's end where nothing runs beside it: pytest's unraisable-exception check collects
    # 5 times (after Trio's experience; once still finds what a test left unraisable, the stash key is
    # pytest's knob), and the interpreter's exit once more, over every object, which the freeze (after
    # pytest's last check) spares.
    config.stash[gc_collect_iterations_key] = 1
    config.add_cleanup(gc.freeze)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> scheduling.BackgroundAware:
    return scheduling.BackgroundAware(config, log)


def pytest_collection_finish(session: pytest.Session) -> None:
    scheduling.lower_priority(session.config)


# Tests that share expensive session state run in one xdist worker (make test: `-n 3`, tests/scheduling.py):
# one control plane per version, one PostgreSQL with its proxy, one dev proxy; every other test file
# that starts proxies is a group of its own, so its module fixtures start once.
SHARED_STATE_GROUPS = {
    "cluster": ("cluster",),
    # the tests that measure the proxy under load (k6 while workers recycle, rolling restarts) never share the
    # machine's two cores with the heaviest neighbour, proxies of two versions migrating at once: one
    # worker runs them one after the other (they share no state; the other worker runs everything else)
    "under-load": (
        "database/test_migrations.py",
        "integration/test_operations_prometheus.py",
        "integration/test_operations_restarts.py",
        "integration/test_reliability.py",
    ),
    "database": ("database",),
    "dev-stack": (
        "integration/test_agent_routes.py",
        "integration/test_bad_requests.py",
        "integration/test_coding_agents.py",
        "integration/test_fake_provider_routes.py",
        "integration/test_hooks_in_proxy.py",
        "integration/test_redaction_in_proxy.py",
        "integration/test_surfaces.py",
    ),
}


# The longest groups first (measured: docs/performance.md, "The test suite's time"): xdist hands a worker the
# next group in collection order when it is free (make test: `--no-loadscope-reorder`, which would order
# them by their number of tests), so the long chains start at once and the many short files fill the end.
LONGEST_FIRST = (
    "under-load",
    "cluster",
    "integration/test_boot_check.py",
    "database",
    "integration/test_shared_state.py",
    "integration/test_local_stack.py",
    "dev-stack",
)


@pytest.hookimpl(tryfirst=True)  # before xdist turns the markers into its scheduling groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        relative = Path(str(item.path)).resolve().relative_to(ROOT / "tests").as_posix()
        group = next(
            (name for name, prefixes in SHARED_STATE_GROUPS.items() if any(relative.startswith(p) for p in prefixes)),
            None,
        )
        if group is None and relative.startswith("integration/"):
            group = relative
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
    rank = {group: index for index, group in enumerate(LONGEST_FIRST)}

    def order(item: pytest.Item) -> int:
        marker = item.get_closest_marker("xdist_group")
        return rank.get(marker.args[0] if marker else "", len(rank))

    items.sort(key=order)  # stable: a group keeps its order


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if os.environ.get("CI") == "true" and skipped and exitstatus == 0:
        session.exitstatus = 1
        if reporter:
            reporter.write_line(f"CI=true: {skipped} skipped test(s) fail the run", red=True)


@pytest.fixture(scope="session")
def checkout() -> BundleTree:
    return checkout_tree()


@pytest.fixture(scope="session")
def checkout_policies(checkout: BundleTree) -> Policies:
    return Policies(checkout)


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """A scratch copy of the bundle tree to break."""
    return copy_tree(tmp_path / "bundle")
