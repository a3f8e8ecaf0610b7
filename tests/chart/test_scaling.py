"""HorizontalPodAutoscaler and PodDisruptionBudget."""

from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML

from litellm_bundle.model import sizing

from .conftest import Render, find, kinds

ROOT = Path(__file__).resolve().parents[2]


def test_prod_hpa_and_pdb(render: Render) -> None:
    docs = render("prod")
    hpa = find(docs, "HorizontalPodAutoscaler")["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 12)
    # prod declares `sizing`: the HPA target and the container's CPU follow from it (sizing.py)
    declared = YAML(typ="safe").load((ROOT / "config" / "environments" / "prod.yaml").read_text())["sizing"]
    shape = sizing.derive(declared["pod_rps"], declared["worker_rps"])
    assert hpa["metrics"][0]["resource"]["target"]["averageUtilization"] == shape.target_cpu_percent
    container = find(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"]["requests"]["cpu"] == container["resources"]["limits"]["cpu"] == str(shape.workers)
    assert container["args"][container["args"].index("--num_workers") + 1] == str(shape.workers)
    assert find(docs, "PodDisruptionBudget")["spec"]["maxUnavailable"] == 1


def test_single_replica_dev_has_no_pdb_or_hpa(render: Render) -> None:
    assert not {"PodDisruptionBudget", "HorizontalPodAutoscaler"} & kinds(render("dev"))


def test_topology_spread_counts_only_nodes_the_pod_may_run_on(render: Render) -> None:
    """With the default nodeTaintsPolicy (Ignore) a tainted node counts as a domain with zero pods: a
    DoNotSchedule spread then sees a skew no placement can fix and the HPA's new pods stay Pending."""
    for env in ("dev", "staging", "prod"):
        spec = find(render(env), "Deployment")["spec"]["template"]["spec"]
        constraints = spec["topologySpreadConstraints"]
        assert any(c["whenUnsatisfiable"] == "DoNotSchedule" for c in constraints)
        for constraint in constraints:
            assert constraint["nodeTaintsPolicy"] == "Honor", constraint
            assert constraint["nodeAffinityPolicy"] == "Honor", constraint
