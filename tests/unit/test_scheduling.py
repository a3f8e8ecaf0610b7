"""tests/scheduling.py: xdist's own loadgroup scheduler, driven through a whole run with recorded workers,
hands the background worker only tests of no group, every group to a foreground worker, each test once."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from tests import scheduling

IN_GROUPS = [
    "tests/integration/test_boot_check.py::test_boots[dev]@integration/test_boot_check.py",
    "tests/integration/test_boot_check.py::test_boots[prod]@integration/test_boot_check.py",
    "tests/cluster/test_control_plane.py::test_serves@cluster",
    "tests/database/test_access.py::test_rotation@database",
]
COLLECTION = [
    *IN_GROUPS,
    *[f"tests/unit/test_render.py::test_{n}" for n in range(12)],
    "tests/unit/test_import.py::test_an_address[user@host]",  # a parameter with "@" is no group
    "tests/chart/test_deployment.py::test_probes",
]


@dataclass(eq=False)  # the scheduler keys its tables by worker: hashed by identity
class Worker:
    """What the scheduler sees of an xdist worker, recording what it is sent."""

    id: str
    gateway: Any = None
    shutting_down: bool = False
    queued: list[int] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.gateway = SimpleNamespace(id=self.id)

    def send_runtest_some(self, indices: list[int]) -> None:
        self.queued.extend(indices)

    def shutdown(self) -> None:
        self.shutting_down = True


def run(workers: int) -> list[Worker]:
    """A whole run: each worker reports its tests one by one, the workers taking turns."""
    config = SimpleNamespace(getvalue=lambda name: [f"{workers}*popen"], option=SimpleNamespace(loadscopereorder=False))
    scheduler = scheduling.BackgroundAware(config)  # type: ignore[arg-type]
    nodes = [Worker(f"gw{n}") for n in range(workers)]
    for node in nodes:
        scheduler.add_node(node)  # type: ignore[arg-type]
        scheduler.add_node_collection(node, COLLECTION)  # type: ignore[arg-type]
    scheduler.schedule()
    while any(node.queued for node in nodes):
        for node in nodes:
            if node.queued:
                index = node.queued.pop(0)
                node.ran.append(COLLECTION[index])
                scheduler.mark_test_complete(node, index)  # type: ignore[arg-type]
    assert scheduler.tests_finished
    return nodes


def test_the_background_worker_gets_only_tests_of_no_group() -> None:
    assert [test for test in COLLECTION if scheduling.grouped(scope(test))] == IN_GROUPS
    nodes = run(3)
    assert [node.id for node in nodes if scheduling.background(node.id)] == ["gw2"]
    assert nodes[2].ran, "the background worker ran nothing"
    assert not set(nodes[2].ran) & set(IN_GROUPS), nodes[2].ran
    assert sorted(test for node in nodes for test in node.ran) == sorted(COLLECTION), "each test once"


@pytest.mark.parametrize("workers", [1, 2])
def test_without_a_third_worker_the_scheduling_is_xdists_loadgroup(workers: int) -> None:
    nodes = run(workers)
    assert not any(scheduling.background(node.id) for node in nodes)
    assert sorted(test for node in nodes for test in node.ran) == sorted(COLLECTION)


def scope(nodeid: str) -> str:
    """xdist's loadgroup scope of a node id (the scheduler's own method: it reads nothing of the instance)."""
    return str(scheduling.BackgroundAware._split_scope(None, nodeid))  # type: ignore[arg-type]
