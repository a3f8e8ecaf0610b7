"""The database part of an upgrade, on real parts: a private PostgreSQL, the real proxies of two LiteLLM
versions (each from its own venv) with the real Prisma engines, and the target's migrations applied the
way the chart's Job applies them.

`database_upgrade_check` replays an upgrade as the chart runs it (docs/decisions.md, "Migrations"):

1. the current version's proxy starts on an empty database and migrates it (a first install);
2. it is populated through that proxy: a budget, teams, users in the teams, keys with budgets, chat
   requests through the fake provider at a price (spend logs, spend on keys, teams and users);
3. the row counts of every table and the populated rows are read;
4. the target's migrations run like the chart's Job (`python litellm/proxy/prisma_migration.py` in the
   target's package directory, only the database URL) while the current proxy keeps serving a key:
   old pods serve during an upgrade's migrations;
5. the current proxy stops, the database is read again: nothing may be lost;
6. the target's proxy and the current version's proxy (the rollback case: an image rollback does not
   undo the database) start on the migrated database as the chart's serving pods do, never migrating
   (SCHEMA_UPDATE_SWITCH): the keys must authenticate and be answered, a spent budget still refuses.

Every check is a `Finding`. The rollback case is reported either way and is never blocking: a current
version that cannot serve on the migrated schema means a rollback needs a database restore as well."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Final

import httpx

from litellm_bundle.core.facts import LIVENESS_PATH
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.core.yamlio import dump_yaml
from litellm_bundle.runtime import db_snapshot, launch, localenv, pod, postgres, processes
from litellm_bundle.runtime import migrations_traffic as traffic
from litellm_bundle.runtime.migration_job import (
    JOB_SCRIPT,
    SCHEMA_UPDATE_SWITCH,
    job_succeeded,
    litellm_version,
    ran_migrations,
    schema_diff,
    shipped_migrations,
    start_job,
    venv_problems,
)
from litellm_bundle.runtime.migrations_result import DatabaseCheck, Finding, Probe
from litellm_bundle.runtime.migrations_traffic import Keys, one_line

__all__ = ["SCHEMA_UPDATE_SWITCH", "DatabaseCheck", "Finding", "Probe", "database_upgrade_check", "start_proxy"]

# rows of running proxies (heartbeats, the cron leader's lease): a proxy removes its own when it stops
PROCESS_STATE: Final = ("LiteLLM_ProxyWorkerHeartbeat", "LiteLLM_CronJob")
# columns LiteLLM moves on every use of a row (a refused request updates a key's last_active)
MOVING: Final = ("last_active", "updated_at")
START_TIMEOUT: Final = 600.0  # a proxy migrating an empty database (~45 s here), or two proxies starting at once
JOB_TIMEOUT: Final = 1200.0


def database_upgrade_check(tree: BundleTree, current_venv: Path, target_venv: Path, workdir: Path) -> DatabaseCheck:
    """Replay the upgrade from the LiteLLM of `current_venv` to the one of `target_venv` on a private
    PostgreSQL (module docstring). `workdir` receives the config, every process's log and the stopped
    database (kept for inspection when the server's user can reach it, see postgres.reachable_by_server).
    Never raises for what it finds: each problem is a failed Finding, and the steps after it do not run."""
    workdir.mkdir(parents=True, exist_ok=True)
    check = DatabaseCheck(litellm_version(current_venv), litellm_version(target_venv), workdir)
    missing = [problem for venv in (current_venv, target_venv) for problem in venv_problems(venv)]
    if missing:
        check.findings.append(Finding("setup", False, "; ".join(missing)))
        return check
    with ExitStack() as stack:
        try:
            _run(tree, current_venv, target_venv, check, stack)
        except (RuntimeError, OSError, httpx.HTTPError, subprocess.SubprocessError) as exc:
            check.findings.append(Finding("run", False, one_line(str(exc))))
    return check


def _run(tree: BundleTree, current: Path, target: Path, check: DatabaseCheck, stack: ExitStack) -> None:
    work = check.workdir
    db = stack.enter_context(_database(work))
    fake_url = stack.enter_context(_fake_provider(tree, work))
    engines = postgres.prisma_env(tree.tools_dir)
    secrets = {**localenv.local_secrets(fake_url, None), "DATABASE_URL": db.url(), **engines}
    config = work / "config.yaml"
    config.write_text(dump_yaml(traffic.config()), encoding="utf-8")
    admin = {"Authorization": f"Bearer {secrets['LITELLM_MASTER_KEY']}"}

    started = time.monotonic()
    with _proxy(current, config, secrets, work / "current.log", migrate=True) as old:
        check.seconds["first install"] = time.monotonic() - started
        ledger = db_snapshot.migrations(db)
        problems = db_snapshot.ledger_problems(ledger, shipped_migrations(current))
        check.findings.append(
            Finding(
                f"{check.current} migrates an empty database",
                not problems,
                "; ".join(problems) or f"{len(ledger)} migrations applied, each once",
            )
        )
        if problems:
            return
        keys = traffic.populate(old, admin)
        traffic.wait_for_spend(db, keys)
        check.before = db_snapshot.snapshot(db, traffic.SAMPLES)
        refused = traffic.refuses(old, keys.exhausted)  # after the reading: a refusal spends nothing
        if refused:
            check.findings.append(Finding(f"{check.current} enforces the spent budget", False, refused))
            return
        probe_key = traffic.generate(old, admin, {"key_alias": traffic.PROBE_ALIAS})
        check.probes.append(traffic.probe(old, probe_key, "before the migrations", lambda: True))
        started = time.monotonic()
        job = start_job(target, db.url(), engines, work / "job.log", pod.committed(tree, "prod", "migrations"))
        stack.callback(processes.stop, job)
        check.probes.append(traffic.probe(old, probe_key, "during the migrations", lambda: job.poll() is not None))
        job.wait(timeout=JOB_TIMEOUT)
        check.seconds["migrations Job"] = time.monotonic() - started
        check.probes.append(traffic.probe(old, probe_key, "after the migrations", lambda: True))
    job_ok = _job_finding(check, job.returncode, work / "job.log")
    check.findings.append(_serving_finding(check))
    if not job_ok:
        return

    check.after = db_snapshot.snapshot(db, traffic.SAMPLES)
    new_ledger = db_snapshot.migrations(db)
    known = {m.name for m in ledger}
    check.applied = [m.name for m in new_ledger if m.name not in known]
    problems = db_snapshot.ledger_problems(new_ledger, shipped_migrations(target))
    check.findings.append(
        Finding(
            f"{check.target}'s migrations applied once",
            not problems,
            "; ".join(problems) or f"{len(check.applied)} new, each recorded once and finished",
        )
    )
    lost = db_snapshot.lost(check.before, check.after, PROCESS_STATE, MOVING)
    sampled = sum(len(rows) for rows in check.before.rows.values())
    check.findings.append(
        Finding(
            "nothing lost",
            not lost,
            "; ".join(lost[:5]) or f"{len(check.before.counts)} tables, {sampled} sampled rows kept",
        )
    )
    started = time.monotonic()
    _serve_migrated(check, (current, target), config, secrets, keys, db)
    check.seconds["both versions on the migrated database"] = time.monotonic() - started


def _serve_migrated(
    check: DatabaseCheck,
    venvs: tuple[Path, Path],
    config: Path,
    secrets: dict[str, str],
    keys: Keys,
    db: postgres.Postgres,
) -> None:
    """The target's proxy and the current version's proxy at once on the migrated database, as the chart's
    serving pods run (the switch on): mixed versions during a rollout, and the rollback case."""
    current, target = venvs
    engines = {name: secrets[name] for name in postgres.ENGINES if name in secrets}
    ledger = len(db_snapshot.migrations(db))
    work = check.workdir
    results: dict[str, str] = {}
    logs = {"target": work / "target.log", "rollback": work / "rollback.log"}
    with ExitStack() as stack:
        started = {}
        for role, venv in (("target", target), ("rollback", current)):
            started[role] = start_proxy(venv, config, secrets, logs[role], migrate=False)
            stack.callback(processes.stop, started[role][0])
        for role, (proc, url) in started.items():
            try:
                processes.wait_healthy(f"{url}{LIVENESS_PATH}", START_TIMEOUT, proc, logs[role])
                results[role] = traffic.serves(url, keys)
            except RuntimeError as exc:
                results[role] = f"did not start: {one_line(str(exc))}"
    deployed = [role for role, log in logs.items() if ran_migrations(log)]
    unchanged = len(db_snapshot.migrations(db)) == ledger
    check.findings.append(
        Finding(
            f"{check.target} serves on the migrated database",
            not results["target"],
            results["target"] or f"{len(keys.spent)} keys answered, the spent budget refused",
        )
    )
    check.findings.append(
        Finding(
            "serving proxies never migrate",
            unchanged and not deployed,
            f"{SCHEMA_UPDATE_SWITCH}=true: neither started the migrations, Prisma's ledger unchanged"
            if unchanged and not deployed
            else f"started the migrations: {', '.join(deployed) or '-'}; ledger unchanged: {unchanged}",
        )
    )
    with ThreadPoolExecutor(2) as pool:  # two `prisma migrate diff` runs, each mostly the CLI's start
        target_diff, current_diff = (pool.submit(schema_diff, venv, db.url(), engines) for venv in (target, current))
    drift = target_diff.result()
    check.findings.append(
        Finding(
            f"{check.target}'s schema matches the migrated database",
            not drift,
            f"`prisma migrate diff` finds {len(drift)} differences: {one_line(drift[0])}"
            if drift
            else "`prisma migrate diff` finds no difference",
            blocking=False,
        )
    )
    check.rollback_schema_diff = current_diff.result()
    check.findings.append(
        Finding(
            f"rollback: {check.current} serves on the migrated database",
            not results["rollback"],
            results["rollback"]
            or f"{len(keys.spent)} keys answered, the spent budget refused"
            + (
                f" ({len(check.rollback_schema_diff)} schema differences it does not use)"
                if check.rollback_schema_diff
                else ""
            ),
            blocking=False,
        )
    )


def _serving_finding(check: DatabaseCheck) -> Finding:
    failed = [p for p in check.probes if p.answered != p.sent]
    detail = ", ".join(f"{p.answered}/{p.sent} {p.phase}" for p in check.probes)
    if failed:
        detail += f"; first failure {failed[0].phase}: {failed[0].failure}"
    return Finding(f"{check.current} serves while {check.target}'s migrations run", not failed, detail)


def _job_finding(check: DatabaseCheck, returncode: int | None, log: Path) -> bool:
    ok = job_succeeded(returncode, log)
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    tail = "" if ok else f" (exit {returncode}): {one_line(text.strip()[-400:])}"
    check.findings.append(
        Finding(f"{check.target}'s migrations Job", ok, f"`python {JOB_SCRIPT}` as the chart's Job runs it{tail}")
    )
    return ok


@contextmanager
def _database(work: Path) -> Iterator[postgres.Postgres]:
    """An empty PostgreSQL cluster in work/postgres/data (kept, stopped; the LiteLLM role's password in
    work/postgres/password) when the server's user can reach it, else in a temporary directory (removed)."""
    temporary = not postgres.reachable_by_server(work)
    base = Path(tempfile.mkdtemp(prefix="upgrade-pg-")) if temporary else work / "postgres"
    if not temporary:
        shutil.rmtree(base, ignore_errors=True)
        base.mkdir(parents=True)
    base.chmod(0o755)
    password = postgres.initialise(base / "data")
    if not temporary:
        (base / "password").write_text(password, encoding="utf-8")
        (base / "password").chmod(0o600)
    server = postgres.start(base / "data", processes.free_port(), password)
    try:
        yield server
    finally:
        postgres.stop(server)
        if temporary:
            shutil.rmtree(base, ignore_errors=True)


@contextmanager
def _fake_provider(tree: BundleTree, work: Path) -> Iterator[str]:
    port = processes.free_port()
    log = work / "fake-provider.log"
    proc = launch.start_fake_provider(tree, port, log)
    try:
        processes.wait_healthy(f"http://127.0.0.1:{port}/health", 60, proc, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        processes.stop(proc)


def _proxy_env(venv: Path, secrets: dict[str, str], migrate: bool) -> dict[str, str]:
    env = launch.proxy_env(
        {**secrets, "LITELLM_LOG": "INFO", "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    )
    env.pop(SCHEMA_UPDATE_SWITCH, None)
    if not migrate:
        env[SCHEMA_UPDATE_SWITCH] = "true"
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY"):
        env.pop(name, None)
    return env


def start_proxy(
    venv: Path, config: Path, secrets: dict[str, str], log: Path, migrate: bool
) -> tuple[subprocess.Popen[bytes], str]:
    """The proxy of `venv` on a free port with `secrets` in its environment, LiteLLM's default (migrating at
    start) or as the chart's serving pods once the Job owns migrations (`migrate=False`: the switch on).
    Returns the process (stop it with processes.stop) and its URL."""
    port = processes.free_port()
    env = _proxy_env(venv, secrets, migrate)
    proc = launch.start_proxy(config, port, env, log, binary=str(venv / "bin" / "litellm"))
    return proc, f"http://127.0.0.1:{port}"


@contextmanager
def _proxy(venv: Path, config: Path, secrets: dict[str, str], log: Path, migrate: bool) -> Iterator[str]:
    proc, url = start_proxy(venv, config, secrets, log, migrate)
    try:
        processes.wait_healthy(f"{url}{LIVENESS_PATH}", START_TIMEOUT, proc, log)
        yield url
    finally:
        processes.stop(proc)
