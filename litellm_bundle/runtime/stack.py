"""`make up` / `make down` / `make logs`: the local gateway, with Docker Compose or natively.

Native stack (no Docker engine): the pinned litellm from .venv, the fake provider, a throwaway
redis-server when installed, the staged dev config and hooks. Every process is started in its own
session and recorded in <state>/pids/, so `down` stops exactly what `up` started.

Nothing here prints: progress and the banner go to the caller's `say`, a failure is a StackError.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from litellm_bundle.build.generate import render_one
from litellm_bundle.core.facts import (
    COMPOSE_AREA,
    ENV_EXAMPLE,
    FAKE_PROVIDER_SERVICE,
    LIVENESS_PATH,
    fake_provider_api_base,
)
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.policy.policies import Policies
from litellm_bundle.render import alerts, env_example, proxy_args
from litellm_bundle.runtime import access, launch, local_prometheus, localenv, postgres, processes

STACK_ENV = "dev"
Say = Callable[[str], None]  # where progress and the banner go (the CLI passes print)


ACCESS_WAIT = 60.0  # seconds the access reconciler waits for the proxy to be ready


class StackError(RuntimeError):
    """The stack did not start (what had started is stopped again), or there is nothing to show."""


@dataclass
class StackPaths:
    tree: BundleTree
    state: Path
    env_file: Path

    @property
    def compose_file(self) -> Path:
        return self.tree.out_dir / COMPOSE_AREA / "compose.yaml"

    @property
    def pids(self) -> Path:
        return self.state / "pids"

    @property
    def logs(self) -> Path:
        return self.state / "logs"

    @property
    def runtime(self) -> Path:
        return self.state / "dev" / "runtime"

    @property
    def mode(self) -> Path:
        return self.state / "mode"


def docker_engine_available() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=15).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def recorded_pids(sp: StackPaths) -> dict[str, int]:
    found = {}
    for file in sorted(sp.pids.glob("*.pid")) if sp.pids.exists() else []:
        try:
            found[file.stem] = int(file.read_text().strip())
        except ValueError:
            file.unlink()
    return found


def _record(sp: StackPaths, name: str, proc: subprocess.Popen[bytes]) -> None:
    sp.pids.mkdir(parents=True, exist_ok=True)
    (sp.pids / f"{name}.pid").write_text(f"{proc.pid}\n")


def _banner(url: str, key_source: str, notes: list[str], mode: str) -> str:
    lines = [
        "",
        f"LiteLLM gateway is up ({mode}): {url}",
        f"Master key: LITELLM_MASTER_KEY from {key_source}",
        *[f"  note: {n}" for n in notes],
        "",
        "Try it:",
        f"  export LITELLM_MASTER_KEY=$(grep ^LITELLM_MASTER_KEY= {key_source} | cut -d= -f2-)",
        f'  curl -s {url}/v1/chat/completions -H "Authorization: Bearer $LITELLM_MASTER_KEY" \\',
        "    -H 'Content-Type: application/json' \\",
        '    -d \'{"model": "gpt-4o", "messages": [{"role": "user", "content": "Hello"}]}\'',
        "",
        "  python - <<'PY'",
        "  import os, openai",
        f'  client = openai.OpenAI(base_url="{url}/v1", api_key=os.environ["LITELLM_MASTER_KEY"])',
        '  answer = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Hello"}])',
        "  print(answer.choices[0].message.content)",
        "  PY",
        "",
        f'  scripts/smoke.sh {url} "$LITELLM_MASTER_KEY"     make logs     make down',
    ]
    return "\n".join(lines)


def up(sp: StackPaths, say: Say, native: bool = False, timeout: float = 120.0) -> None:
    """Start the stack (compose when a Docker engine answers, unless `native`) and say its banner."""
    sp.state.mkdir(parents=True, exist_ok=True)
    running = {name: pid for name, pid in recorded_pids(sp).items() if processes.group_alive(pid)}
    if running:
        raise StackError(f"already running ({', '.join(f'{n}={p}' for n, p in running.items())}); `make down` first")
    generated = localenv.ensure_env_file(sp.env_file, sp.tree.out_dir / ENV_EXAMPLE)
    if generated:
        say(f"generated {', '.join(generated)} into {sp.env_file}")
    env_values = localenv.read_env_file(sp.env_file)
    port = int(env_values.get(env_example.PROXY_PORT.name) or env_example.PROXY_PORT.default)
    url = f"http://127.0.0.1:{port}"
    if not native and docker_engine_available():
        _up_compose(sp, say, env_values, url, timeout)
    else:
        _up_native(sp, say, env_values, url, port, timeout)


def _stage(sp: StackPaths, environ: dict[str, str], with_redis: bool) -> launch.Staged:
    files = launch.committed_files(sp.tree, STACK_ENV)
    return launch.stage_files(sp.tree, files, sp.runtime, environ, Policies(sp.tree).env_ref, with_redis=with_redis)


def _compose(sp: StackPaths) -> list[str]:
    """docker compose on the generated file, with the metrics profile (Prometheus, Grafana)."""
    return ["docker", "compose", "-f", str(sp.compose_file), "--env-file", str(sp.env_file), "--profile", "metrics"]


def _up_compose(sp: StackPaths, say: Say, env_values: dict[str, str], url: str, timeout: float) -> None:
    fake_provider = fake_provider_api_base(FAKE_PROVIDER_SERVICE)  # its address inside the Compose network
    staged = _stage(sp, {**env_values, "FAKE_PROVIDER_API_BASE": fake_provider}, with_redis=True)
    cmd = [*_compose(sp), "up", "-d", "--wait"]
    if subprocess.run(cmd).returncode != 0:
        raise StackError("docker compose up failed; see `make logs`")
    sp.mode.write_text("compose\n")
    processes.wait_healthy(f"{url}{LIVENESS_PATH}", timeout)
    prometheus = env_values.get(env_example.PROMETHEUS_PORT.name) or env_example.PROMETHEUS_PORT.default
    grafana = env_values.get(env_example.GRAFANA_PORT.name) or env_example.GRAFANA_PORT.default
    staged.notes.append(
        f"prometheus: http://127.0.0.1:{prometheus}/alerts; "
        f"grafana (dashboard 'LiteLLM gateway'): http://127.0.0.1:{grafana}"
    )
    say(_banner(url, str(sp.env_file), staged.notes, "docker compose"))


def _up_native(sp: StackPaths, say: Say, env_values: dict[str, str], url: str, port: int, timeout: float) -> None:
    sp.logs.mkdir(parents=True, exist_ok=True)
    sp.mode.write_text("native\n")
    fake_port = int(env_values.get(env_example.FAKE_PROVIDER_PORT.name) or env_example.FAKE_PROVIDER_PORT.default)
    redis_port = int(env_values.get("REDIS_PORT") or env_example.REFERENCE_DEFAULTS["REDIS_PORT"])
    environ = {
        **env_values,
        "FAKE_PROVIDER_API_BASE": fake_provider_api_base("127.0.0.1", fake_port),
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": str(redis_port),
    }
    started: list[subprocess.Popen[bytes]] = []
    try:
        redis = launch.start_redis(redis_port, sp.logs / "redis.log")
        if redis is not None:
            started.append(redis)
            _record(sp, "redis", redis)
            processes.wait_port(redis_port, 20, redis, sp.logs / "redis.log")
        fake = launch.start_fake_provider(sp.tree, fake_port, sp.logs / "fake-provider.log", "--host", "127.0.0.1")
        started.append(fake)
        _record(sp, "fake-provider", fake)
        processes.wait_healthy(f"http://127.0.0.1:{fake_port}/health", 30, fake, sp.logs / "fake-provider.log")
        database, note = _start_postgres(sp, env_values, started)
        if database is not None:
            environ["DATABASE_URL"] = database.url()
        else:
            environ.pop("DATABASE_URL", None)  # the staged config leaves the database out
        staged = _stage(sp, environ, with_redis=redis is not None)
        staged.notes += [note] if note else []
        if redis is None:
            staged.notes.append("redis-server not installed: running without Redis (apt-get install redis-server)")
        (sp.state / "metrics").mkdir(parents=True, exist_ok=True)
        options = proxy_args.proxy_options(launch.committed_values(sp.tree, STACK_ENV), sp.state / "metrics")
        proxy_env = launch.proxy_env(
            {
                **environ,
                "LITELLM_LOG": os.environ.get("LITELLM_LOG", "INFO"),
                **options.env,
                **postgres.prisma_env(sp.tree.tools_dir),
            }
        )
        if database is None:
            proxy_env.pop("DATABASE_URL", None)
        proxy = launch.start_proxy(
            staged.config, port, proxy_env, sp.logs / "litellm.log", workers=options.workers, extra_args=options.args
        )
        started.append(proxy)
        _record(sp, "litellm", proxy)
        processes.wait_healthy(f"{url}{LIVENESS_PATH}", timeout, proxy, sp.logs / "litellm.log")
        staged.notes.append(_start_prometheus(sp, env_values, port, timeout, started))
        if database is not None:
            staged.notes.append(_apply_access(sp, say, url, environ))
    except (RuntimeError, OSError) as exc:
        for proc in reversed(started):
            processes.stop(proc)
        shutil.rmtree(sp.pids, ignore_errors=True)
        raise StackError(f"failed: {exc} (what had started is stopped again)") from exc
    say(
        _banner(
            url,
            str(sp.env_file),
            staged.notes,
            "native: .venv litellm, fake provider" + (", redis-server" if redis else ""),
        )
    )


def _start_postgres(
    sp: StackPaths, env_values: dict[str, str], started: list[subprocess.Popen[bytes]]
) -> tuple[postgres.Postgres | None, str | None]:
    """A private PostgreSQL for LiteLLM's database features (initialised once, kept across `up`/`down`)."""
    try:
        postgres.bindir()
    except postgres.PostgresMissing as exc:
        return None, f"{exc}: virtual keys, teams and spend tracking are off"
    data = sp.state / "postgres"
    if not postgres.reachable_by_server(data):
        return (
            None,
            f"PostgreSQL runs as the postgres user, which cannot reach {data}: "
            "use --state-dir under /var/tmp (virtual keys are off)",
        )
    password = env_values[env_example.POSTGRES_PASSWORD.name]
    if not (data / "PG_VERSION").exists():
        shutil.rmtree(data, ignore_errors=True)
        postgres.initialise(data, password)
    port = int(env_values.get(env_example.POSTGRES_PORT.name) or env_example.POSTGRES_PORT.default)
    server = postgres.start(data, port, password)
    assert server.proc is not None
    started.append(server.proc)
    _record(sp, "postgres", server.proc)
    return server, None


