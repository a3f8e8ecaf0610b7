"""LiteLLM's database features for real: a private PostgreSQL, the migrations run the way the chart's
Job runs them, and the pinned proxy on top with the Prisma engines.

One proxy (db_stack) serves every test of the group that only needs a database-backed proxy: dev's
rendering plus the MCP servers of tests/database/test_mcp.py (each proxy start costs ~15 s of CPU). Test
modules start a proxy of their own only for a configuration of their own (test_database_outage.py). The
shared processes are package fixtures: they stop when the group's last test ends (its tests run one after
the other in one xdist worker, tests/conftest.py), not at the session's end, idle while the rest runs."""

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

import httpx
import pytest
from ruamel.yaml import YAML

from litellm_bundle.build.generate import render_one
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.core.yamlio import dump_yaml
from litellm_bundle.policy.policies import Policies
from litellm_bundle.runtime import launch, localenv, migration_job, migrations_traffic, postgres, processes, sandbox
from tests.helpers import ROOT, checkout_tree, validate_root
from tests.integration.conftest import Stack, chart_pod, running_proxy
from tests.mcp_server import MCP_PATH

TOOLS = ROOT / ".tools"
PRICED = migrations_traffic.PRICED  # a model group with a price per token, so that spend and budgets move
MCP_SERVERS = ("calc", "notes")  # two processes of tests/mcp_server.py, each answering with its own name
METERED = "metered"  # a model access group (model_info.access_groups) holding the priced group only
RESET_JOB_SECONDS = 2  # LiteLLM's budget reset job interval on db_stack (general_settings.proxy_budget_rescheduler_*)


def _litellm_package() -> Path:
    """The pinned LiteLLM's package directory, found without importing it (an import costs seconds)."""
    spec = importlib.util.find_spec("litellm")
    assert spec is not None and spec.origin is not None, "LiteLLM is not installed in this environment"
    return Path(spec.origin).resolve().parent


