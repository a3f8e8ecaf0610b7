"""Migrations that cannot race, on a private PostgreSQL with the real Prisma engines (docs/decisions.md,
"Migrations"): LiteLLM's switch keeps a proxy from migrating; proxies started at once on an empty database
apply each migration once, through one of them; and an upgrade replayed as the chart runs it
(runtime/migrations.py, the database part of `make upgrade`): the new version's migrations run as the chart's
Job runs them while the old version serves, nothing is lost, the new version serves without migrating, and
the old version's serving on the migrated schema (the rollback case) is reported."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest

from litellm_bundle.core.facts import LIVENESS_PATH, READINESS_PATH
from litellm_bundle.core.wait import wait_until
from litellm_bundle.core.yamlio import dump_yaml
from litellm_bundle.runtime import db_snapshot, localenv, migrations, pod, postgres, processes, sandbox
from litellm_bundle.runtime import migrations_traffic as traffic
from litellm_bundle.runtime.migration_job import (
    GENERATE_REFUSED,
    SCHEMA_UPDATE_SWITCH,
    litellm_version,
    ran_migrations,
    shipped_migrations,
    venv_problems,
)
from litellm_bundle.upgrade import venv as venvs
from tests.helpers import ROOT, checkout_tree

TREE = checkout_tree()
# The upgrade these tests replay (the previous pin and the version the bundle moves to): the pinned one runs
# from .venv, the other from its own venv (BundleTree.litellm_venv), which `make test` creates before the
# tests (from the same file) and these tests create when it is missing.
REPLAYED = Path(__file__).with_name("replayed-upgrade.txt")
UPGRADE_FROM, UPGRADE_TO = next(
    line.split() for line in REPLAYED.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")
)
RACERS = 2  # proxies started at once on an empty database (the pods of a first install): one applies, one waits;
# a third would only add a proxy start (~15 s of CPU) to what the test shows
PRISMA_LOCK = 72707369  # the advisory lock key of Prisma Migrate (litellm-proxy-extras takes the same one)
# what Prisma prints when it applies migrations (streamed, or in the output litellm-proxy-extras logs)
APPLIED = ("Applying migration `", "The following migration(s) have been applied")
AT_THE_LOCK = re.compile(r"Found \d+ migrations at")  # litellm-proxy-extras, right before `prisma migrate deploy`


def litellm_venv(version: str) -> Path:
    """The venv that runs `version`: .venv for the pin, else its own, created when missing or incomplete."""
    path = venvs.current_venv(TREE, version)
    if path == ROOT / ".venv" or (not venv_problems(path) and litellm_version(path) == version):
        return path
    made = venvs.ensure(TREE, version)
    if isinstance(made, venvs.Unresolvable):
        pytest.fail(f"LiteLLM {version}'s venv ({TREE.shown(path)}) cannot be created: {made}")
    assert not venv_problems(made.path), venv_problems(made.path)
    return made.path


def private_dir(prefix: str) -> Path:
    """Outside pytest's 0700 temporary root: the PostgreSQL server may run as the `postgres` user."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


@contextmanager
def empty_database(base: Path) -> Iterator[postgres.Postgres]:
    server = postgres.start(base / "data", processes.free_port(), postgres.initialise(base / "data"))
    try:
        yield server
    finally:
        postgres.stop(server)


