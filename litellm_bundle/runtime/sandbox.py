"""A native process run in its pod's sandbox (runtime/pod.py, from the rendered manifests) with bubblewrap
(Debian's `bubblewrap`): the chart's uid/gid in a user namespace, no capabilities, a read-only root, and
only the pod's emptyDirs writable, each a fresh host directory bound at its mount path (/tmp, /.cache,
/app/cache, /var/lib/litellm/prometheus, ...).

The root is built from read-only binds of the host's entries (not `--ro-bind / /`), so that mount paths
missing on the host can be created on the way; then `--remount-ro /`. The pod's /tmp is a fresh directory
too: what the native run needs under the host's /tmp (a checkout, a venv, pytest's staged files) is bound
back read-only at its own path (`visible`; a fresh tmpfs over /tmp once hid a checkout there). Network and
pids are shared: the test's loopback PostgreSQL, Redis and fake provider stay reachable.

What it does not reproduce: the uid is the chart's inside the namespace but the host's root outside, so
file permissions on the host do not refuse what they would refuse to the pod's uid; the read-only mounts
do. Writes outside the emptyDirs fail with EROFS; `refused_writes` finds them in the process's log."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import psutil

from litellm_bundle.runtime.pod import PodSandbox

BWRAP: Final = "bwrap"
# how a refused write shows in a log: Python's OSError, Node's (Prisma's CLI) and the C library's wording
REFUSED_WRITES: Final = Path(__file__).with_name("refused_writes.json")
# host entries the sandbox makes itself
_OWN: Final = ("/proc", "/dev")


class SandboxUnavailable(RuntimeError):
    """bubblewrap is not installed."""


def available() -> bool:
    return shutil.which(BWRAP) is not None


def pod_command(
    argv: Sequence[str],
    pod: PodSandbox,
    scratch: Path,
    visible: Iterable[Path] = (),
    cwd: Path | None = None,
    sources: Mapping[str, Path] | None = None,
) -> list[str]:
    """`argv` wrapped to run in `pod`'s sandbox: each emptyDir a fresh directory under `scratch` (emptied
    first) bound at its mount path, everything else read-only; `visible`: host paths the native run needs
    (staged config, checkout, venv) bound read-only at their own path where an emptyDir covers them;
    `sources`: a configMap/secret mount path -> the host directory of its staged files, bound read-only
    there (a mount without a source is left out: the native run reads those files where they are)."""
    binary = shutil.which(BWRAP)
    if binary is None:
        raise SandboxUnavailable("bubblewrap is not installed (apt-get install bubblewrap)")
    wrapped = [binary]
    if pod.uid is not None:
        wrapped += ["--unshare-user", "--uid", str(pod.uid), "--gid", str(pod.gid if pod.gid is not None else pod.uid)]
    if pod.drop_all:
        wrapped += ["--cap-drop", "ALL"]  # bubblewrap always sets no_new_privs (allowPrivilegeEscalation: false)
    staged = {mount: path for mount, path in (sources or {}).items() if mount in pod.read_only_mounts}
    wrapped += host_root((*pod.empty_dirs, *staged) if pod.read_only_root else ("/",))
    wrapped += ["--dev", "/dev", "--tmpfs", "/dev/shm", "--proc", "/proc"]
    for mount in pod.empty_dirs:
        host = host_dir(scratch, mount)
        shutil.rmtree(host, ignore_errors=True)
        host.mkdir(parents=True)
        wrapped += ["--bind", str(host), mount]
    for mount, source in staged.items():
        wrapped += ["--ro-bind", str(source), mount]
    for shown in sorted({str(p.resolve()) for p in visible}, key=len):
        if pod.writable(shown):
            wrapped += ["--ro-bind", shown, shown]
    if pod.read_only_root:
        wrapped += ["--remount-ro", "/"]
    if cwd is not None:
        wrapped += ["--chdir", str(cwd)]
    return [*wrapped, "--", *argv]


def host_dir(scratch: Path, mount: str) -> Path:
    """The host directory that stands for the emptyDir at `mount` (what the test reads back)."""
    return scratch / ("empty" + mount.replace("/", "-"))


def host_root(mounts: Sequence[str]) -> list[str]:
    """bubblewrap arguments for a root of read-only binds of the host's entries, with a directory of the
    root's own (read-only once the root is remounted) on the way to each of `mounts`, whose host entry is
    left out for the mount to take its place."""
    if "/" in mounts:
        return ["--bind", "/", "/"]
    args: list[str] = []

    def walk(directory: Path) -> None:
        for child in sorted(directory.iterdir()):
            name = str(child)
            if name in _OWN or name in mounts:
                continue
            on_the_way = any(m.startswith(name + "/") for m in mounts)
            if child.is_symlink():
                args.extend(["--symlink", os.readlink(child), name])
            elif on_the_way and child.is_dir():
                args.extend(["--dir", name])
                walk(child)
            else:
                args.extend(["--ro-bind", name, name])

    walk(Path("/"))
    return args


def terminate(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the sandboxed command itself (bubblewrap does not pass signals on), else to `proc`."""
    try:
        process = psutil.Process(proc.pid)
        targets = (process.children() if _is_bwrap(proc) else []) or [process]
    except psutil.NoSuchProcess:
        return
    for target in targets:
        with contextlib.suppress(psutil.NoSuchProcess):
            target.send_signal(signal.SIGTERM)


def _is_bwrap(proc: subprocess.Popen[bytes]) -> bool:
    args = proc.args if isinstance(proc.args, list) else [proc.args]
    return bool(args) and Path(str(args[0])).name == BWRAP


def _refusals() -> dict[str, Any]:
    return dict(json.loads(REFUSED_WRITES.read_text(encoding="utf-8")))


def refused_writes(log_text: str) -> list[str]:
    """The paths a sandboxed process was refused writing, as its log names them (each once, in order)."""
    found: dict[str, None] = {}
    for pattern in _refusals()["patterns"]:
        for match in re.finditer(pattern, log_text):
            found.setdefault(match.group("path"), None)
    return list(found)


def expected(pod: PodSandbox, path: str) -> bool:
    """Whether the container is known to log this refusal and go on (refused_writes.json `expected`)."""
    return any(e["container"] == pod.container and e["path"] in path for e in _refusals()["expected"])


def writes_outside(output: str, pod: PodSandbox) -> list[str]:
    """Every write outside the pod's mounts is a failure with the path named: the refused writes in a
    process's output that are not `expected`, one line each with the workload (empty: there are none)."""
    return [
        f"{pod.workload}: a write outside the pod's emptyDirs: {path}"
        for path in refused_writes(output)
        if not expected(pod, path)
    ]
