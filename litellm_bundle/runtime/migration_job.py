"""One LiteLLM version's database side, from its venv: the migrations it ships, its migrations run the way
the chart's Job runs them, and `prisma migrate diff` from a database to its schema."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from litellm_bundle.core.facts import NO_DOTENV
from litellm_bundle.runtime import processes, sandbox
from litellm_bundle.runtime.pod import PodSandbox

# LiteLLM's switch that keeps a proxy from migrating at start (litellm/proxy/db/prisma_client.py,
# should_update_prisma_schema); the chart sets it on the serving pods once the Job owns migrations
SCHEMA_UPDATE_SWITCH: Final = "DISABLE_SCHEMA_UPDATE"
# what litellm-proxy-extras logs when a proxy or the Job starts Prisma's migrations (the switch off): the v2
# resolver (LiteLLM's default), the legacy one, and the output of `prisma migrate deploy`
MIGRATING: Final = ("Using v2 migration resolver", "Running prisma migrate deploy", "prisma migrate deploy stdout")
# what the chart's migrations Job runs, from the package directory (site-packages in a venv, /app in the image)
JOB_SCRIPT: Final = "litellm/proxy/prisma_migration.py"
JOB_DONE: Final = ("All migrations have been successfully applied", "No pending migrations")
# what the Job logs when its `prisma generate` cannot write the client (a read-only root, as in the pod);
# prisma_migration.py goes on with the client the image was built with
GENERATE_REFUSED: Final = "'prisma generate' exited"
# what the Job's environment passes through besides the database URL (Prisma's CLI cache lives in HOME)
_PASSED: Final = ("HOME", "LANG", "TMPDIR", "XDG_CACHE_HOME")


def site_packages(venv: Path) -> Path:
    found = sorted(venv.glob("lib/python*/site-packages"))
    if not found:
        raise FileNotFoundError(f"{venv}: no lib/python*/site-packages")
    return found[0]


def litellm_version(venv: Path) -> str:
    """The LiteLLM version installed in `venv` ('?' when there is none)."""
    try:
        found = sorted(site_packages(venv).glob("litellm-[0-9]*.dist-info"))
    except FileNotFoundError:
        return "?"
    return found[0].name.removeprefix("litellm-").removesuffix(".dist-info") if found else "?"


def venv_problems(venv: Path) -> list[str]:
    """What running a venv's proxy and migrations needs: LiteLLM's proxy, its migrations, a generated Prisma client."""
    if not (venv / "bin" / "litellm").exists():
        return [f"{venv}: no bin/litellm (`make upgrade TO=<version>` creates the venv of a version)"]
    site = site_packages(venv)
    problems = []
    if not (site / "litellm_proxy_extras" / "migrations").is_dir():
        problems.append(f"{venv}: no litellm_proxy_extras/migrations (litellm[proxy] brings them)")
    if not (site / "prisma" / "client.py").is_file():
        problems.append(
            f"{venv}: the Prisma client is not generated (`prisma generate --schema "
            f"{site / 'litellm' / 'proxy' / 'schema.prisma'}` with that venv's bin first on PATH)"
        )
    return problems


def shipped_migrations(venv: Path) -> list[str]:
    """The migrations the venv's litellm-proxy-extras ships, by name."""
    folder = site_packages(venv) / "litellm_proxy_extras" / "migrations"
    return sorted(p.parent.name for p in folder.glob("*/migration.sql"))


def job_env(venv: Path, database_url: str, engines: Mapping[str, str], pod: PodSandbox | None = None) -> dict[str, str]:
    """What the chart's Job has: the database URL and, given its pod, the container's literal env and the
    pod's HOME (pod.PodSandbox.environment); here also the Prisma engines (postgres.prisma_env), the venv
    first on PATH (its `prisma` CLI) and LiteLLM's local cost map (these machines are offline)."""
    native = {
        **{k: os.environ[k] for k in _PASSED if k in os.environ},
        **engines,
        "DATABASE_URL": database_url,
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        **NO_DOTENV,
    }
    return pod.environment(native) if pod is not None else native


def job_command(
    venv: Path, pod: PodSandbox | None = None, scratch: Path | None = None, visible: Sequence[Path] = ()
) -> list[str]:
    """`python litellm/proxy/prisma_migration.py` in the migrations Job's pod sandbox (`pod`, from the
    rendered manifests: runtime/pod.py; its emptyDirs made fresh under `scratch`) with the venv and
    `visible` (e.g. the Prisma engines) visible read-only; unsandboxed without a pod or where bubblewrap is
    missing (its `prisma generate` then rewrites the venv's Prisma client)."""
    argv = [str(venv / "bin" / "python"), JOB_SCRIPT]
    if pod is None or scratch is None or not sandbox.available():
        return argv
    return sandbox.pod_command(argv, pod, scratch, visible=[venv, *visible], cwd=site_packages(venv))


def start_job(
    venv: Path, database_url: str, engines: Mapping[str, str], log: Path, pod: PodSandbox | None = None
) -> subprocess.Popen[bytes]:
    """The migrations Job's command in the venv's package directory, as the chart's Job runs it (in `pod`'s
    sandbox, its emptyDirs next to `log`)."""
    env = job_env(venv, database_url, engines, pod)
    engine_dirs = sorted({Path(path).parent for path in engines.values()})
    command = job_command(venv, pod, log.parent / "job-pod", visible=engine_dirs)
    return processes.spawn(command, log, env=env, cwd=site_packages(venv))


def ran_migrations(log: Path) -> bool:
    """Whether the process that wrote `log` (at LITELLM_LOG=INFO) started Prisma's migrations."""
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    return any(marker in text for marker in MIGRATING)


def job_succeeded(returncode: int | None, log: Path) -> bool:
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    return returncode == 0 and any(marker in text for marker in JOB_DONE)


def schema_diff(venv: Path, database_url: str, engines: Mapping[str, str]) -> list[str]:
    """The SQL statements that would turn the database into the venv's LiteLLM schema (`prisma migrate diff`,
    what LiteLLM itself runs at start with the switch on, and only logs); empty when they match."""
    schema = site_packages(venv) / "litellm" / "proxy" / "schema.prisma"
    cmd = [str(venv / "bin" / "prisma"), "migrate", "diff", "--from-url", database_url]
    done = subprocess.run(
        [*cmd, "--to-schema-datamodel", str(schema), "--script"],
        env=job_env(venv, database_url, engines),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        tail = " ".join((done.stdout + done.stderr).split())[-300:]
        raise RuntimeError(f"prisma migrate diff with {venv} failed: {tail}")
    statements, pending = [], []
    for line in done.stdout.splitlines():
        if not line.strip() or line.lstrip().startswith("--"):
            continue
        pending.append(line.strip())
        if line.rstrip().endswith(";"):
            statements.append(" ".join(pending))
            pending = []
    return statements
