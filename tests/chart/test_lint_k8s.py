"""`make lint-k8s` end to end, and proof that kubeconform really rejects bad manifests."""

from __future__ import annotations

from litellm_bundle.core.tree import BundleTree
from litellm_bundle.external import kube

from .conftest import values_for


def test_lint_k8s_passes_for_every_environment_scenario_and_version(checkout: BundleTree) -> None:
    values = {env: values_for(env) for env in ("dev", "staging", "prod")}
    scenarios = kube.scenarios(checkout, values, list(values))
    assert len(scenarios) >= 5
    assert kube.lint(checkout, values, list(values)) == []


def test_kubeconform_strict_rejects_unknown_fields(checkout: BundleTree) -> None:
    text = kube.helm_template(checkout, values_for("dev"))
    broken = text.replace("  revisionHistoryLimit: 5", "  revisionHistoryLimit: 5\n  replicaz: 3", 1)
    assert broken != text
    result = kube.kubeconform(checkout, broken, "1.33.0")
    assert not result.ok and result.invalid == 1
    assert "replicaz" in result.output


def test_kubeconform_rejects_a_kind_without_schema(checkout: BundleTree) -> None:
    text = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"
    result = kube.kubeconform(checkout, text, "1.33.0")
    assert not result.ok and result.errors == 1


def test_crd_schema_rejects_bad_service_monitor(checkout: BundleTree) -> None:
    text = (
        "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: x\n"
        "spec:\n  selector: {}\n  endpointz: []\n"
    )
    assert not kube.kubeconform(checkout, text, "1.33.0").ok


def test_a_failure_is_a_problem_at_the_values_of_its_scenario(checkout: BundleTree) -> None:
    values = {"dev": values_for("dev") + "bogusKey: 1\n"}
    lines: list[str] = []
    problems = kube.lint(checkout, values, ["dev"], versions=("1.33.0",), progress=lines.append)
    dev = [p for p in problems if p.env == "dev"]
    assert [(str(p.location), p.check) for p in dev] == [("rendered/dev/values.yaml:1:1", "helm-lint")], problems
    assert "bogusKey" in dev[0].message and "FAIL dev: helm lint" in lines


def test_one_kubeconform_run_for_many_manifests_answers_as_each_alone(checkout: BundleTree) -> None:
    """lint validates all scenarios of a version in one kubeconform run: each result is that manifest's own run's."""
    good = kube.helm_template(checkout, values_for("dev"))
    broken = good.replace("  revisionHistoryLimit: 5", "  revisionHistoryLimit: 5\n  replicaz: 3", 1)
    widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"
    texts = [good, broken, widget, kube.helm_template(checkout, values_for("prod")), ""]
    each = kube.kubeconform_each(checkout, texts, "1.33.0")
    assert each == [kube.kubeconform(checkout, text, "1.33.0") for text in texts]
    assert [r.ok for r in each] == [True, False, False, True, True] and each[0].valid > 10
