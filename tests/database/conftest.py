"""LiteLLM's database features for real: a private PostgreSQL, the migrations run the way the chart's
Job runs them, and the pinned proxy on top with the Prisma engines."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from litellm_bundle.core.yamlio import dump_yaml
from litellm_bundle.policy.policies import Policies
from litellm_bundle.runtime import launch, localenv, migrations_traffic, postgres, processes
from tests.helpers import ROOT, checkout_tree
from tests.integration.conftest import Stack, running_proxy

TOOLS = ROOT / ".tools"
PRICED = migrations_traffic.PRICED  # a model group with a price per token, so that spend and budgets move


def _migrate_like_the_chart_job(server: postgres.Postgres) -> str:
    """`python litellm/proxy/prisma_migration.py` from the package directory, the chart Job's command."""
    import litellm

    site = Path(litellm.__file__).resolve().parent.parent
    env = {
        **os.environ,
        **postgres.prisma_env(TOOLS),
        "DATABASE_URL": server.url(),
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    migrated = subprocess.run(
        [sys.executable, "litellm/proxy/prisma_migration.py"],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrated.returncode == 0, migrated.stdout[-2000:] + migrated.stderr[-2000:]
    assert (
        "All migrations have been successfully applied" in migrated.stdout + migrated.stderr
        or "No pending migrations" in migrated.stdout + migrated.stderr
    )
    return migrated.stdout + migrated.stderr


def _template_key() -> str:
    """Migrated clusters depend on LiteLLM's schema and migrations: the pinned version."""
    import litellm

    schema = Path(litellm.__file__).resolve().parent / "proxy" / "schema.prisma"
    return f"{checkout_tree().pinned_version()}-{hashlib.sha256(schema.read_bytes()).hexdigest()[:12]}"


def _server_owned_copy(source: Path, dest: Path) -> None:
    shutil.copytree(source, dest, symlinks=True)
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", "postgres:postgres", str(dest)], check=True)


@pytest.fixture(scope="session")
def database() -> Iterator[postgres.Postgres]:
    """A PostgreSQL cluster of its own on a free port (outside pytest's 0700 temp root: the server may
    run as the `postgres` user) with LiteLLM's migrations applied by `python litellm/proxy/prisma_migration.py`,
    as the chart's Job applies them. The migrated cluster is kept in .tools/ (per LiteLLM version), so the
    Job runs on a fresh checkout (CI) and when the pin changes, not on every warm run (it takes ~45 s)."""
    base = Path(tempfile.mkdtemp(prefix="gateway-pg-"))
    base.chmod(0o755)
    template = TOOLS / "postgres-template" / _template_key()
    try:
        if not (template / "data").is_dir():
            password = postgres.initialise(base / "data")
            server = postgres.start(base / "data", processes.free_port(), password)
            try:
                (base / "migrations.log").write_text(_migrate_like_the_chart_job(server))
            finally:
                postgres.stop(server)
            staging = template.with_name(template.name + ".tmp")
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            shutil.copytree(base / "data", staging / "data", symlinks=True)
            (staging / "password").write_text(password)
            shutil.copy(base / "migrations.log", staging / "migrations.log")
            shutil.rmtree(template, ignore_errors=True)
            staging.rename(template)
            shutil.rmtree(base / "data")
        _server_owned_copy(template / "data", base / "data")
        server = postgres.start(base / "data", processes.free_port(), (template / "password").read_text())
        try:
            yield server
        finally:
            postgres.stop(server)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def database_config(staged: Path) -> None:
    """The staged dev config with the database and /metrics behind a key (as staging and prod render them),
    spend written every second, requests on cached keys allowed while the database is down, and a priced group."""
    config = YAML(typ="safe").load(staged.read_text())
    config["general_settings"].update(
        {
            "database_url": "os.environ/DATABASE_URL",
            "proxy_batch_write_at": 1,
            "allow_requests_on_db_unavailable": True,
            "database_connection_pool_limit": 5,
        }
    )
    config["litellm_settings"]["require_auth_for_metrics_endpoint"] = True  # as staging and prod render it
    config["model_list"].append({**migrations_traffic.priced_deployment(), "model_info": {"id": "fake-priced-dep"}})
    staged.write_text(dump_yaml(config))


def staged_with_database(
    dest: Path, fake_provider: str, database: postgres.Postgres, redis_port: int | None
) -> tuple[Path, dict[str, str]]:
    """dev's rendered config staged in `dest` with the database (database_config) and, given its port, a
    local Redis: the config file and the proxy's secrets."""
    secrets = {
        **localenv.local_secrets(fake_provider, redis_port),
        "DATABASE_URL": database.url(),
        **postgres.prisma_env(TOOLS),
    }
    tree = checkout_tree()
    staged = launch.stage_files(
        tree,
        launch.committed_files(tree, "dev"),
        dest,
        secrets,
        Policies(tree).env_ref,
        with_redis=redis_port is not None,
    )
    database_config(staged.config)
    return staged.config, secrets


@pytest.fixture(scope="session")
def db_stack(
    tmp_path_factory: pytest.TempPathFactory, fake_provider: str, database: postgres.Postgres
) -> Iterator[Stack]:
    config, secrets = staged_with_database(tmp_path_factory.mktemp("db-proxy"), fake_provider, database, None)
    with running_proxy(config, secrets, fake_provider) as stack:
        yield stack