def _apply_access(sp: StackPaths, say: Say, url: str, environ: dict[str, str]) -> str:
    """Teams and keys of config/access.yaml for dev (the plan's lines said); new key values go into the .env
    file. Returns the banner's note: a failure here leaves the stack up, without them."""
    files = render_one(sp.tree, STACK_ENV)
    with tempfile.TemporaryDirectory(prefix="access-") as work:
        desired = Path(work) / "access.json"
        desired.write_text(files["access.json"], encoding="utf-8")
        try:
            result = access.reconcile(
                sp.tree,
                STACK_ENV,
                "apply",
                url,
                desired,
                {**os.environ, **{k: v for k, v in environ.items() if v}},
                keys_to=f"env-file:{sp.env_file}",
                wait=ACCESS_WAIT,
            )
        except RuntimeError as exc:
            return f"access apply failed ({exc}): the teams and keys of config/access.yaml are not all there"
    for line in result.notes:
        say(f"access: {line}")
    if result.problems:
        refused = "; ".join(problem.message for problem in result.problems)
        return f"access apply refused ({refused}): the teams and keys of config/access.yaml are not all there"
    return (
        f"database: PostgreSQL on {environ['DATABASE_URL'].rsplit('@', 1)[1]}; teams and keys of config/access.yaml "
        f"applied, new key values in {sp.env_file} (LITELLM_KEY_*)"
    )


