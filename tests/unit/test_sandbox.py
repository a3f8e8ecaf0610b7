"""runtime/sandbox.py: a command on a read-only root with bubblewrap, as the chart runs its containers."""

from __future__ import annotations

import subprocess
from pathlib import Path

from litellm_bundle.runtime import sandbox


def attempt(wrapped: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(wrapped, capture_output=True, text=True, timeout=30)


def test_only_tmp_and_the_writable_paths_take_writes(tmp_path: Path) -> None:
    assert sandbox.available(), "bubblewrap is installed by .ci/run (apt-get install bubblewrap)"
    cache, venv = tmp_path / "cache", tmp_path / "venv"
    venv.mkdir()

    def wrap(script: str) -> list[str]:
        return sandbox.read_only_root(["sh", "-c", script], [cache], read_only=[venv], cwd=venv)

    assert attempt(wrap(f"touch {cache}/a && touch /tmp/gateway-sandbox-{tmp_path.name}")).returncode == 0
    assert (cache / "a").exists() and cache.is_dir()
    Path(f"/tmp/gateway-sandbox-{tmp_path.name}").unlink()
    for outside in ("/etc/gateway-sandbox-probe", f"{venv}/prisma.py"):  # the root, a venv inside /tmp
        refused = attempt(wrap(f"touch {outside}"))
        assert refused.returncode != 0 and "Read-only file system" in refused.stderr, outside
    assert attempt(wrap("pwd")).stdout.strip() == str(venv)
