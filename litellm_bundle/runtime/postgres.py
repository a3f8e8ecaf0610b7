"""A private PostgreSQL server for the local stack and the tests: Debian's `postgresql` binaries,
a cluster initialised into a directory of ours, 127.0.0.1 on a port of our choosing, one database and
one password-protected role for LiteLLM. PostgreSQL refuses to run as root: as root, the server runs
as the `postgres` user the Debian package creates."""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from litellm_bundle.core.wait import wait_until
from litellm_bundle.runtime import processes

DATABASE = "litellm"
ROLE = "litellm"
DEFAULT_MAX_CONNECTIONS = 100


class PostgresMissing(RuntimeError):
    """Debian's postgresql package is not installed."""


def bindir() -> Path:
    """The newest /usr/lib/postgresql/<version>/bin, else the directory of initdb on PATH."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise PostgresMissing("PostgreSQL is not installed: apt-get install postgresql (CI: .ci/run installs it)")


def _run_as() -> str | None:
    """The user the server runs as: `postgres` when we are root, else ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise PostgresMissing("running as root needs the `postgres` user of Debian's postgresql package") from exc
    return "postgres"


@dataclass
class Postgres:
    data_dir: Path
    port: int
    password: str
    proc: subprocess.Popen[bytes] | None = None

    def url(self, database: str = DATABASE) -> str:
        return f"postgresql://{ROLE}:{self.password}@127.0.0.1:{self.port}/{database}"

    @property
    def log(self) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}.log"

    def psql(self, sql: str, database: str = DATABASE) -> str:
        """Run SQL as the LiteLLM role; returns the unaligned, tuples-only output."""
        env = {**os.environ, "PGPASSWORD": self.password}
        result = subprocess.run(
            [
                str(bindir() / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                ROLE,
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-At",
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            env=env,
        )
        if result.returncode != 0:
            raise RuntimeError(f"psql failed: {result.stderr.strip()}")
        return result.stdout.strip()


def _owned_by_server(path: Path, user: str | None) -> None:
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def reachable_by_server(path: Path) -> bool:
    """Whether the server's user can reach `path` (as root the server runs as `postgres`: every parent
    directory must let others through, which a home directory of mode 0700 does not)."""
    if _run_as() is None:
        return True
    return all(parent.stat().st_mode & 0o001 for parent in path.resolve().parents if parent.exists())


def initialise(data_dir: Path, password: str | None = None) -> str:
    """initdb into data_dir (must not exist yet); returns the LiteLLM role's password."""
    user = _run_as()
    password = password or secrets.token_urlsafe(24)
    data_dir.mkdir(parents=True, mode=0o700)
    _owned_by_server(data_dir, user)
    pwfile = data_dir.parent / f".{data_dir.name}.pw"
    pwfile.write_text(password + "\n")
    pwfile.chmod(0o600)
    _owned_by_server(pwfile, user)
    try:
        result = subprocess.run(
            [
                str(bindir() / "initdb"),
                "-D",
                str(data_dir),
                "-U",
                ROLE,
                "--pwfile",
                str(pwfile),
                "--auth",
                "scram-sha-256",
                "-E",
                "UTF8",
                "--locale",
                "C.UTF-8",
                "--no-instructions",
            ],
            capture_output=True,
            text=True,
            user=user,
        )
    finally:
        pwfile.unlink(missing_ok=True)
    if result.returncode != 0:
        raise RuntimeError(f"initdb failed: {result.stderr.strip() or result.stdout.strip()}")
    return password


def start(
    data_dir: Path, port: int, password: str, max_connections: int = DEFAULT_MAX_CONNECTIONS, timeout: float = 60.0
) -> Postgres:
    """Start the server of an initialised cluster on 127.0.0.1:port; create the LiteLLM database once."""
    server = Postgres(data_dir, port, password)
    user = _run_as()
    _owned_by_server(server.log.parent, None)
    server.log.touch()
    _owned_by_server(server.log, user)
    cmd = [
        str(bindir() / "postgres"),
        "-D",
        str(data_dir),
        "-p",
        str(port),
        "-h",
        "127.0.0.1",
        "-k",
        str(data_dir),
        "-c",
        f"max_connections={max_connections}",
        "-c",
        "fsync=off",
        "-c",
        "synchronous_commit=off",
        "-c",
        "full_page_writes=off",
    ]
    with server.log.open("ab") as out:
        server.proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True, user=user
        )
    processes.wait_port(port, timeout, server.proc, server.log)
    _wait_ready(server, timeout)
    if not server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'", database="postgres"):
        server.psql(f"CREATE DATABASE {DATABASE}", database="postgres")
    return server


def _wait_ready(server: Postgres, timeout: float) -> None:
    """Until the server accepts queries (it opens its port before recovery ends)."""

    def ready() -> bool:
        answer = subprocess.run(
            [str(bindir() / "pg_isready"), "-h", "127.0.0.1", "-p", str(server.port), "-q"], capture_output=True
        )
        if answer.returncode == 0:
            return True
        if server.proc is not None and server.proc.poll() is not None:
            raise RuntimeError(
                f"PostgreSQL exited with {server.proc.returncode}:\n{server.log.read_text(errors='replace')[-2000:]}"
            )
        return False

    wait_until(ready, timeout, 0.1, f"PostgreSQL on port {server.port} to accept queries")


def stop(server: Postgres, grace: float = 20.0) -> None:
    """Stop the server: SIGINT, PostgreSQL's fast shutdown, which ends every session (SIGTERM, its smart
    shutdown, waits for the clients to leave, and a running proxy's pooled connections never do; the
    backends are not in the postmaster's process group), then whatever is left of its group."""
    if server.proc is not None:
        if server.proc.poll() is None:
            server.proc.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.proc.wait(timeout=grace)
        processes.stop(server.proc, grace)


ENGINES = {
    "PRISMA_QUERY_ENGINE_BINARY": "query-engine-debian-openssl-3.0.x",
    "PRISMA_SCHEMA_ENGINE_BINARY": "schema-engine-debian-openssl-3.0.x",
}


# Prisma's CLI as the official image bakes it (LiteLLM's Dockerfile installs it at build time into the
# directory PRISMA_BINARY_CACHE_DIR names, so no pod installs it with npm at start, whatever its uid or
# HOME): `make setup` installs it once into .tools/prisma-cli (the Makefile names the same directory)
CLI_DIR = "prisma-cli"
CLI_ENTRYPOINT = ("node_modules", "prisma", "build", "index.js")  # what prisma-client-py looks for there


def prisma_env(tools_dir: Path) -> dict[str, str]:
    """The Prisma variables for every process that touches the database: the engines, when `make setup`
    installed them from ../shared/prisma-engines (machines without internet access; otherwise prisma
    downloads the same engines itself), and the baked CLI's directory when `make setup` installed it."""
    engines = tools_dir / "prisma-engines"
    found = {name: str(engines / file) for name, file in ENGINES.items() if (engines / file).is_file()}
    env = found if len(found) == len(ENGINES) else {}
    cli = tools_dir / CLI_DIR
    if cli.joinpath(*CLI_ENTRYPOINT).is_file():
        env["PRISMA_BINARY_CACHE_DIR"] = str(cli)
    return env
