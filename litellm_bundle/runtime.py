"""Assemble and start a native runtime: rendered config + hooks module side by side, the real proxy."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from . import paths

HOOKS_PACKAGE = paths.HOOKS_DIR / "gateway_hooks"
FAKE_PROVIDER = paths.ROOT / "fake_provider" / "fake_provider.py"


def stage(env: str, dest: Path, rendered_dir: Path = paths.RENDERED_DIR) -> Path:
    """dest/config.yaml, dest/hooks.json and dest/gateway_hooks/ — the layout the image mounts at /etc/litellm."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("config.yaml", "hooks.json"):
        shutil.copyfile(rendered_dir / env / name, dest / name)
    target = dest / "gateway_hooks"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(HOOKS_PACKAGE, target, ignore=shutil.ignore_patterns("__pycache__"))
    return dest / "config.yaml"


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


def stop(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """Stop a process group started by this module (the proxy forks workers)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=grace)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, 9)
        except ProcessLookupError:
            pass
        proc.wait(timeout=5)
