"""litellm_bundle/model/sizing.py: workers, CPU and the HPA target from one declared per-pod throughput,
rendered into values.yaml, and a conflicting explicit value reported where it is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ruamel.yaml import YAML

from litellm_bundle.build.generate import render_one
from litellm_bundle.checks import validate as validation
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.model import sizing
from litellm_bundle.policy.policies import Policies
from tests.helpers import ROOT

PROD = "config/environments/prod.yaml"


def test_prod_figures() -> None:
    shape = sizing.derive(100, 55)
    assert shape.workers == 2  # 1.82 cores of work: two single-core workers
    assert shape.cpu == "2"
    assert shape.target_cpu_percent == 90  # 2 cores x 90 % = 1.8 cores = 99 req/s at 55 per core
    assert round(shape.cores, 3) == 1.818


def test_exact_multiples_do_not_round_up_a_worker() -> None:
    assert (sizing.derive(100, 50).workers, sizing.derive(100, 50).target_cpu_percent) == (2, 100)
    assert (sizing.derive(0.3, 0.1).workers, sizing.derive(0.3, 0.1).target_cpu_percent) == (
        3,
        100,
    )  # 0.3/0.1 is 2.9999999999999996
    assert (sizing.derive(100, 34).workers, sizing.derive(100, 34).target_cpu_percent) == (3, 98)
    assert (sizing.derive(20, 55).workers, sizing.derive(20, 55).target_cpu_percent) == (1, 36)
    assert sizing.derive(1, 101).target_cpu_percent == 1, "never a 0 % target"


@given(st.integers(min_value=1, max_value=5000), st.integers(min_value=5, max_value=500))
def test_the_shape_carries_the_declared_rate_and_no_more_workers_than_needed(pod_rps: int, worker_rps: int) -> None:
    shape = sizing.derive(pod_rps, worker_rps)
    assert shape.workers * worker_rps >= pod_rps
    assert (shape.workers - 1) * worker_rps < pod_rps
    # the HPA target is the utilisation at which one pod carries pod_rps (rounded down: it scales out no later)
    capacity = shape.workers * worker_rps
    assert capacity * shape.target_cpu_percent / 100 <= pod_rps + 1e-9 or shape.target_cpu_percent == 1, (
        "1 % is the HPA's floor"
    )
    assert capacity * (shape.target_cpu_percent + 1) / 100 > pod_rps or shape.target_cpu_percent == 100
    assert 1 <= shape.target_cpu_percent <= 100


@pytest.mark.parametrize("pod, worker", [(0, 55), (100, 0), (-1, 55)])
def test_non_positive_rates_are_refused(pod: float, worker: float) -> None:
    with pytest.raises(ValueError, match="pod_rps and worker_rps > 0"):
        sizing.derive(pod, worker)


def test_apply_derives_cpu_and_keeps_memory() -> None:
    overlay = {
        "workers": 1,
        "sizing": {"pod_rps": 100, "worker_rps": 55},
        "resources": {"requests": {"memory": "2Gi"}, "limits": {"memory": "4Gi"}},
        "autoscaling": {"min_replicas": 3, "max_replicas": 12, "target_cpu_percent": 70},
    }
    out = sizing.apply(overlay)
    assert out["workers"] == 2
    assert out["resources"] == {"requests": {"memory": "2Gi", "cpu": "2"}, "limits": {"memory": "4Gi", "cpu": "2"}}
    assert out["autoscaling"] == {"min_replicas": 3, "max_replicas": 12, "target_cpu_percent": 90}
    assert overlay["workers"] == 1 and "cpu" not in overlay["resources"]["requests"], "the source data is not modified"


def test_apply_without_sizing_or_with_broken_sizing_changes_nothing() -> None:
    plain = {"workers": 2, "resources": {"requests": {"cpu": "1"}}}
    assert sizing.apply(plain) is plain
    broken = {**plain, "sizing": {"pod_rps": "many", "worker_rps": 55}}  # the schema reports it
    assert sizing.apply(broken) is broken
    assert "autoscaling" not in sizing.apply({"sizing": {"pod_rps": 10, "worker_rps": 55}}), (
        "no HPA without autoscaling"
    )


def test_conflicts_are_the_derived_keys_written_in_the_source() -> None:
    raw = {
        "sizing": {"pod_rps": 1, "worker_rps": 1},
        "workers": 2,
        "resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"memory": "2Gi"}},
        "autoscaling": {"min_replicas": 1, "max_replicas": 2},
    }
    assert sizing.conflicts(raw) == [("workers",), ("resources", "requests", "cpu")]
    assert sizing.conflicts({"workers": 2, "resources": {"limits": {"cpu": "2"}}}) == [], (
        "without sizing nothing is derived"
    )


def test_prod_renders_the_derived_shape() -> None:
    declared = YAML(typ="safe").load((ROOT / PROD).read_text())["sizing"]
    shape = sizing.derive(declared["pod_rps"], declared["worker_rps"])
    values = YAML(typ="safe").load(render_one(BundleTree.at(ROOT), "prod")["values.yaml"])
    assert values["proxy"]["workers"] == shape.workers
    assert values["resources"]["requests"]["cpu"] == values["resources"]["limits"]["cpu"] == shape.cpu
    assert values["resources"]["requests"]["memory"] == "2Gi", "memory stays declared"
    assert values["autoscaling"]["targetCPUUtilizationPercentage"] == shape.target_cpu_percent


def test_a_different_declared_rate_changes_the_rendering(repo_copy: Path) -> None:
    path = repo_copy / PROD
    # 3 workers x 10 connections x 8 pods = 240 fit prod's database.max_connections (12 pods would not, below)
    path.write_text(
        path.read_text().replace("pod_rps: 100", "pod_rps: 150", 1).replace("max_replicas: 12", "max_replicas: 8", 1)
    )
    worker_rps = YAML(typ="safe").load(path.read_text())["sizing"]["worker_rps"]
    shape = sizing.derive(150, worker_rps)
    values = YAML(typ="safe").load(render_one(BundleTree.at(repo_copy), "prod")["values.yaml"])
    assert (
        values["proxy"]["workers"],
        values["resources"]["limits"]["cpu"],
        values["autoscaling"]["targetCPUUtilizationPercentage"],
    ) == (shape.workers, shape.cpu, shape.target_cpu_percent)
    assert shape.workers > sizing.derive(100, worker_rps).workers


def test_checks_see_the_derived_workers(repo_copy: Path) -> None:
    path = repo_copy / PROD
    path.write_text(path.read_text().replace("pod_rps: 100", "pod_rps: 150", 1))  # 3 workers at 55 req/s each
    problems = validation.run(Policies(BundleTree.at(repo_copy)), debug=True).problems
    assert [p.message for p in problems if "max_connections" in p.message], (
        "the database pool check counts the derived workers"
    )
    path.write_text(path.read_text().replace("pod_rps: 150", "pod_rps: 40", 1))  # one worker: recycling needs two
    problems = validation.run(Policies(BundleTree.at(repo_copy)), debug=True).problems
    assert [p.message for p in problems if "needs `workers` >= 2" in p.message], [str(p) for p in problems]


def test_an_explicit_workers_beside_sizing_is_an_error_at_its_line(repo_copy: Path) -> None:
    path = repo_copy / PROD
    text = path.read_text()
    path.write_text(
        text.replace("sizing:\n", "workers: 3\nsizing:\n", 1).replace(
            "  requests: {memory: 2Gi}", '  requests: {cpu: "1", memory: 2Gi}', 1
        )
    )
    problems = validation.run(Policies(BundleTree.at(repo_copy)), debug=True).problems
    lines = path.read_text().splitlines()
    found = {(p.location.file, p.location.line): p.message for p in problems if p.severity == "error"}
    workers_line = next(n for n, line in enumerate(lines, 1) if line.startswith("workers: 3"))
    cpu_line = next(n for n, line in enumerate(lines, 1) if 'requests: {cpu: "1"' in line)
    assert "`workers` is derived from `sizing`" in found[(PROD, workers_line)]
    assert "`resources.requests.cpu` is derived from `sizing`" in found[(PROD, cpu_line)]
    assert len(found) == 2, found


def test_a_sizing_without_worker_rps_is_a_schema_error(repo_copy: Path) -> None:
    path = repo_copy / PROD
    path.write_text(path.read_text().replace("  worker_rps:", "  per_worker:", 1))
    problems = validation.run(Policies(BundleTree.at(repo_copy)), debug=True).problems
    assert any(p.location.file == PROD and "worker_rps" in p.message for p in problems), [str(p) for p in problems]


def test_explain_shows_the_arithmetic() -> None:
    assert sizing.explain(100, 55) == (
        "cores = 100 / 55 = 1.82; workers = ceil(1.82) = 2; cpu requests = limits = 2; "
        "HPA target = floor(100 x 1.82 / 2) = 90 %"
    )
