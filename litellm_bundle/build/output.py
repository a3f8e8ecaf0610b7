"""The generated tree on disk: written all-or-nothing, compared with what a generation produces.

Generated files are owned by *areas*: a directory (`rendered/`: every file in it is generated, a
file no generation produces is stale) or a single file (`.env.example`)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

Files = Mapping[str, bytes]  # relative path -> content


def area_of(path: str, areas: tuple[str, ...]) -> str | None:
    """The area (a "dir/" or a file path) that owns `path`, if any."""
    for area in areas:
        if path == area or (area.endswith("/") and path.startswith(area)):
            return area
    return None


def read_area(out_dir: Path, area: str) -> dict[str, bytes]:
    """What is on disk in one area: relative path -> content."""
    target = out_dir / area
    if area.endswith("/"):
        if not target.is_dir():
            return {}
        return {str(p.relative_to(out_dir)): p.read_bytes() for p in sorted(target.rglob("*")) if p.is_file()}
    return {area: target.read_bytes()} if target.is_file() else {}


def stale(out_dir: Path, files: Files, areas: tuple[str, ...]) -> list[str]:
    """Paths whose content on disk differs from `files` (changed, missing or no longer generated)."""
    on_disk: dict[str, bytes] = {}
    for area in areas:
        on_disk.update(read_area(out_dir, area))
    wanted = {path: data for path, data in files.items() if area_of(path, areas)}
    return sorted(path for path in set(wanted) | set(on_disk) if wanted.get(path) != on_disk.get(path))


def write_areas(out_dir: Path, files: Files, areas: tuple[str, ...]) -> None:
    """Replace each area under `out_dir` with exactly the generated files that belong to it.

    Everything is written to a staging directory inside `out_dir` first; only when every file is
    written are the areas swapped in, each by a rename, so a failure never leaves a half-written
    tree (a crash between two renames leaves each area either old or new, never partial)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".generated.", dir=out_dir))
    try:
        for path, data in sorted(files.items()):
            if area_of(path, areas) is None:
                raise ValueError(f"{path} belongs to no generated area {areas}")
            target = staging / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        for area in areas:
            _swap(staging / area.rstrip("/"), out_dir / area.rstrip("/"), staging, is_dir=area.endswith("/"))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _swap(new: Path, target: Path, staging: Path, is_dir: bool) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if is_dir:
        new.mkdir(parents=True, exist_ok=True)  # an area that generates nothing ends up empty
        old = staging / f".old.{target.name}"
        if target.exists():
            target.rename(old)
        new.rename(target)
    elif new.exists():
        os.replace(new, target)
    else:
        target.unlink(missing_ok=True)
