"""LiteLLM's database features for real: a private PostgreSQL, the migrations run the way the chart's
Job runs them, and the pinned proxy on top with the Prisma engines.

One proxy (db_stack) serves every test of the group that only needs a database-backed proxy: dev's
rendering plus the MCP servers of tests/database/test_mcp.py (each proxy start costs ~15 s of CPU). Test
modules start a proxy of their own only for a configuration of their own (test_database_outage.py)."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from litellm_bundle.build.generate import render_one
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.core.yamlio import dump_yaml
from litellm_bundle.policy.policies import Policies
from litellm_bundle.runtime import launch, localenv, migration_job, migrations_traffic, postgres, processes
from tests.helpers import ROOT, checkout_tree, validate_root
from tests.integration.conftest import Stack, running_proxy
from tests.mcp_server import MCP_PATH

TOOLS = ROOT / ".tools"
PRICED = migrations_traffic.PRICED  # a model group with a price per token, so that spend and budgets move
MCP_SERVERS = ("calc", "notes")  # two processes of tests/mcp_server.py, each answering with its own name


def _litellm_package() -> Path:
    """The pinned LiteLLM's package directory, found without importing it (an import costs seconds)."""
    spec = importlib.util.find_spec("litellm")
    assert spec is not None and spec.origin is not None, "LiteLLM is not installed in this environment"
    return Path(spec.origin).resolve().parent


def _migrate_like_the_chart_job(server: postgres.Postgres) -> str:
    """The chart Job's command (`python litellm/proxy/prisma_migration.py` from the package directory, on a
    read-only root: migration_job.job_command) with the Job's environment."""
    venv = Path(sys.prefix)
    migrated = subprocess.run(
        migration_job.job_command(venv),
        cwd=migration_job.site_packages(venv),
        env=migration_job.job_env(venv, server.url(), postgres.prisma_env(TOOLS)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrated.returncode == 0, migrated.stdout[-2000:] + migrated.stderr[-2000:]
    output = migrated.stdout + migrated.stderr
    assert any(done in output for done in migration_job.JOB_DONE), output[-2000:]
    return output


def _template_key() -> str:
    """Migrated clusters depend on LiteLLM's schema and migrations: the pinned version."""
    schema = _litellm_package() / "proxy" / "schema.prisma"
    return f"{checkout_tree().pinned_version()}-{hashlib.sha256(schema.read_bytes()).hexdigest()[:12]}"


def _server_owned_copy(source: Path, dest: Path) -> None:
    shutil.copytree(source, dest, symlinks=True)
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", "postgres:postgres", str(dest)], check=True)


@contextlib.contextmanager
def migrated_cluster() -> Iterator[postgres.Postgres]:
    """A PostgreSQL cluster of its own on a free port (outside pytest's 0700 temp root: the server may
    run as the `postgres` user) with LiteLLM's migrations applied by `python litellm/proxy/prisma_migration.py`,
    as the chart's Job applies them. The migrated cluster is kept in .tools/ (per LiteLLM version), so the
    Job runs on a fresh checkout (CI) and when the pin changes, not on every warm run (it takes ~45 s);
    each cluster is a copy of it (51 MB, a fraction of a second)."""
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


@pytest.fixture(scope="session")
def database() -> Iterator[postgres.Postgres]:
    """The group's cluster (migrated_cluster), under db_stack."""
    with migrated_cluster() as server:
        yield server


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
    dest: Path,
    fake_provider: str,
    database: postgres.Postgres,
    redis_port: int | None,
    rendered: Mapping[str, str] | None = None,
) -> tuple[Path, dict[str, str]]:
    """dev's rendered files (`rendered`, else as committed) staged in `dest` with the database
    (database_config) and, given its port, a local Redis: the config file and the proxy's secrets. The
    proxy starts as the chart's serving pods do once the Job owns the migrations (from the first upgrade
    on, helm/litellm-gateway/templates/schema-updates-configmap.yaml): it never migrates; the Job's
    command migrated the cluster (`database`)."""
    secrets = {
        **localenv.local_secrets(fake_provider, redis_port),
        "DATABASE_URL": database.url(),
        migration_job.SCHEMA_UPDATE_SWITCH: "true",
        **postgres.prisma_env(TOOLS),
    }
    tree = checkout_tree()
    staged = launch.stage_files(
        tree,
        rendered if rendered is not None else launch.committed_files(tree, "dev"),
        dest,
        secrets,
        Policies(tree).env_ref,
        with_redis=redis_port is not None,
    )
    database_config(staged.config)
    return staged.config, secrets


def mcp_section(upstreams: Mapping[str, str]) -> str:
    """The `mcp_servers` section a team writes in config/litellm.yaml (LiteLLM's own key names)."""
    lines = ["", "# the team's MCP servers, behind the gateway's /mcp endpoint", "mcp_servers:"]
    for name, url in upstreams.items():
        lines += [f"  {name}:", f"    url: {url}", "    transport: http", f"    description: the {name} tools"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="session")
def mcp_upstreams(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """name -> URL of each MCP server (tests/mcp_server.py), started on a free loopback port."""
    logs = tmp_path_factory.mktemp("mcp")
    procs, urls = [], {}
    try:
        for name in MCP_SERVERS:
            port = processes.free_port()
            log = logs / f"{name}.log"
            proc = processes.spawn(
                [sys.executable, str(ROOT / "tests" / "mcp_server.py"), "--port", str(port), "--name", name], log
            )
            procs.append(proc)
            processes.wait_port(port, 30, proc, log)
            urls[name] = f"http://127.0.0.1:{port}{MCP_PATH}"
        yield urls
    finally:
        for proc in procs:
            processes.stop(proc)


@pytest.fixture(scope="session")
def dev_with_mcp(tmp_path_factory: pytest.TempPathFactory, mcp_upstreams: dict[str, str]) -> dict[str, str]:
    """The shipped sources with the MCP servers added to config/litellm.yaml, validated and rendered
    for dev by the bundle (name -> text of the rendered files)."""
    config_dir = tmp_path_factory.mktemp("mcp-bundle") / "config"
    shutil.copytree(ROOT / "config", config_dir)
    with (config_dir / "litellm.yaml").open("a", encoding="utf-8") as out:
        out.write(mcp_section(mcp_upstreams))
    _, problems = validate_root(config_dir=config_dir)
    assert not problems, "\n".join(map(str, problems))
    return render_one(BundleTree.at(ROOT, config_dir=config_dir), "dev")


@pytest.fixture(scope="session")
def db_stack(
    tmp_path_factory: pytest.TempPathFactory,
    fake_provider: str,
    database: postgres.Postgres,
    dev_with_mcp: dict[str, str],
) -> Iterator[Stack]:
    """The group's shared proxy: dev as rendered with the MCP servers, on the database."""
    config, secrets = staged_with_database(
        tmp_path_factory.mktemp("db-proxy"), fake_provider, database, None, dev_with_mcp
    )
    with running_proxy(config, secrets, fake_provider) as stack:
        yield stack
