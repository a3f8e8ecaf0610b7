"""Process control for local services: start in their own process group, wait for a port or a
health URL, stop the whole group (psutil, so it works beyond Linux's /proc)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
from pathlib import Path

import psutil

from litellm_bundle.core.wait import wait_until


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def spawn(
    cmd: list[str], log: Path, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start `cmd` in a new session (its own process group), output appended to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen(
            cmd,
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def group_members(pgid: int) -> list[psutil.Process]:
    """Every live (non-zombie) process of a process group."""
    members = []
    for proc in psutil.process_iter():
        try:
            if os.getpgid(proc.pid) == pgid and proc.status() != psutil.STATUS_ZOMBIE:
                members.append(proc)
        except (ProcessLookupError, psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return members


def group_alive(pgid: int) -> bool:
    """Any process of the group still running (zombies have exited; only their parent's bookkeeping is left)."""
    return bool(group_members(pgid))


def group_cpu_seconds(pgid: int) -> float:
    """CPU time (user + system) of the live processes of a group."""
    total = 0.0
    for proc in group_members(pgid):
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


def stop_group(pgid: int, grace: float = 10.0) -> None:
    """SIGTERM a whole process group (the proxy forks workers), SIGKILL what is left after `grace` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        if not group_alive(pgid):
            return
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        with contextlib.suppress(TimeoutError):  # what is left gets the next signal
            wait_until(lambda: not group_alive(pgid), wait, 0.1, f"process group {pgid} to exit")


def stop(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """Stop a process group started by spawn(), including children that outlive their parent."""
    stop_group(proc.pid, grace)
    if proc.poll() is None:
        proc.wait(timeout=5)


def _exited(proc: subprocess.Popen[bytes] | None, what: str, log: Path | None) -> None:
    if proc is not None and proc.poll() is not None:
        tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
        raise RuntimeError(f"process exited with {proc.returncode} before {what}:\n{tail}")


def wait_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None, log: Path | None = None) -> None:
    """Until something listens on 127.0.0.1:port; RuntimeError when `proc` exits first or on timeout."""

    def listening() -> bool:
        _exited(proc, f"port {port} opened", log)
        return port_open(port)

    wait_until(listening, timeout, 0.1, f"port {port} to open")


def wait_healthy(
    url: str, timeout: float, proc: subprocess.Popen[bytes] | None = None, log: Path | None = None
) -> None:
    """Poll `url` until it answers 200; RuntimeError when `proc` exits first or on timeout."""
    import httpx  # noqa: PLC0415  (a runtime dependency; the CLI imports this module without it)

    def healthy() -> bool:
        _exited(proc, f"{url} was healthy", log)
        return httpx.get(url, timeout=1.0).status_code == 200

    wait_until(healthy, timeout, 0.2, f"{url} to answer 200", ignore=(httpx.HTTPError,))
