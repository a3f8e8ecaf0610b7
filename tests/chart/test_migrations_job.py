from __future__ import annotations

from .conftest import Render, find, kinds


def test_migrations_job_is_a_pre_upgrade_hook_that_waits_for_the_db(render: Render) -> None:
    job = find(render("prod"), "Job", "-migrations")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    script = job["spec"]["template"]["spec"]["containers"][0]["args"][0]
    assert "FATAL: database" in script and "sys.exit(1)" in script
    assert "prisma_migration.py" in script
    assert job["spec"]["backoffLimit"] <= 2


def test_no_job_without_database(render: Render) -> None:
    assert "Job" not in kinds(render("dev"))
