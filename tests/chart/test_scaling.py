"""HorizontalPodAutoscaler and PodDisruptionBudget."""

from __future__ import annotations

from .conftest import Render, find, kinds


def test_prod_hpa_and_pdb(render: Render) -> None:
    docs = render("prod")
    hpa = find(docs, "HorizontalPodAutoscaler")["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 12)
    assert hpa["metrics"][0]["resource"]["target"]["averageUtilization"] == 65
    assert find(docs, "PodDisruptionBudget")["spec"]["maxUnavailable"] == 1


def test_single_replica_dev_has_no_pdb_or_hpa(render: Render) -> None:
    assert not {"PodDisruptionBudget", "HorizontalPodAutoscaler"} & kinds(render("dev"))
