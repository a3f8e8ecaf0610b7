from __future__ import annotations

from .conftest import CI_BASE, Render, find, kinds


def test_prod_has_default_deny_network_policy_with_needed_openings(render: Render) -> None:
    policy = find(render("prod"), "NetworkPolicy", "litellm-gateway")["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    sources = [
        f["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        for rule in policy["ingress"]
        for f in rule.get("from", [])
        if "namespaceSelector" in f
    ]
    assert "ingress-nginx" in sources and "monitoring" in sources
    egress_ports = {p["port"] for rule in policy["egress"] for p in rule["ports"]}
    assert {53, 6379, 5432, 443} <= egress_ports
    https = next(rule for rule in policy["egress"] if rule["ports"][0]["port"] == 443)
    assert "10.0.0.0/8" in https["to"][0]["ipBlock"]["except"]


def test_without_database_only_redis_opens(render: Render) -> None:
    policy = find(render("dev", CI_BASE), "NetworkPolicy", "litellm-gateway")["spec"]
    ports = {p["port"] for rule in policy["egress"] for p in rule["ports"]}
    assert 6379 in ports and 5432 not in ports


def test_can_be_disabled(render: Render) -> None:
    assert "NetworkPolicy" not in kinds(render("prod", sets=["networkPolicy.enabled=false"]))


def test_migrations_pods_reach_only_dns_and_the_database(render: Render) -> None:
    docs = render("prod")
    policy = find(docs, "NetworkPolicy", "-migrations")["spec"]
    job_labels = find(docs, "Job", "-migrations")["spec"]["template"]["metadata"]["labels"]
    assert policy["podSelector"]["matchLabels"].items() <= job_labels.items()
    assert policy["policyTypes"] == ["Ingress", "Egress"] and "ingress" not in policy
    assert {p["port"] for rule in policy["egress"] for p in rule["ports"]} == {53, 5432}
    assert "NetworkPolicy" not in kinds(render("staging", sets=["networkPolicy.enabled=false"]))
