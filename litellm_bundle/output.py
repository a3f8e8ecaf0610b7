"""Write a set of generated files all-or-nothing."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def write_tree_atomically(target: Path, files: dict[str, str]) -> None:
    """Replace directory `target` with exactly `files` (relative path -> text).

    Everything is written to a sibling temporary directory first; only when all files are
    written is the old directory swapped out, so a failure never leaves a half-written tree.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for rel, text in sorted(files.items()):
            out = staging / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old.{os.getpid()}")
            target.rename(old)
        staging.rename(target)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def read_tree(target: Path) -> dict[str, str]:
    if not target.exists():
        return {}
    return {str(p.relative_to(target)): p.read_text(encoding="utf-8") for p in sorted(target.rglob("*")) if p.is_file()}


def write_text_atomically(target: Path, text: str) -> None:
    """Write one file via a temporary sibling and rename: readers see the old or the new file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
