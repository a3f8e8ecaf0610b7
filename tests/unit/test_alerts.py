"""The gateway's alerts as tested code: one source (helm/litellm-gateway/files/alerts.yaml) rendered by
the chart and by the tooling identically, `promtool check rules` on both, and `promtool test rules`
with input series for every alert (fires, does not fire, resolves)."""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from litellm_bundle.core.tree import BundleTree
from litellm_bundle.core.yamlio import dump_yaml
from litellm_bundle.external import kube
from litellm_bundle.render import alerts, prometheus_config, slo
from tests.helpers import ROOT, committed

CASES = Path(__file__).with_name("test_alerts_promtool.yaml")
# the chart's target for release litellm-gateway in namespace llm-gateway (what the input series carry)
CHART_TARGET = alerts.Target('job="litellm-gateway",namespace="llm-gateway"', "llm-gateway", "litellm-gateway-.*")


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    return found


def chart_groups(tree: BundleTree, env: str = "prod") -> list[dict[str, Any]]:
    docs = kube.documents(kube.helm_template(tree, committed(env, "values.yaml")))
    rules = [d for d in docs if d["kind"] == "PrometheusRule"]
    assert len(rules) == 1
    return rules[0]["spec"]["groups"]


def check(rule_file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool(), "check", "rules", str(rule_file)], capture_output=True, text=True)


def write_rules(path: Path, groups: list[dict[str, Any]]) -> Path:
    path.write_text(dump_yaml({"groups": groups}))
    return path


def test_chart_and_tooling_render_the_same_rules(checkout: BundleTree) -> None:
    rendered = alerts.groups(checkout, CHART_TARGET, "prod", cluster=True)
    assert chart_groups(checkout) == rendered
    assert [r["alert"] for r in rendered[0]["rules"]] == [a.name for a in alerts.load(checkout)]


def test_the_local_rules_leave_out_only_cluster_alerts(checkout: BundleTree) -> None:
    local = YAML(typ="safe").load((ROOT / "compose" / "alerts.yml").read_text())["groups"][0]["rules"]
    cluster_only = {a.name for a in alerts.load(checkout) if a.needs}
    assert cluster_only == {"LLMGatewayPodRestarts"}
    assert {r["alert"] for r in local} == {a.name for a in alerts.load(checkout)} - cluster_only
    assert all('job="litellm-gateway"' in r["expr"] for r in local)


def _slo_rules(tree: BundleTree, env: str) -> int:
    return sum(len(group["rules"]) for group in slo.rule_groups(tree, env))


def test_promtool_checks_the_chart_and_the_local_rules(checkout: BundleTree, tmp_path: Path) -> None:
    """The threshold alerts and each environment's SLO rules (Sloth's recordings and burn-rate alerts)."""
    for env in ("staging", "prod"):
        assert _slo_rules(checkout, env) > 0
        result = check(write_rules(tmp_path / f"{env}.yml", chart_groups(checkout, env)))
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"SUCCESS: {5 + _slo_rules(checkout, env)} rules found" in result.stdout
    result = check(ROOT / "compose" / "alerts.yml")
    expected = f"SUCCESS: {4 + _slo_rules(checkout, 'dev')} rules found"
    assert result.returncode == 0 and expected in result.stdout, result.stdout + result.stderr


def test_promtool_check_refuses_a_broken_expression(checkout: BundleTree, tmp_path: Path) -> None:
    groups = copy.deepcopy(chart_groups(checkout))
    groups[0]["rules"][0]["expr"] = groups[0]["rules"][0]["expr"].replace("sum(rate(", "sum(rat(", 1)
    result = check(write_rules(tmp_path / "broken.yml", groups))
    assert result.returncode != 0 and "rat" in result.stdout + result.stderr


def _cases_with_annotations(groups: list[dict[str, Any]], rule_file: str) -> dict[str, Any]:
    """The promtool test file: rule_files filled in, each expected alert's annotations from its rule."""
    annotations = {r["alert"]: r["annotations"] for r in groups[0]["rules"]}
    cases = YAML(typ="safe").load(CASES.read_text())
    cases["rule_files"] = [rule_file]
    for test in cases["tests"]:
        for item in test["alert_rule_test"]:
            for expected in item["exp_alerts"]:
                expected["exp_annotations"] = annotations[item["alertname"]]
    return cases


