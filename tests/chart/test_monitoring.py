"""Monitoring and operations in the chart: the dashboard ConfigMap, multi-worker metrics, worker
recycling, and the shutdown timing derived from the environment's stream timeouts."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from litellm_bundle.build.generate import render_one
from litellm_bundle.checks import dashboards
from litellm_bundle.core.problems import ValidationFailed
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.core.yamlio import dump_yaml
from litellm_bundle.model import shutdown
from litellm_bundle.render import alerts
from litellm_bundle.runtime import launch
from tests.helpers import ROOT, checkout_tree

from .conftest import Render, find, kinds

DASHBOARD = ROOT / "helm" / "litellm-gateway" / "files" / "dashboards" / "litellm-gateway.json"


def pod_spec(docs: list) -> dict:
    return find(docs, "Deployment")["spec"]["template"]["spec"]


def env_of(docs: list) -> dict[str, str]:
    return {e["name"]: e.get("value") for e in pod_spec(docs)["containers"][0]["env"]}


def test_dashboard_configmap_is_off_by_default_and_labelled_for_the_sidecar(render: Render) -> None:
    assert not [d for d in render("dev") if d["metadata"]["name"].endswith("-dashboards")]
    config_map = find(render("prod"), "ConfigMap", "-dashboards")
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(config_map["data"]["litellm-gateway.json"]) == json.loads(DASHBOARD.read_text())
    on_in_dev = find(
        render("dev", sets=["metrics.dashboard.enabled=true", "metrics.dashboard.labels.grafana_dashboard=gateway"]),
        "ConfigMap",
        "-dashboards",
    )
    assert on_in_dev["metadata"]["labels"]["grafana_dashboard"] == "gateway"


def test_the_dashboard_passes_the_lint(checkout: BundleTree) -> None:
    assert dashboards.files(checkout) == [DASHBOARD]
    assert dashboards.lint(DASHBOARD) == []


def test_the_lint_reports_what_grafanas_dashboard_linter_would(tmp_path: Path) -> None:
    board = json.loads(DASHBOARD.read_text())
    panel = dashboards.panels(board)[0]
    target = panel["targets"][0]
    target["expr"] = target["expr"].replace(',instance=~"$instance"', "").replace("[$__rate_interval]", "[5m]")
    target["legendFormat"] = "{{pod}}"
    panel["fieldConfig"]["defaults"]["unit"] = "req/s"
    panel["datasource"] = {"type": "prometheus", "uid": "prometheus"}
    board["templating"]["list"] = [v for v in board["templating"]["list"] if v["name"] != "job"]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(board))
    rules = {problem.rsplit("[", 1)[-1].rstrip("]") for problem in dashboards.lint(broken) if problem.endswith("]")}
    assert rules == {
        "target-instance-rule",
        "target-rate-interval-rule",
        "panel-units-rule",
        "panel-datasource-rule",
        "template-job-rule",
    }
    assert any("legend names {{pod}}" in problem for problem in dashboards.lint(broken))
    (tmp_path / "not.json").write_text('{\n  "title": ,\n}')
    assert dashboards.lint(tmp_path / "not.json")[0].startswith("not.json:2:")


def test_every_dashboard_query_is_valid_promql(checkout: BundleTree, tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    queries = dashboards.queries(checkout)
    rules = [
        {"record": f"dashboard:query_{i}", "expr": dashboards.concrete(q.expr, alerts.LOCAL_JOB, "1m")}
        for i, q in enumerate(queries)
    ]
    (tmp_path / "dashboard.yml").write_text(dump_yaml({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = subprocess.run(
        [promtool, "check", "rules", str(tmp_path / "dashboard.yml")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(queries)} rules found" in result.stdout


def test_several_workers_share_a_per_pod_metrics_directory(render: Render) -> None:
    prod = render("prod")
    spec = pod_spec(prod)
    directory = env_of(prod)["PROMETHEUS_MULTIPROC_DIR"]
    mounts = {m["mountPath"]: m["name"] for m in spec["containers"][0]["volumeMounts"]}
    volume = next(v for v in spec["volumes"] if v["name"] == mounts[directory])
    assert volume["emptyDir"]["sizeLimit"]
    assert spec["containers"][0]["args"][5] == "2"  # --num_workers 2
    single = render("dev")
    assert "PROMETHEUS_MULTIPROC_DIR" not in env_of(single)
    assert "metrics-multiprocess" not in {v["name"] for v in pod_spec(single)["volumes"]}


def test_worker_recycling_is_rendered_per_environment(render: Render) -> None:
    args = pod_spec(render("prod"))["containers"][0]["args"]
    assert args[args.index("--max_requests_before_restart") + 1] == "10000"
    assert args[args.index("--max_requests_before_restart_jitter") + 1] == "10000"
    assert "--max_requests_before_restart" not in pod_spec(render("dev"))["containers"][0]["args"]


def test_several_workers_get_time_to_import_litellm_before_the_supervisor_kills_them(render: Render) -> None:
    """uvicorn's supervisor kills a worker that does not answer its health check within 5 s, and a new worker
    answers only once it has imported LiteLLM: on a busy pod every recycle was killed at least once
    (docs/operations.md, "Worker recycling"). With several workers the chart passes the chart's timeout."""
    timeout = launch.committed_values(checkout_tree(), "prod")["proxy"]["workerHealthcheckTimeoutSeconds"]
    assert timeout > 5  # uvicorn's default
    args = pod_spec(render("prod"))["containers"][0]["args"]
    assert args[args.index("--timeout_worker_healthcheck") + 1] == str(timeout)
    assert "--timeout_worker_healthcheck" not in pod_spec(render("dev"))["containers"][0]["args"]  # one worker


