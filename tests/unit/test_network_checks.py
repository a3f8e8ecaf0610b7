"""Where the gateway's traffic goes (litellm_bundle/model/egress.py) and what validation says about it
(checks/network.py: egress-blocked, egress-port-unknown, egress-declaration-unused), and prod's image
digest (policies/environments/prod.policy.json: image-digest)."""

from __future__ import annotations

from pathlib import Path

import pytest

from litellm_bundle.core.problems import Problem
from litellm_bundle.model import egress
from tests.unit.test_validate_checks import line_of, problems_of
from tests.unit.test_validate_checks import replace as edit

PROD = "config/environments/prod.yaml"


def append(root: Path, file: str, text: str) -> None:
    path = root / file
    path.write_text(path.read_text() + text)


def where(problem: Problem) -> tuple[str, int, str, str]:
    return problem.location.file, problem.location.line, problem.check, problem.severity


@pytest.mark.parametrize(
    ("address", "kind", "port", "namespace"),
    [
        ("http://ollama.inference.svc.cluster.local:11434", "service", 11434, "inference"),
        ("http://vllm.inference.svc:8000/v1", "service", 8000, "inference"),
        ("http://fake-provider:8090/v1", "service", 8090, None),  # a Service of the release's namespace
        ("https://api.openai.com/v1", "public", 443, None),
        ("http://models.example.com", "public", 80, None),
        ("http://host.docker.internal:11434", "private", 11434, None),
        ("http://10.20.30.40:8080", "ip", 8080, None),
        ("https://[2001:db8::1]/v1", "ip", 443, None),
        ("http://localhost:4000", "loopback", 4000, None),
        ("http://0.0.0.0:4317", "loopback", 4317, None),
        ("http://169.254.169.254/latest", "never", 80, None),
        ("postgresql://pg.data.svc:6432/litellm", "service", 6432, "data"),
        ("redis-master.data.svc.cluster.local", "service", None, "data"),
        ("otel-collector.monitoring.svc:4317", "service", 4317, "monitoring"),
        ("grpc://collector.example.com", "public", None, None),  # a scheme without a default port
    ],
)
def test_addresses_are_classified_by_their_host(address: str, kind: str, port: int | None, namespace: str) -> None:
    parsed = egress.parse(address)
    assert parsed is not None
    target, _ = parsed
    assert (target.kind, target.port, target.namespace) == (kind, port, namespace)


@pytest.mark.parametrize("text", ["https://<gateway-id>.example.com/mcp", "not an address", "a/b", "http://:80"])
def test_what_is_no_address_is_left_alone(text: str) -> None:
    assert egress.parse(text) is None


def test_a_link_local_api_base_is_an_error_where_it_is_written(repo_copy: Path) -> None:
    models = "config/models.yaml"
    edit(
        repo_copy,
        models,
        "    deployments:\n",
        "    deployments:\n      - id: metadata\n        environments: [staging]\n        provider: hosted_vllm\n"
        "        model: x\n        api_base: http://169.254.169.254/v1\n",
    )
    [problem] = problems_of(repo_copy)
    assert where(problem) == (models, line_of(repo_copy, models, "169.254.169.254"), "egress-blocked", "error")
    assert problem.env == "staging" and "link-local" in problem.message
    assert "deployment 'metadata' api_base http://169.254.169.254:80" in problem.message


def test_a_declared_address_is_checked_at_its_declaration(repo_copy: Path) -> None:
    append(repo_copy, PROD, "network:\n  egress:\n    AZURE_API_BASE: https://[fe80::1]:8443\n")
    [problem] = problems_of(repo_copy)
    assert where(problem) == (PROD, line_of(repo_copy, PROD, "AZURE_API_BASE:"), "egress-blocked", "error")
    assert problem.env == "prod" and "deployment 'gpt-4o-azure' api_base" in problem.message


def test_an_address_without_a_port_is_a_warning(repo_copy: Path) -> None:
    litellm = "config/litellm.yaml"
    edit(
        repo_copy,
        litellm,
        "litellm_settings:\n",
        "environment_variables:\n  DD_AGENT_HOST: datadog-agent.monitoring.svc\n  LANGFUSE_HOST: "
        "https://cloud.langfuse.com\n  OTEL_HOST: otel.monitoring.svc\n  OTEL_PORT: '4317'\nlitellm_settings:\n",
    )
    problems = problems_of(repo_copy)
    assert {where(p) for p in problems} == {
        (litellm, line_of(repo_copy, litellm, "DD_AGENT_HOST"), "egress-port-unknown", "warning")
    }, "a host with a sibling port, and a URL, say their port"
    assert "environment_variables.DD_AGENT_HOST datadog-agent.monitoring.svc names no port" in problems[0].message


def test_a_declaration_no_address_reads_is_a_warning(repo_copy: Path) -> None:
    append(repo_copy, PROD, "network:\n  egress:\n    OPENAI_API_KEY: https://api.openai.com\n")
    [problem] = problems_of(repo_copy)
    assert where(problem) == (PROD, line_of(repo_copy, PROD, "OPENAI_API_KEY:"), "egress-declaration-unused", "warning")


def test_a_declaration_never_holds_credentials(repo_copy: Path) -> None:
    append(repo_copy, PROD, "network:\n  egress:\n    DATABASE_URL: postgresql://pg.data.svc:5432/litellm?x=@\n")
    assert {p.check for p in problems_of(repo_copy)} == {"schema"}


def test_prod_pins_the_image_digest_or_says_why_not(repo_copy: Path) -> None:
    reason_line = line_of(repo_copy, PROD, "tag_only_reason")
    text = (repo_copy / PROD).read_text().splitlines(keepends=True)
    del text[reason_line - 1 : reason_line + 2]  # the reason, folded over three lines
    (repo_copy / PROD).write_text("".join(text))
    [problem] = problems_of(repo_copy)
    assert (problem.check, problem.env, problem.location.file) == ("image-digest", "prod", PROD)
    assert "prod must pin the image's digest" in problem.message
    edit(
        repo_copy,
        PROD,
        "  repository: ghcr.io/berriai/litellm-database\n",
        "  repository: ghcr.io/berriai/litellm-database\n  digest: sha256:" + "ab" * 32 + "\n",
    )
    assert problems_of(repo_copy) == []
    # a digest and a stale reason together
    edit(
        repo_copy,
        PROD,
        "  digest: sha256:",
        "  tag_only_reason: no digest is known here yet, really\n  digest: sha256:",
    )
    assert [p.check for p in problems_of(repo_copy)] == ["schema"]
