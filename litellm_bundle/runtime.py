"""Assemble and start a native runtime: rendered config + hooks module side by side, the real proxy."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from ruamel.yaml import YAML

from . import paths
from .yamlio import dump_yaml

HOOKS_PACKAGE = paths.HOOKS_DIR / "gateway_hooks"
FAKE_PROVIDER = paths.ROOT / "fake_provider" / "fake_provider.py"


REF = re.compile(r"os\.environ/([A-Z][A-Z0-9_]*)")


@dataclass
class Staged:
    config: Path
    notes: list[str]


def localize(config: dict[str, Any], environ: Mapping[str, str], with_redis: bool) -> tuple[dict[str, Any], list[str]]:
    """Adapt a rendered config to a local machine: drop deployments whose references are unset
    (e.g. real provider keys not in .env) and, without a Redis server, the Redis settings."""
    notes = []
    kept = []
    for entry in config.get("model_list", []):
        missing = sorted({name for value in entry["litellm_params"].values() if isinstance(value, str) for name in REF.findall(value) if not environ.get(name)})
        if missing:
            notes.append(f"skipping deployment {entry['model_info']['id']} of {entry['model_name']}: {', '.join(missing)} not set")
        else:
            kept.append(entry)
    config = {**config, "model_list": kept}
    if not with_redis:
        router = {k: v for k, v in config.get("router_settings", {}).items() if not k.startswith("redis_")}
        settings = {k: v for k, v in config.get("litellm_settings", {}).items() if k not in ("cache", "cache_params")}
        if router != config.get("router_settings") or settings != config.get("litellm_settings"):
            notes.append("no Redis: router state (rpm/tpm, cooldowns) and cache stay in this process")
        config = {**config, "router_settings": router, "litellm_settings": settings}
    return config, notes


def stage(env: str, dest: Path, environ: Mapping[str, str], with_redis: bool = True, rendered_dir: Path = paths.RENDERED_DIR) -> Staged:
    """dest/config.yaml, dest/hooks.json and dest/gateway_hooks/ — the layout the image mounts at /etc/litellm."""
    dest.mkdir(parents=True, exist_ok=True)
    config, notes = localize(YAML(typ="safe").load((rendered_dir / env / "config.yaml").read_text()), environ, with_redis)
    (dest / "config.yaml").write_text(f"# Staged for a local run from rendered/{env}/config.yaml\n" + dump_yaml(config))
    shutil.copyfile(rendered_dir / env / "hooks.json", dest / "hooks.json")
    target = dest / "gateway_hooks"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(HOOKS_PACKAGE, target, ignore=shutil.ignore_patterns("__pycache__"))
    return Staged(dest / "config.yaml", notes)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bin_path(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def proxy_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "PYTHONDONTWRITEBYTECODE": "1",
        "LITELLM_LOG": env.get("LITELLM_LOG", "WARNING"),
        "DISABLE_ADMIN_UI": "True",
    })
    env.update(extra or {})
    return env


def start_proxy(config: Path, port: int, env: dict[str, str], log: Path, workers: int = 1) -> subprocess.Popen[bytes]:
    cmd = [bin_path("litellm"), "--config", str(config), "--host", "127.0.0.1", "--port", str(port), "--num_workers", str(workers)]
    with log.open("ab") as out:
        return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def start_fake_provider(port: int, log: Path, *args: str) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, str(FAKE_PROVIDER), "--port", str(port), *args]
    with log.open("ab") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def wait_healthy(url: str, timeout: float, proc: subprocess.Popen[bytes] | None = None, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log else ""
            raise RuntimeError(f"process exited with {proc.returncode} before {url} was healthy:\n{tail}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not healthy after {timeout:.0f}s")


def group_processes(pgid: int) -> dict[int, list[str]]:
    """pid -> /proc/<pid>/stat fields after the command name (state first) of every process in a process group."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:
            found[int(stat.parent.name)] = fields
    return found


def group_alive(pgid: int) -> bool:
    """Any process of the group still running (zombies have exited; only their parent's bookkeeping is left)."""
    return any(fields[0] != "Z" for fields in group_processes(pgid).values())


def stop_group(pgid: int, grace: float = 10.0) -> None:
    """SIGTERM a whole process group (the proxy forks workers), SIGKILL what is left after `grace` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        if not group_alive(pgid):
            return
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.1)


def stop(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """Stop a process group started by this module, including workers that outlive their parent."""
    stop_group(proc.pid, grace)
    if proc.poll() is None:
        proc.wait(timeout=5)


def start_redis(port: int, log: Path) -> subprocess.Popen[bytes] | None:
    """A throwaway redis-server on loopback (no persistence), or None when redis-server is not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    cmd = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes"]
    with log.open("ab") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def wait_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before port {port} opened")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"port {port} not open after {timeout:.0f}s")
