"""`make lint-k8s` end to end, and proof that kubeconform really rejects bad manifests."""

from __future__ import annotations

from litellm_bundle import kube, paths


def test_lint_k8s_passes_for_every_environment_and_version() -> None:
    assert kube.lint(list(paths.ENVIRONMENTS)) == []


def test_kubeconform_strict_rejects_unknown_fields() -> None:
    text = kube.helm_template([paths.ROOT / "rendered" / "dev" / "values.yaml"])
    broken = text.replace("  revisionHistoryLimit: 5", "  revisionHistoryLimit: 5\n  replicaz: 3", 1)
    assert broken != text
    result = kube.kubeconform(broken, "1.33.0")
    assert not result.ok and result.invalid == 1
    assert "replicaz" in result.output


def test_kubeconform_rejects_a_kind_without_schema() -> None:
    text = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"
    result = kube.kubeconform(text, "1.33.0")
    assert not result.ok and result.errors == 1


def test_crd_schema_rejects_bad_service_monitor() -> None:
    text = "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: x\nspec:\n  selector: {}\n  endpointz: []\n"
    assert not kube.kubeconform(text, "1.33.0").ok


def test_committed_k8s_manifests_are_current() -> None:
    for env in paths.ENVIRONMENTS:
        committed = (paths.ROOT / "k8s" / env / "manifests.yaml").read_text()
        assert committed == kube.manifests(env), f"k8s/{env}/manifests.yaml is stale: run `make render`"
