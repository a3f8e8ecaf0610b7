from __future__ import annotations

from litellm_bundle.render import alerts
from tests.helpers import checkout_tree

from .conftest import Render, find, kinds


def test_prod_ingress_with_tls(render: Render) -> None:
    ingress = find(render("prod"), "Ingress")["spec"]
    assert ingress["tls"][0]["secretName"] == "llm-gateway-tls"
    assert ingress["rules"][0]["host"] == "llm-gateway.prod.example.internal"


def test_service_monitor_scrapes_metrics_path(render: Render) -> None:
    monitor = find(render("prod"), "ServiceMonitor")["spec"]
    assert monitor["endpoints"][0]["path"] == "/metrics/"
    assert "ServiceMonitor" not in kinds(render("dev"))


def test_prometheus_rule_alerts(render: Render) -> None:
    rules = find(render("prod"), "PrometheusRule")["spec"]["groups"][0]["rules"]
    assert [r["alert"] for r in rules] == [a.name for a in alerts.load(checkout_tree())]
    assert {r["alert"] for r in rules} >= {
        "LLMGatewayHighErrorRate",
        "LLMGatewayRateLimited",
        "LLMGatewayHighLatencyP95",
        "LLMGatewayPodRestarts",
    }
    assert all(r["labels"]["environment"] == "prod" for r in rules)
    # the release's own scrape job and namespace, never another app's
    assert all(
        'job="litellm-gateway",namespace="llm-gateway"' in r["expr"]
        for r in rules
        if r["alert"] != "LLMGatewayPodRestarts"
    )