def test_recycling_with_one_worker_is_refused(repo_copy: Path) -> None:
    dev = repo_copy / "config" / "environments" / "dev.yaml"
    dev.write_text(dev.read_text() + "max_requests_before_restart: 5000\n")
    with pytest.raises(ValidationFailed) as failed:
        render_one(BundleTree.at(repo_copy), "dev")
    assert any("`max_requests_before_restart` needs `workers` >= 2" in p.message for p in failed.value.problems)


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_shutdown_timing_is_derived_from_the_stream_timeouts(render: Render, env: str) -> None:
    overlay = YAML(typ="safe").load((ROOT / "config" / "environments" / f"{env}.yaml").read_text())
    limits = overlay.get("limits") or {}
    expected = shutdown.timing(
        (overlay.get("kubernetes") or {}).get("drain_seconds", 10),
        limits.get("stream_timeout", 300),
        limits.get("request_timeout"),
    )
    docs = render(env)
    spec = pod_spec(docs)
    assert spec["containers"][0]["lifecycle"]["preStop"]["exec"]["command"] == ["sleep", str(expected.pre_stop)]
    assert (
        spec["terminationGracePeriodSeconds"]
        == expected.grace
        == expected.pre_stop + expected.longest_request + shutdown.EXIT_SECONDS
    )
    assert env_of(docs)["LITELLM_MAX_STREAMING_DURATION_SECONDS"] == str(limits.get("stream_timeout", 300))
    assert find(docs, "Deployment")["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0},
    }


def test_a_longer_stream_timeout_lengthens_the_grace_period(repo_copy: Path) -> None:
    prod = repo_copy / "config" / "environments" / "prod.yaml"
    prod.write_text(
        prod.read_text()
        .replace("  request_timeout: 120\n", "  request_timeout: 120\n  stream_timeout: 900\n")
        .replace("  alerts: true\n", "  alerts: true\n  drain_seconds: 20\n")
    )
    values = YAML(typ="safe").load(render_one(BundleTree.at(repo_copy), "prod")["values.yaml"])
    assert values["proxy"]["maxStreamingDurationSeconds"] == 900
    assert values["preStopSleepSeconds"] == 20
    assert values["terminationGracePeriodSeconds"] == 20 + 900 + shutdown.EXIT_SECONDS


def test_monitoring_scenario_adds_only_prometheus_operator_kinds(render: Render) -> None:
    docs = render("dev", ROOT / "helm" / "litellm-gateway" / "ci" / "monitoring-values.yaml")
    assert {"ServiceMonitor", "PrometheusRule"} <= kinds(docs)
    assert find(docs, "ConfigMap", "-dashboards")["metadata"]["labels"]["grafana_dashboard"] == "1"


def test_every_alert_links_its_runbook_under_the_chosen_base_and_slo_queries_select_the_release(
    render: Render,
) -> None:
    base = "https://docs.example.internal/llm-gateway/runbooks.md"
    rule = find(render("prod", sets=[f"metrics.prometheusRule.runbookBaseUrl={base}"]), "PrometheusRule")
    groups = rule["spec"]["groups"]
    alert_rules = [r for g in groups for r in g["rules"] if "alert" in r]
    assert {r["annotations"]["runbook_url"] for r in alert_rules} == {
        f"{base}#{r['alert'].lower()}" for r in alert_rules
    }
    assert {r["alert"] for g in groups[1:] for r in g["rules"] if "alert" in r} == {
        "LLMGatewayAvailabilityBudgetBurn",
        "LLMGatewayOverheadLatencyBudgetBurn",
    }
    queries = [r["expr"] for g in groups[1:] for r in g["rules"] if "litellm_" in r["expr"]]
    assert queries and all('{job="litellm-gateway",namespace="llm-gateway"' in q for q in queries)
    assert not any("$selector" in r["expr"] or "__gateway__" in r["expr"] for g in groups for r in g["rules"])
    off = find(render("dev", sets=["metrics.prometheusRule.enabled=true"]), "PrometheusRule")
    assert len(off["spec"]["groups"]) == 1  # dev's values carry no SLO groups (its PrometheusRule is off)