def _start_prometheus(
    sp: StackPaths, env_values: dict[str, str], proxy_port: int, timeout: float, started: list[subprocess.Popen[bytes]]
) -> str:
    """Debian's prometheus scraping the native proxy with the bundle's alert rules; returns the banner note."""
    if local_prometheus.binary() is None:
        return "prometheus not installed: no metrics history or alerts (apt-get install prometheus)"
    port = int(env_values.get(env_example.PROMETHEUS_PORT.name) or env_example.PROMETHEUS_PORT.default)
    files = local_prometheus.write_files(
        sp.state / "prometheus",
        [f"127.0.0.1:{proxy_port}"],
        alerts.rules_file(sp.tree, STACK_ENV),
        scrape_interval="5s",
        evaluation_interval="5s",
    )
    log = sp.logs / "prometheus.log"
    proc = local_prometheus.start(files, port, log)
    started.append(proc)
    _record(sp, "prometheus", proc)
    local_prometheus.wait_ready(port, timeout, proc, log)
    url = f"http://127.0.0.1:{port}"
    # Debian's build ships Prometheus' classic web UI only (the official image serves /alerts)
    return f"prometheus: {url}/classic/alerts (the bundle's alert rules), {url}/classic/graph, API {url}/api/v1/alerts"


def down(sp: StackPaths, grace: float = 15.0) -> list[str]:
    """Stop what `up` started (compose, or the recorded process groups); the names of what was stopped."""
    mode = sp.mode.read_text().strip() if sp.mode.exists() else "native"
    if mode == "compose":
        subprocess.run([*_compose(sp), "down"])
    stopped = []
    for name, pid in recorded_pids(sp).items():
        if processes.group_alive(pid):
            processes.stop_group(pid, grace)
            stopped.append(name)
        (sp.pids / f"{name}.pid").unlink(missing_ok=True)
    sp.mode.unlink(missing_ok=True)
    return stopped


def logs(sp: StackPaths, follow: bool = True) -> int:
    """Show the stack's logs on the terminal (docker compose logs, or tail of the native logs); the exit
    code of the command that showed them."""
    mode = sp.mode.read_text().strip() if sp.mode.exists() else "native"
    if mode == "compose":
        return subprocess.run([*_compose(sp), "logs", *(["-f"] if follow else [])]).returncode
    files = sorted(sp.logs.glob("*.log")) if sp.logs.exists() else []
    if not files:
        raise StackError("no logs: run `make up` first")
    return subprocess.run(["tail", "-n", "50", *(["-F"] if follow else []), *map(str, files)]).returncode
