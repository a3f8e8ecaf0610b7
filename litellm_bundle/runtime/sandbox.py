"""A process run on a read-only root filesystem, as the chart runs its containers
(`readOnlyRootFilesystem: true`, a few emptyDirs writable), with bubblewrap (Debian's `bubblewrap`).

Natively the chart's emptyDirs (`writablePaths`: /tmp, /.cache, ...) map to /tmp and the caller's cache
directories (HOME's `.cache`, where Prisma's CLI keeps its Node and engines, as the
image's `/.cache` emptyDir does for HOME=/). Everything else, the venv's site-packages included, is
read-only: what LiteLLM writes there at run time fails as it fails in a pod. The migrations Job's
`prisma generate` is such a write (LiteLLM logs it and goes on with the client baked at build time);
run unsandboxed it rewrote the shared venv's Prisma client while other proxies imported it."""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Final

BWRAP: Final = "bwrap"


class SandboxUnavailable(RuntimeError):
    """bubblewrap is not installed."""


def available() -> bool:
    return shutil.which(BWRAP) is not None


def read_only_root(
    argv: Sequence[str], writable: Iterable[Path], read_only: Iterable[Path] = (), cwd: Path | None = None
) -> list[str]:
    """`argv` wrapped so that it sees the root filesystem read-only except /tmp and `writable` (directories,
    created if missing), and `read_only` read-only again where it lies inside one of them (a checkout under
    /tmp keeps its venv read-only); network, pids and the user are shared (the test's own loopback
    PostgreSQL and the log pipe stay reachable). /tmp is the host's (bound, not a fresh tmpfs, which would
    hide a checkout or a venv under it)."""
    binary = shutil.which(BWRAP)
    if binary is None:
        raise SandboxUnavailable("bubblewrap is not installed (apt-get install bubblewrap)")
    wrapped = [binary, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for path in (Path("/tmp"), *writable):
        path.mkdir(parents=True, exist_ok=True)
        wrapped += ["--bind", str(path), str(path)]
    for path in read_only:
        wrapped += ["--ro-bind", str(path), str(path)]
    if cwd is not None:
        wrapped += ["--chdir", str(cwd)]
    return [*wrapped, "--", *argv]


def cache_dirs(home: Path) -> list[Path]:
    """The caller's counterpart of the chart's `/.cache` emptyDir: Prisma's CLI cache lives there."""
    return [home / ".cache"]
