"""What a change to config/ does to the rendered output, per environment, against a git ref."""

from __future__ import annotations

import difflib
import io
import subprocess
import tarfile
import tempfile
from pathlib import Path

from . import paths
from .render import render_all
from .validate import validate

SOURCE_PATHS = ("config", "policies", "LITELLM_VERSION")


def default_ref(root: Path = paths.ROOT) -> str:
    """The merge base with main (origin/main preferred), else HEAD."""
    for branch in ("origin/main", "main"):
        result = subprocess.run(["git", "merge-base", "HEAD", branch], cwd=root, capture_output=True, text=True)
        if result.returncode == 0 and result.stdout.strip():
            return result.stdout.strip()
    return "HEAD"


def _render_at_ref(root: Path, ref: str) -> dict[str, dict[str, str]]:
    archive = subprocess.run(["git", "archive", "--format=tar", ref, *SOURCE_PATHS], cwd=root, capture_output=True)
    if archive.returncode != 0:
        raise RuntimeError(f"cannot read {', '.join(SOURCE_PATHS)} at git ref '{ref}': {archive.stderr.decode().strip()}")
    with tempfile.TemporaryDirectory(prefix="render-ref-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        cs, problems = validate(Path(tmp))
        if problems:
            raise RuntimeError(f"config at git ref '{ref}' does not validate ({len(problems)} problem(s)); pick another --ref")
        return render_all(cs, Path(tmp))


def diff_rendered(root: Path, ref: str) -> str:
    """Markdown: one section per environment with a unified diff of each changed rendered file."""
    cs, problems = validate(root)
    if problems:
        raise RuntimeError("the working tree's config does not validate; run `make validate`")
    new = render_all(cs, root)
    old = _render_at_ref(root, ref)
    sections = []
    for env in sorted(set(new) | set(old)):
        chunks = []
        files = sorted(set(new.get(env, {})) | set(old.get(env, {})))
        for name in files:
            before = old.get(env, {}).get(name, "")
            after = new.get(env, {}).get(name, "")
            if before == after:
                continue
            lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/rendered/{env}/{name}", f"b/rendered/{env}/{name}")
            chunks.append("```diff\n" + "".join(lines).rstrip("\n") + "\n```")
        body = "\n".join(chunks) if chunks else "_no change_"
        sections.append(f"### {env}\n\n{body}\n")
    return f"## Rendered changes against `{ref[:12]}`\n\n" + "\n".join(sections)