def _migrate_like_the_chart_job(server: postgres.Postgres, work: Path) -> str:
    """The chart Job's command (`python litellm/proxy/prisma_migration.py` from the package directory) in the
    pod sandbox of prod's migrations Job (migration_job.job_command; its emptyDirs under `work`) with the
    Job's environment; a write refused outside its emptyDirs fails it, with the path named."""
    venv = Path(sys.prefix)
    job = chart_pod("migrations")
    migrated = subprocess.run(
        migration_job.job_command(venv, job, work / "job-pod", visible=[ROOT]),
        cwd=migration_job.site_packages(venv),
        env=migration_job.job_env(venv, server.url(), postgres.prisma_env(TOOLS), job),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrated.returncode == 0, migrated.stdout[-2000:] + migrated.stderr[-2000:]
    output = migrated.stdout + migrated.stderr
    assert any(done in output for done in migration_job.JOB_DONE), output[-2000:]
    (work / "migrations.log").write_text(output)
    outside = sandbox.writes_outside(output, job)
    assert not outside, "\n".join(outside)
    return output


ENV_FILE_SINK = "env-file:"  # gateway_access's key sink that writes a file (the pod's is the Kubernetes Secret)


def run_in_access_pod(argv: list[str], environ: dict[str, str], work: Path) -> subprocess.CompletedProcess[str]:
    """`argv` (`python -m gateway_access ...`) in the pod sandbox of prod's access Job (its emptyDirs under
    `work`), the hooks directory standing for its configMap mount (PYTHONPATH kept), the checkout, the venv
    and `work` visible read-only. An env-file key sink (the test's stand-in for the Job's Secret) is
    written in the pod's /tmp emptyDir and copied back to where the test reads it. A write refused outside
    the pod's emptyDirs fails the run, with the path named."""
    job = chart_pod("access")
    scratch, sinks, inside = work / "access-pod", {}, []
    for arg in argv:
        if arg.startswith(ENV_FILE_SINK):
            host = Path(arg.removeprefix(ENV_FILE_SINK))
            sinks[host] = f"/tmp/{len(sinks)}-{host.name}"
            arg = ENV_FILE_SINK + sinks[host]
        inside.append(arg)
    visible = [ROOT, Path(sys.prefix), work, *(Path(p) for p in environ.get("PYTHONPATH", "").split(os.pathsep) if p)]
    command = sandbox.pod_command(inside, job, scratch, visible=visible)
    tmp = sandbox.host_dir(scratch, "/tmp")
    for host, path in sinks.items():
        if host.exists():
            shutil.copy2(host, tmp / Path(path).name)
    done = subprocess.run(
        command, capture_output=True, text=True, env=job.environment(environ, keep=("PYTHONPATH",)), timeout=120
    )
    for host, path in sinks.items():
        if (tmp / Path(path).name).exists():
            shutil.copy2(tmp / Path(path).name, host)
    outside = sandbox.writes_outside(done.stdout + done.stderr, job)
    assert not outside, "\n".join(outside)
    return done


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
                _migrate_like_the_chart_job(server, base)
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


@pytest.fixture(scope="package")
def database() -> Iterator[postgres.Postgres]:
    """The group's cluster (migrated_cluster), under db_stack."""
    with migrated_cluster() as server:
        yield server


def database_config(staged: Path) -> None:
    """The staged dev config with the database and /metrics behind a key (as staging and prod render them),
    spend written every second, budgets reset every RESET_JOB_SECONDS, requests on cached keys allowed while
    the database is down, and a priced group in the access group METERED."""
    config = YAML(typ="safe").load(staged.read_text())
    config["general_settings"].update(
        {
            "database_url": "os.environ/DATABASE_URL",
            "proxy_batch_write_at": 1,
            "allow_requests_on_db_unavailable": True,
            "database_connection_pool_limit": 5,
            # LiteLLM's budget reset job every 2 s (default about 600 s), so a short budget_duration is seen to
            # reset (tests/database/test_access_budgets.py); it only resets what is due
            "proxy_budget_rescheduler_min_time": RESET_JOB_SECONDS,
            "proxy_budget_rescheduler_max_time": RESET_JOB_SECONDS,
        }
    )
    config["litellm_settings"]["require_auth_for_metrics_endpoint"] = True  # as staging and prod render it
    config["model_list"].append(
        {**migrations_traffic.priced_deployment(), "model_info": {"id": "fake-priced-dep", "access_groups": [METERED]}}
    )
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


@pytest.fixture(scope="package")
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


@pytest.fixture(scope="package")
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


@pytest.fixture(scope="package")
def db_stack(
    tmp_path_factory: pytest.TempPathFactory,
    fake_provider: str,
    database: postgres.Postgres,
    dev_with_mcp: dict[str, str],
) -> Iterator[Stack]:
    """The group's shared proxy: dev as rendered with the MCP servers, on the database, in the pod sandbox
    of prod's Deployment (its uid, read-only root and emptyDirs, its literal environment: the rendered
    manifests of the environment with a database, two workers and the multiprocess metrics directory)."""
    config, secrets = staged_with_database(
        tmp_path_factory.mktemp("db-proxy"), fake_provider, database, None, dev_with_mcp
    )
    with running_proxy(config, secrets, fake_provider, pod=chart_pod("proxy")) as stack:
        yield stack


def burst_until_429(stack: Stack, key: str, text: str = "hi", most: int = 6) -> list[int]:
    """Statuses of chat requests with `key`, one after another, until a 429 or `most` of them (a limit of
    the key or its team binds within LiteLLM's window wherever the window ends: no waiting for one)."""
    statuses: list[int] = []
    while len(statuses) < most and 429 not in statuses:
        response = httpx.post(
            f"{stack.url}/v1/chat/completions",
            headers={"Authorization": f"Bearer {key}"},
            json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]},
            timeout=60,
        )
        statuses.append(response.status_code)
    return statuses
