#!/usr/bin/env python3
"""What `make bench` needs before it measures, found the way a user's machine offers it.

`python VERSION`: the path of a working Python VERSION (the official image's interpreter, for the bench's
proxies), looked for in order: `pythonX.Y` on PATH (run, not only found: a pyenv shim of a version that is
installed but not selected is on PATH and fails), `pyenv prefix X.Y`, `uv python find X.Y`, then
$PYENV_ROOT/versions/X.Y* (default ~/.pyenv). None: exit 2 and say what to install.

`proxy_env`: the bench's proxies independent of the checkout: LiteLLM's DEV mode (its default) loads the
first .env above its own package (`dotenv.load_dotenv()` in litellm/__init__.py and proxy/proxy_cli.py), and
the bench's venvs live inside the checkout, so a `.env` left by `make up` (DATABASE_URL empty) would reach
them whatever their working directory.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

# the bench's proxies get every variable from the bench; none of the checkout's .env
ISOLATED = {"LITELLM_MODE": "PRODUCTION"}
# what a checkout's .env or the user's shell may hold that would turn on what the bench leaves out
DROPPED = ("DATABASE_URL", "LITELLM_RUST", "STORE_MODEL_IN_DB")


def proxy_env(env: Mapping[str, str]) -> dict[str, str]:
    """`env` for a bench proxy: LiteLLM's .env loading off and the database left out; the Rust core is
    off unless the arm's own variables turn it on (`LITELLM_RUST` is set after this)."""
    isolated = {k: v for k, v in env.items() if k not in DROPPED}
    isolated.update(ISOLATED)
    return isolated


def _version_of(binary: str) -> str | None:
    """X.Y of a Python binary that runs, else None."""
    try:
        done = subprocess.run(
            [binary, "-c", "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _output(cmd: list[str]) -> str | None:
    """The first line of a command's output, None when it is missing or fails."""
    if shutil.which(cmd[0]) is None:
        return None
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = done.stdout.strip().splitlines()
    return lines[0] if done.returncode == 0 and lines else None


def candidates(version: str, home: Path | None = None) -> Iterator[tuple[str, str]]:
    """(where it came from, path) of each place a Python `version` may be, in the order of the docstring."""
    name = f"python{version}"
    on_path = shutil.which(name)
    if on_path:
        yield "PATH", on_path
    prefix = _output(["pyenv", "prefix", version])
    if prefix:
        yield "pyenv prefix", str(Path(prefix) / "bin" / name)
    found = _output(["uv", "python", "find", version])
    if found:
        yield "uv python find", found
    root = Path(os.environ.get("PYENV_ROOT") or (home or Path.home()) / ".pyenv")
    for installed in sorted((root / "versions").glob(f"{version}*"), reverse=True):
        yield str(root / "versions"), str(installed / "bin" / name)


def find_python(version: str, home: Path | None = None) -> tuple[str, str] | None:
    """(where, path) of the first candidate that runs and reports `version`."""
    return next(((where, p) for where, p in candidates(version, home) if _version_of(p) == version), None)


def missing(version: str) -> str:
    return (
        f"make bench needs Python {version}, the official LiteLLM image's interpreter (its proxies run on it); "
        f"none runs from PATH (python{version}), `pyenv prefix {version}`, `uv python find {version}` or "
        f"~/.pyenv/versions/{version}*. Install one: `pyenv install {version}`, `uv python install {version}`, "
        f"or your system's package (python{version} with its venv module, e.g. python{version}-venv)."
    )


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "python":
        print("usage: bench_setup.py python X.Y", file=sys.stderr)
        return 2
    found = find_python(argv[1])
    if found is None:
        print(missing(argv[1]), file=sys.stderr)
        return 2
    where, path = found
    print(f"make bench: Python {argv[1]} from {where}: {path}", file=sys.stderr)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
