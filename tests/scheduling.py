"""How `make test` shares the machine's two cores among three xdist workers (docs/performance.md, "The test
suite's time"): the first two (the foreground workers) run every group of tests that share expensive state
(tests/conftest.py: the load tests, the proxies, the control planes) and, once those are all handed out,
whatever is left; the third (the background worker) takes only the tests of no group (unit, hooks and chart
tests: no proxy, no load, no wall-clock bound tighter than a minute) and runs at Linux's SCHED_IDLE
priority, so it uses the core time both foreground workers leave idle (about 190 core-seconds of a run,
while they wait on k6, failovers and rollouts) and never takes CPU from their load tests.

With `-n 2` (or fewer) there is no background worker and the scheduling is xdist's `loadgroup`."""

from __future__ import annotations

import os
from typing import Any

import pytest
from xdist.scheduler import LoadGroupScheduling

FOREGROUND = 2  # the machine's cores: workers gw0 and gw1 run at normal priority
TEST_SCOPE = "::"  # in a test's node id; xdist's loadgroup scope of a grouped test is its group's name


def grouped(scope: str) -> bool:
    """Whether a loadgroup work unit (LoadGroupScheduling._split_scope) is a group: a test in an xdist_group
    gets its group's name as scope (no "::"); a test of no group, its own node id."""
    return TEST_SCOPE not in scope


def background(worker_id: str) -> bool:
    """Whether an xdist worker (gw0, gw1, ...) is a background worker."""
    return worker_id.startswith("gw") and int(worker_id[2:]) >= FOREGROUND


class BackgroundAware(LoadGroupScheduling):
    """xdist's loadgroup scheduling, except that a background worker is handed only tests of no group, and
    is shut down once none is left to hand out."""

    def _ungrouped(self) -> str | None:
        return next((scope for scope in self.workqueue if not grouped(scope)), None)

    def _assign_work_unit(self, node: Any) -> None:
        if not background(node.gateway.id):
            super()._assign_work_unit(node)
            return
        scope = self._ungrouped()
        if scope is None:
            return
        self.workqueue.move_to_end(scope, last=False)  # xdist's own assignment takes the queue's first unit
        super()._assign_work_unit(node)

    def _reschedule(self, node: Any) -> None:
        if background(node.gateway.id) and not node.shutting_down and self._ungrouped() is None:
            if self._pending_of(self.assigned_work[node]) == 0:
                node.shutdown()
            return
        super()._reschedule(node)


def lower_priority(config: pytest.Config) -> None:
    """In a background worker: SCHED_IDLE for it and every process it starts from now on (after its
    collection, which all workers finish before any test runs)."""
    worker = getattr(config, "workerinput", {}).get("workerid", "")
    if background(worker):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
