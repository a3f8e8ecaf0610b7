"""`make up` / `make down` / `make logs`: the local gateway, with Docker Compose or natively.

Native stack (no Docker engine): the pinned litellm from .venv, the fake provider, a throwaway
redis-server when installed, the staged dev config and hooks. Every process is started in its own
session and recorded in <state>/pids/, so `down` stops exactly what `up` started.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from . import paths, runtime

COMPOSE_FILE = paths.ROOT / "compose" / "compose.yaml"


@dataclass
class StackPaths:
    state: Path
    env_file: Path

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


def read_env_file(file: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for number, raw in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise ValueError(f"{file}:{number}: expected NAME=value, got {raw!r}")
        name, value = line.split("=", 1)
        values[name.strip()] = value.strip().strip('"').strip("'")
    return values


def ensure_env_file(file: Path) -> list[str]:
    """Create .env from .env.example when missing; fill generated secrets that are empty. Returns what was generated."""
    if not file.exists():
        shutil.copyfile(paths.ROOT / ".env.example", file)
        file.chmod(0o600)
    generated = {
        "LITELLM_MASTER_KEY": lambda: "sk-" + secrets.token_urlsafe(32),
        "LITELLM_SALT_KEY": lambda: "sk-salt-" + secrets.token_urlsafe(32),
        "POSTGRES_PASSWORD": lambda: secrets.token_urlsafe(24),
    }
    lines = file.read_text(encoding="utf-8").splitlines()
    filled = []
    present = set()
    for index, line in enumerate(lines):
        name, sep, value = line.partition("=")
        name = name.strip()
        if sep and not line.lstrip().startswith("#"):
            present.add(name)
            if name in generated and not value.strip():
                lines[index] = f"{name}={generated[name]()}"
                filled.append(name)
    for name, make in generated.items():
        if name not in present:
            lines.append(f"{name}={make()}")
            filled.append(name)
    if filled:
        tmp = file.with_name(file.name + ".tmp")
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        tmp.chmod(0o600)
        tmp.replace(file)
    return filled


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
        f"  curl -s {url}/v1/chat/completions -H \"Authorization: Bearer $LITELLM_MASTER_KEY\" \\",
        "    -H 'Content-Type: application/json' -d '{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}]}'",
        "",
        "  python - <<'PY'",
        "  import os, openai",
        f"  client = openai.OpenAI(base_url=\"{url}/v1\", api_key=os.environ[\"LITELLM_MASTER_KEY\"])",
        "  print(client.chat.completions.create(model=\"gpt-4o\", messages=[{\"role\": \"user\", \"content\": \"Hello\"}]).choices[0].message.content)",
        "  PY",
        "",
        f"  scripts/smoke.sh {url} \"$LITELLM_MASTER_KEY\"     make logs     make down",
    ]
    return "\n".join(lines)


def up(sp: StackPaths, native: bool = False, timeout: float = 120.0) -> int:
    sp.state.mkdir(parents=True, exist_ok=True)
    running = {name: pid for name, pid in recorded_pids(sp).items() if runtime.group_alive(pid)}
    if running:
        print(f"already running ({', '.join(f'{n}={p}' for n, p in running.items())}); `make down` first", file=sys.stderr)
        return 1
    generated = ensure_env_file(sp.env_file)
    if generated:
        print(f"generated {', '.join(generated)} into {sp.env_file}")
    env_values = read_env_file(sp.env_file)
    port = int(env_values.get("PROXY_PORT") or 4000)
    url = f"http://127.0.0.1:{port}"
    if not native and docker_engine_available():
        return _up_compose(sp, env_values, url, timeout)
    return _up_native(sp, env_values, url, port, timeout)


def _up_compose(sp: StackPaths, env_values: dict[str, str], url: str, timeout: float) -> int:
    staged = runtime.stage("dev", sp.runtime, {**env_values, "FAKE_PROVIDER_API_BASE": "http://fake-provider:8090/v1"}, with_redis=True)
    cmd = ["docker", "compose", "-f", str(COMPOSE_FILE), "--env-file", str(sp.env_file), "up", "-d", "--wait"]
    if subprocess.run(cmd).returncode != 0:
        print("docker compose up failed; see `make logs`", file=sys.stderr)
        return 1
    sp.mode.write_text("compose\n")
    runtime.wait_healthy(f"{url}/health/liveliness", timeout)
    print(_banner(url, str(sp.env_file), staged.notes, "docker compose"))
    return 0


def _up_native(sp: StackPaths, env_values: dict[str, str], url: str, port: int, timeout: float) -> int:
    sp.logs.mkdir(parents=True, exist_ok=True)
    sp.mode.write_text("native\n")
    fake_port = int(env_values.get("FAKE_PROVIDER_PORT") or 8090)
    redis_port = int(env_values.get("REDIS_PORT") or 6380)
    environ = {**env_values, "FAKE_PROVIDER_API_BASE": f"http://127.0.0.1:{fake_port}/v1", "REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(redis_port)}
    started: list[subprocess.Popen[bytes]] = []
    try:
        redis = runtime.start_redis(redis_port, sp.logs / "redis.log")
        if redis is not None:
            started.append(redis)
            _record(sp, "redis", redis)
            runtime.wait_port(redis_port, 20, redis)
        fake = runtime.start_fake_provider(fake_port, sp.logs / "fake-provider.log", "--host", "127.0.0.1")
        started.append(fake)
        _record(sp, "fake-provider", fake)
        runtime.wait_healthy(f"http://127.0.0.1:{fake_port}/health", 30, fake, sp.logs / "fake-provider.log")
        staged = runtime.stage("dev", sp.runtime, environ, with_redis=redis is not None)
        if redis is None:
            staged.notes.append("redis-server not installed: running without Redis (apt-get install redis-server)")
        proxy_env = runtime.proxy_env({**environ, "LITELLM_LOG": os.environ.get("LITELLM_LOG", "INFO")})
        proxy = runtime.start_proxy(staged.config, port, proxy_env, sp.logs / "litellm.log")
        started.append(proxy)
        _record(sp, "litellm", proxy)
        runtime.wait_healthy(f"{url}/health/liveliness", timeout, proxy, sp.logs / "litellm.log")
    except (RuntimeError, OSError) as exc:
        print(f"make up failed: {exc}", file=sys.stderr)
        for proc in reversed(started):
            runtime.stop(proc)
        shutil.rmtree(sp.pids, ignore_errors=True)
        return 1
    print(_banner(url, str(sp.env_file), staged.notes, "native: .venv litellm, fake provider" + (", redis-server" if redis else "")))
    return 0


def down(sp: StackPaths, grace: float = 15.0) -> int:
    mode = sp.mode.read_text().strip() if sp.mode.exists() else "native"
    if mode == "compose":
        subprocess.run(["docker", "compose", "-f", str(COMPOSE_FILE), "--env-file", str(sp.env_file), "down"])
    stopped = []
    for name, pid in recorded_pids(sp).items():
        if runtime.group_alive(pid):
            runtime.stop_group(pid, grace)
            stopped.append(name)
        (sp.pids / f"{name}.pid").unlink(missing_ok=True)
    sp.mode.unlink(missing_ok=True)
    print(f"stopped {', '.join(stopped)}" if stopped else "nothing was running")
    return 0


def logs(sp: StackPaths, follow: bool = True) -> int:
    mode = sp.mode.read_text().strip() if sp.mode.exists() else "native"
    if mode == "compose":
        return subprocess.run(["docker", "compose", "-f", str(COMPOSE_FILE), "--env-file", str(sp.env_file), "logs", *(["-f"] if follow else [])]).returncode
    files = sorted(sp.logs.glob("*.log")) if sp.logs.exists() else []
    if not files:
        print("no logs: run `make up` first", file=sys.stderr)
        return 1
    return subprocess.run(["tail", "-n", "50", *(["-F"] if follow else []), *map(str, files)]).returncode
