from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

from litellm_bundle.build.generate import render_one
from litellm_bundle.core.facts import NAMESPACE
from litellm_bundle.core.tree import BundleTree
from tests.helpers import committed, copy_tree

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


# --- egress that follows the sources (litellm_bundle/model/egress.py) ---------------------------------


def allows(policy: dict[str, Any], port: int, *, ip: str | None = None, namespace: str | None = None) -> bool:
    """Whether a NetworkPolicy's egress lets a TCP connection through to `port` of an address (`ip`) or of a
    pod in `namespace` (no other pod labels), as Kubernetes reads the rules: any rule, any of its peers."""
    for rule in policy["egress"]:
        if port not in {p["port"] for p in rule["ports"]}:
            continue
        if "to" not in rule:
            return True
        for peer in rule["to"]:
            block = peer.get("ipBlock")
            if block and ip is not None:
                address = ipaddress.ip_address(ip)
                if address in ipaddress.ip_network(block["cidr"]) and not any(
                    address in ipaddress.ip_network(e) for e in block.get("except", [])
                ):
                    return True
            selector = peer.get("namespaceSelector")
            named = (selector or {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
            if (
                selector is not None
                and namespace is not None
                and named == namespace
                and peer.get("podSelector", {}) == {}
            ):
                return True
            if selector is None and peer.get("podSelector") == {} and namespace == NAMESPACE:
                return True
    return False


def _rendered(tree: Path, env: str, tmp_path: Path) -> Path:
    values = tmp_path / f"{env}-values.yaml"
    values.write_text(render_one(BundleTree.at(tree), env)["values.yaml"])
    return values


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"test bug: {old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_egress_follows_every_address_in_the_sources(render: Render, tmp_path: Path) -> None:
    """An in-cluster vLLM, an OTel collector, an http:// api_base, a literal IP, and the addresses prod's
    secret references hold (declared in network.egress) are let through, each to exactly its place;
    Redis and PostgreSQL are narrowed to theirs (also for the migrations Job)."""
    tree = copy_tree(tmp_path / "tree")
    config = tree / "config"
    deployments = "".join(
        f"      - id: {name}\n        environments: [prod]\n        provider: hosted_vllm\n"
        f"        model: {name}\n        api_base: {base}\n"
        for name, base in (
            ("vllm-in-cluster", "http://vllm.inference.svc.cluster.local:8000/v1"),
            ("plain-http", "http://models.example.com/v1"),
            ("by-address", "http://203.0.113.7:9000/v1"),
        )
    )
    _edit(config / "models.yaml", "    deployments:\n", "    deployments:\n" + deployments)
    _edit(
        config / "litellm.yaml",
        "litellm_settings:\n",
        "environment_variables:\n  OTEL_EXPORTER_OTLP_ENDPOINT: http://otel-collector.monitoring.svc:4318\n"
        "litellm_settings:\n",
    )
    (config / "environments" / "prod.yaml").write_text(
        (config / "environments" / "prod.yaml").read_text()
        + "network:\n  egress:\n    AZURE_API_BASE: http://10.20.30.40:8080\n"
        "    REDIS_HOST: redis-master.data.svc.cluster.local\n    REDIS_PORT: 6380\n"
        "    DATABASE_URL: postgresql://10.1.2.3:6432/litellm\n"
    )
    docs = render("prod", _rendered(tree, "prod", tmp_path))
    policy = find(docs, "NetworkPolicy", "litellm-gateway")["spec"]
    assert allows(policy, 8000, namespace="inference") and not allows(policy, 8000, namespace="other")
    assert allows(policy, 4318, namespace="monitoring")
    assert allows(policy, 80, ip="93.184.216.34") and not allows(policy, 80, ip="10.0.0.5"), "http: public only"
    assert allows(policy, 9000, ip="203.0.113.7") and not allows(policy, 9000, ip="203.0.113.8")
    assert allows(policy, 8080, ip="10.20.30.40") and not allows(policy, 8080, ip="10.20.30.41")
    assert allows(policy, 6380, namespace="data") and not allows(policy, 6380, ip="10.9.9.9")
    assert not allows(policy, 6379, namespace="data"), "Redis' port is the declared one"
    assert allows(policy, 443, ip="93.184.216.34") and not allows(policy, 443, ip="169.254.169.254")
    migrations = find(docs, "NetworkPolicy", "-migrations")["spec"]
    for spec in (policy, migrations):
        assert allows(spec, 6432, ip="10.1.2.3") and not allows(spec, 6432, ip="10.1.2.4")
        assert not allows(spec, 5432, ip="10.1.2.3")


def test_dev_reaches_its_declared_in_namespace_services(render: Render) -> None:
    """dev declares where its references point from a cluster (Compose's Service names): the fake
    provider's plain-HTTP port, Redis and PostgreSQL in the release's namespace, and nowhere else."""
    policy = find(render("dev"), "NetworkPolicy", "litellm-gateway")["spec"]
    for port in (8090, 6379, 5432):
        assert allows(policy, port, namespace=NAMESPACE), port
        assert not allows(policy, port, namespace="elsewhere") and not allows(policy, port, ip="10.0.0.9"), port


def test_addresses_the_tooling_cannot_know_are_listed_with_what_is_assumed() -> None:
    notes = committed("prod", "secrets.md").split("## Addresses the NetworkPolicy cannot know", 1)[1]
    assert (
        "`AZURE_API_BASE` (deployment 'gpt-4o-azure' api_base): assumed HTTPS (port 443) to a public address" in notes
    )
    assert "`REDIS_HOST` (Redis): assumed any address on port 6379" in notes
    assert "## Addresses" not in committed("dev", "secrets.md"), "dev declares every address it uses"