def test_promtool_unit_tests_of_every_alert(checkout: BundleTree, tmp_path: Path) -> None:
    groups = chart_groups(checkout)[:1]  # the threshold alerts (the SLO rules: tests/unit/test_slo.py)
    write_rules(tmp_path / "rules.yml", groups)
    (tmp_path / "tests.yml").write_text(dump_yaml(_cases_with_annotations(groups, "rules.yml")))
    result = subprocess.run([promtool(), "test", "rules", "tests.yml"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_unit_tests_fail_when_an_alert_stops_firing(checkout: BundleTree, tmp_path: Path) -> None:
    """The unit tests can fail: with the error-rate threshold at 50% the 10% case no longer fires."""
    groups = alerts.groups(
        checkout,
        CHART_TARGET,
        "prod",
        cluster=True,
        thresholds={**alerts.chart_thresholds(checkout), "errorRatePercent": 50},
    )
    write_rules(tmp_path / "rules.yml", groups[:1])
    (tmp_path / "tests.yml").write_text(dump_yaml(_cases_with_annotations(chart_groups(checkout), "rules.yml")))
    result = subprocess.run([promtool(), "test", "rules", "tests.yml"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode != 0
    assert "LLMGatewayHighErrorRate" in result.stdout + result.stderr


def test_every_alert_has_cases_that_fire_stay_quiet_and_resolve(checkout: BundleTree) -> None:
    cases = YAML(typ="safe").load(CASES.read_text())["tests"]
    for alert in alerts.load(checkout):
        timelines = [
            [
                (item["eval_time"], bool(item["exp_alerts"]))
                for item in t["alert_rule_test"]
                if item["alertname"] == alert.name
            ]
            for t in cases
        ]
        timelines = [sorted(t, key=lambda e: _minutes(e[0])) for t in timelines if t]
        fires_then_resolves = any(
            any(f for _, f in t) and not t[-1][1] and t.index(next(e for e in t if e[1])) < len(t) - 1
            for t in timelines
        )
        quiet = any(not any(f for _, f in t) for t in timelines)
        assert fires_then_resolves, f"{alert.name}: no case where it fires and then resolves"
        assert quiet, f"{alert.name}: no case where it must not fire"
        if alert.duration:
            pending = any(not t[0][1] and any(f for _, f in t) for t in timelines)
            assert pending, f"{alert.name}: no case showing it waits for `for: {alert.duration}` before firing"


def _minutes(text: str) -> int:
    return int(text.removesuffix("m"))


def test_compose_prometheus_loads_the_rules_and_grafana_the_chart_dashboards() -> None:
    compose = YAML(typ="safe").load((ROOT / "compose" / "compose.yaml").read_text())["services"]
    config = YAML(typ="safe").load((ROOT / "compose" / "prometheus.yml").read_text())
    assert compose["prometheus"]["image"] == prometheus_config.IMAGE == f"prom/prometheus:v{prometheus_config.VERSION}"
    assert "./alerts.yml:/etc/prometheus/alerts.yml:ro" in compose["prometheus"]["volumes"]
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    job = config["scrape_configs"][0]
    assert (
        job["job_name"] == alerts.LOCAL_JOB
        and job["metrics_path"] == "/metrics/"
        and job["static_configs"][0]["targets"] == ["litellm:4000"]
    )
    mounts = compose["grafana"]["volumes"]
    assert "../helm/litellm-gateway/files/dashboards:/etc/grafana/dashboards:ro" in mounts
    provider = YAML(typ="safe").load((ROOT / "compose" / "grafana" / "dashboards.yml").read_text())["providers"][0]
    assert provider["options"]["path"] == "/etc/grafana/dashboards"


def test_the_native_prometheus_is_the_version_compose_runs() -> None:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip("prometheus is not installed (apt-get install prometheus)")
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    assert version.startswith(f"prometheus, version {prometheus_config.VERSION}"), version
