from __future__ import annotations

from .conftest import Render, find, kinds


def test_migrations_job_is_a_pre_upgrade_hook_that_waits_for_the_db(render: Render) -> None:
    job = find(render("prod"), "Job", "-migrations")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-upgrade"
    script = job["spec"]["template"]["spec"]["containers"][0]["args"][0]
    assert "FATAL: database" in script and "sys.exit(1)" in script
    assert "prisma_migration.py" in script
    assert job["spec"]["backoffLimit"] <= 2
    assert job["spec"]["ttlSecondsAfterFinished"] > 0


def test_migrations_job_reads_only_the_database_url(render: Render) -> None:
    job = find(render("prod"), "Job", "-migrations")
    env = job["spec"]["template"]["spec"]["containers"][0]["env"]
    assert [e["name"] for e in env] == ["DATABASE_URL"]
    assert env[0]["valueFrom"]["secretKeyRef"]["name"] == "litellm-gateway-vault-backend"


def test_only_gateway_pods_are_selected_by_service_pdb_and_network_policy(render: Render) -> None:
    docs = render("prod")
    selectors = [find(docs, "Service")["spec"]["selector"], find(docs, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"],
                 find(docs, "NetworkPolicy", "litellm-gateway")["spec"]["podSelector"]["matchLabels"]]
    gateway = find(docs, "Deployment")["spec"]["template"]["metadata"]["labels"]
    others = [find(docs, "Job", "-migrations")["spec"]["template"]["metadata"]["labels"], find(docs, "Pod", "-test")["metadata"]["labels"]]
    for selector in selectors:
        assert selector.items() <= gateway.items()
        for labels in others:
            assert not selector.items() <= labels.items(), (selector, labels)


def test_no_job_without_database(render: Render) -> None:
    assert "Job" not in kinds(render("dev"))