@pytest.fixture
def workdir() -> Iterator[Path]:
    path = private_dir("gateway-migrations-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def secrets_for(db: postgres.Postgres, fake_provider: str) -> dict[str, str]:
    return {
        **localenv.local_secrets(fake_provider, None),
        "DATABASE_URL": db.url(),
        **postgres.prisma_env(TREE.tools_dir),
    }


def admin(secrets: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {secrets['LITELLM_MASTER_KEY']}"}


def write_config(workdir: Path) -> Path:
    config = workdir / "config.yaml"
    config.write_text(dump_yaml(traffic.config()), encoding="utf-8")
    return config


# --- the switch and a first install -----------------------------------------------------------------------


@dataclass
class FirstInstall:
    """What the proxies of a first install did: one with the switch on, on an empty database of its own, and
    RACERS with LiteLLM's default, at once on another empty database (started together: each start is ~15 s
    of CPU, and the switched proxy serves while the racers wait at Prisma's lock)."""

    switched_log: Path
    switched_ready: int = 0  # /health/readiness of the switched proxy
    switched_key: int = 0  # /key/generate on the switched proxy
    switched_tables: list[str] = field(default_factory=list)  # in its database once it stopped
    racer_logs: list[Path] = field(default_factory=list)
    racers_served: list[int] = field(default_factory=list)  # a chat with a key of its own, per racer
    ledger: list[db_snapshot.Migration] = field(default_factory=list)  # Prisma's, after the race


@pytest.fixture(scope="module")
def first_install(fake_provider: str) -> Iterator[FirstInstall]:
    work = private_dir("gateway-first-install-")
    config = write_config(work)
    seen = FirstInstall(work / "switched.log")
    try:
        with empty_database(work / "switched") as plain, empty_database(work / "race") as db, ExitStack() as stack:
            plain_secrets = secrets_for(plain, fake_provider)
            switched, plain_url = migrations.start_proxy(
                ROOT / ".venv", config, plain_secrets, seen.switched_log, migrate=False
            )
            stack.callback(processes.stop, switched)
            secrets = secrets_for(db, fake_provider)
            holder = stack.enter_context(psycopg.connect(db.url(), autocommit=True))
            holder.execute("SELECT pg_advisory_lock(%s)", (PRISMA_LOCK,))
            started = []
            for n in range(RACERS):
                seen.racer_logs.append(work / f"proxy-{n}.log")
                proc, url = migrations.start_proxy(ROOT / ".venv", config, secrets, seen.racer_logs[-1], migrate=True)
                stack.callback(processes.stop, proc)
                started.append((proc, url, seen.racer_logs[-1]))
            # the switched proxy serves while the racers start and wait at the lock
            processes.wait_healthy(f"{plain_url}{LIVENESS_PATH}", migrations.START_TIMEOUT, switched, seen.switched_log)
            seen.switched_ready = httpx.get(f"{plain_url}{READINESS_PATH}", timeout=30).status_code
            answer = httpx.post(f"{plain_url}/key/generate", headers=admin(plain_secrets), json={}, timeout=60)
            seen.switched_key = answer.status_code
            processes.stop(switched)
            seen.switched_tables = db_snapshot.tables(plain)
            wait_until(
                lambda: all(AT_THE_LOCK.search(log.read_text(errors="replace")) for *_, log in started),
                migrations.START_TIMEOUT,
                0.2,
                f"{RACERS} proxies at Prisma's migration lock",
            )
            holder.execute("SELECT pg_advisory_unlock(%s)", (PRISMA_LOCK,))
            for proc, url, log in started:
                processes.wait_healthy(f"{url}{LIVENESS_PATH}", migrations.START_TIMEOUT, proc, log)
            for _, url, _ in started:  # every proxy serves: a key of its own, answered through the fake provider
                seen.racers_served.append(traffic.chat(url, traffic.generate(url, admin(secrets), {})).status_code)
            seen.ledger = db_snapshot.migrations(db)
        yield seen
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_the_switch_keeps_a_proxy_from_migrating_an_empty_database(first_install: FirstInstall) -> None:
    """DISABLE_SCHEMA_UPDATE=true: not one table is created, yet the proxy reports ready and its key
    management fails. Why the chart lets the first install's pods migrate (the Job runs on upgrades only)."""
    assert first_install.switched_ready == 200, "ready although unmigrated"
    assert first_install.switched_key != 200, "key management needs the tables"
    assert first_install.switched_tables == [], "the switch was on: the proxy must not have created a table"
    log = first_install.switched_log
    assert not ran_migrations(log) and "Applying migration" not in log.read_text(errors="replace")


def test_proxies_started_at_once_on_an_empty_database_migrate_it_once(first_install: FirstInstall) -> None:
    """A first install of several pods: each proxy runs `prisma migrate deploy` at start (LiteLLM's default);
    Prisma's advisory lock lets one apply every migration while the others wait and find none pending. The
    race is real: the test holds Prisma's lock until every proxy has reached it, then lets them go at once."""
    assert first_install.racers_served == [200] * RACERS, "every proxy serves"
    shipped = shipped_migrations(ROOT / ".venv")
    assert db_snapshot.ledger_problems(first_install.ledger, shipped) == []
    assert sorted(m.name for m in first_install.ledger) == shipped, "one finished row per migration, no other"
    texts = {log.name: log.read_text(errors="replace") for log in first_install.racer_logs}
    appliers = [name for name, text in texts.items() if any(marker in text for marker in APPLIED)]
    assert len(appliers) == 1, f"exactly one process applies the migrations: {appliers}"
    for name, text in texts.items():
        assert "Database migration cannot proceed" not in text and "Database setup failed" not in text, name
        assert "deadlock" not in text, f"{name}: Prisma's lock deadlocked (LiteLLM recovered; see docs/decisions.md)"
        assert name in appliers or "No pending migrations to apply" in text, name


# --- an upgrade, as the chart runs it ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def upgrade() -> Iterator[migrations.DatabaseCheck]:
    """One replay of the upgrade for every test below (the slow part: about two minutes)."""
    current, target = litellm_venv(UPGRADE_FROM), litellm_venv(UPGRADE_TO)
    work = private_dir("gateway-upgrade-")
    try:
        yield migrations.database_upgrade_check(TREE, current, target, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def finding(check: migrations.DatabaseCheck, start: str) -> migrations.Finding:
    (found,) = [f for f in check.findings if f.check.startswith(start)]
    return found


def test_the_upgrade_check_passes(upgrade: migrations.DatabaseCheck) -> None:
    assert (upgrade.current, upgrade.target) == (UPGRADE_FROM, UPGRADE_TO)
    assert upgrade.ok, "\n".join(str(f) for f in upgrade.findings)
    assert not [f for f in upgrade.findings if not f.ok], "\n".join(str(f) for f in upgrade.findings)


def test_old_pods_serve_before_during_and_after_the_new_versions_migrations(
    upgrade: migrations.DatabaseCheck,
) -> None:
    phases = {p.phase: p for p in upgrade.probes}
    assert list(phases) == ["before the migrations", "during the migrations", "after the migrations"]
    for probe in phases.values():
        assert probe.sent >= 1 and probe.answered == probe.sent, probe
    job = upgrade.workdir / "job.log"
    assert ran_migrations(job) and "All migrations have been successfully applied" in job.read_text(errors="replace")
    # the Job ran in prod's migrations Job sandbox (the rendered manifests): its `prisma generate` could not
    # rewrite the client (known, log-only: refused_writes.json), and it wrote nowhere else outside its emptyDirs
    assert GENERATE_REFUSED in job.read_text(errors="replace")
    assert not sandbox.writes_outside(job.read_text(errors="replace"), pod.committed(TREE, "prod", "migrations"))


def test_the_job_applies_each_new_migration_once(upgrade: migrations.DatabaseCheck) -> None:
    """Read back from the kept database, independently of the check's own reading."""
    target = litellm_venv(UPGRADE_TO)
    new = sorted(set(shipped_migrations(target)) - set(shipped_migrations(litellm_venv(UPGRADE_FROM))))
    assert new and sorted(upgrade.applied) == new
    kept = upgrade.workdir / "postgres"
    server = postgres.start(kept / "data", processes.free_port(), (kept / "password").read_text())
    try:
        ledger = db_snapshot.migrations(server)
        assert db_snapshot.ledger_problems(ledger, shipped_migrations(target)) == []
        assert len(ledger) == len({m.name for m in ledger}) == len(shipped_migrations(target))
        assert server.psql("SELECT count(*) FROM \"LiteLLM_TeamTable\" WHERE team_id LIKE 'upgrade-check-%'") == "2"
    finally:
        postgres.stop(server)


def test_nothing_is_lost_and_the_new_version_serves_without_migrating(upgrade: migrations.DatabaseCheck) -> None:
    assert upgrade.before is not None and upgrade.after is not None
    for sample in traffic.SAMPLES:  # the comparison had rows to compare in every sampled table
        assert upgrade.before.rows[sample.table], sample.table
    assert db_snapshot.lost(upgrade.before, upgrade.after, migrations.PROCESS_STATE, migrations.MOVING) == []
    assert finding(upgrade, "nothing lost").ok
    assert finding(upgrade, f"{UPGRADE_TO} serves on the migrated database").ok
    assert finding(upgrade, "serving proxies never migrate").ok
    for role in ("target", "rollback"):
        log = upgrade.workdir / f"{role}.log"
        assert not ran_migrations(log) and "Applying migration" not in log.read_text(errors="replace"), role


def test_the_rollback_case_is_reported_and_never_blocks(upgrade: migrations.DatabaseCheck) -> None:
    rollback = finding(upgrade, "rollback:")
    assert not rollback.blocking
    assert rollback.ok, rollback  # 1.106.2 serves on 1.108.7's schema: an image rollback needs no restore
    assert upgrade.rollback_schema_diff, "the newer schema has what the older one lacks"
    assert any("DROP TABLE" in statement for statement in upgrade.rollback_schema_diff)


def test_the_report_section(upgrade: migrations.DatabaseCheck) -> None:
    text = upgrade.markdown
    for f in upgrade.findings:
        assert f"| {f.check} | ok |" in text
    for name in upgrade.applied:
        assert f"- `{name}`" in text
    assert f"{SCHEMA_UPDATE_SWITCH}=true" in text and "```sql" in text
    assert upgrade.summary.startswith(f"{len(upgrade.applied)} migrations applied")


def test_a_missing_venv_is_a_finding_not_a_traceback(workdir: Path) -> None:
    check = migrations.database_upgrade_check(TREE, ROOT / ".venv", workdir / "no-such-venv", workdir / "work")
    assert not check.ok
    (setup,) = check.findings
    assert setup.check == "setup" and "no-such-venv: no bin/litellm" in setup.detail
    assert "make upgrade TO=" in setup.detail and "| setup | **break** |" in check.markdown
    assert not (workdir / "work" / "postgres").exists(), "nothing started"


def test_the_comparison_names_each_loss() -> None:
    row = {"team_id": "t", "spend": 1.5, "team_alias": "a"}
    before = db_snapshot.Snapshot(
        {"teams": 2, "logs": 5, "heartbeats": 1, "dropped": 3, "empty": 0},
        {"teams": {"t": row, "u": {**row, "team_id": "u"}}},
    )
    after = db_snapshot.Snapshot(
        {"teams": 2, "logs": 4, "heartbeats": 0, "new": 0},
        {"teams": {"t": {**row, "new_column": None}, "v": {**row, "team_id": "v", "spend": 2.0}}},
    )
    assert db_snapshot.lost(before, after, ("heartbeats",)) == [
        "logs: 5 rows before, 4 after",
        "table dropped (3 rows) is gone",
        "teams row u is gone",
    ]
    after.rows["teams"]["u"] = {**row, "team_id": "u", "spend": 0.0}
    assert db_snapshot.lost(before, after, ("heartbeats",))[-1] == "teams row u: spend changed or gone"


def test_the_ledger_check_names_each_problem() -> None:
    ledger = [
        db_snapshot.Migration("1_a", True, False),
        db_snapshot.Migration("2_b", True, False),
        db_snapshot.Migration("2_b", True, False),
        db_snapshot.Migration("3_c", False, False),
        db_snapshot.Migration("4_d", True, True),
    ]
    assert db_snapshot.ledger_problems(ledger, ["1_a", "2_b", "3_c", "4_d", "5_e"]) == [
        "3_c did not finish",
        "4_d was rolled back",
        "2_b is recorded 2 times",
        "5_e was not applied",
    ]
    assert db_snapshot.ledger_problems(ledger[:2], ["1_a", "2_b"]) == []
