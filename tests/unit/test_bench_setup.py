"""scripts/bench_setup.py: `make bench` finds the image's interpreter the way a machine offers it (a pyenv shim
on PATH that fails is passed over), says what to install when there is none, and the bench's proxies never
load the checkout's .env."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from litellm_bundle.core.facts import NO_DOTENV
from litellm_bundle.runtime import launch, migration_job

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import bench_setup  # noqa: E402  (from scripts/, on the path above)


def executable(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A machine with nothing on PATH but tmp/bin, and a pyenv root of its own."""
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    return tmp_path


def test_a_failing_shim_on_path_is_passed_over_for_pyenvs_version(machine: Path) -> None:
    # what pyenv's shim does when 3.13 is installed but not selected: on PATH, exits 127
    executable(machine / "bin" / "python3.13", "echo 'pyenv: python3.13: command not found' >&2; exit 127")
    executable(machine / "pyenv" / "versions" / "3.13.0" / "bin" / "python3.13", "echo 3.13")
    newer = executable(machine / "pyenv" / "versions" / "3.13.2" / "bin" / "python3.13", "echo 3.13")
    assert bench_setup.find_python("3.13") == (str(machine / "pyenv" / "versions"), str(newer))


def test_path_comes_first_then_pyenv_then_uv(machine: Path) -> None:
    prefix = machine / "prefix"
    executable(prefix / "bin" / "python3.13", "echo 3.13")
    executable(machine / "bin" / "pyenv", f'[ "$1 $2" = "prefix 3.13" ] && echo {prefix}')
    uv_python = executable(machine / "uv-python" / "python3.13", "echo 3.13")
    executable(machine / "bin" / "uv", f'[ "$1 $2 $3" = "python find 3.13" ] && echo {uv_python}')
    assert bench_setup.find_python("3.13") == ("pyenv prefix", str(prefix / "bin" / "python3.13"))
    (machine / "bin" / "pyenv").unlink()
    assert bench_setup.find_python("3.13") == ("uv python find", str(uv_python))
    on_path = executable(machine / "bin" / "python3.13", "echo 3.13")
    assert bench_setup.find_python("3.13") == ("PATH", str(on_path))


def test_a_binary_of_another_version_does_not_count(machine: Path) -> None:
    executable(machine / "bin" / "python3.13", "echo 3.12")
    assert bench_setup.find_python("3.13") is None


def test_none_found_says_what_to_install(machine: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_setup.main(["python", "3.13"]) == 2
    err = capsys.readouterr().err
    assert "make bench needs Python 3.13" in err
    assert "`pyenv install 3.13`" in err and "`uv python install 3.13`" in err and "python3.13-venv" in err


def test_the_image_venv_is_made_with_the_interpreter_found() -> None:
    rule = (ROOT / "Makefile").read_text().split("$(IMAGE_VENV)/.stamp:", 1)[1].split("\n\n", 1)[0]
    assert "scripts/bench_setup.py python $(IMAGE_PYTHON)" in rule
    assert "\tpython$(IMAGE_PYTHON)" not in rule and "command -v python$(IMAGE_PYTHON)" not in rule


def test_proxy_env_turns_off_dotenv_and_leaves_the_database_out() -> None:
    env = bench_setup.proxy_env({"DATABASE_URL": "", "LITELLM_RUST": "true", "KEEP": "1", "LITELLM_MODE": "DEV"})
    assert env == {"KEEP": "1", "LITELLM_MODE": "PRODUCTION"}


PROBE = 'import os\nimport litellm\nprint(repr(os.environ.get("DATABASE_URL")), os.environ.get("BENCH_DOTENV"))\n'


def test_litellm_in_a_venv_inside_the_checkout_loads_its_env_unless_the_bench_env_stops_it(tmp_path: Path) -> None:
    """LiteLLM's DEV mode loads the first .env above its own package, whatever the working directory: a venv
    inside a checkout (the bench's .tools/py313, .venv) reaches the checkout's .env. Laid out here as a
    checkout (tmp) whose venv's site-packages is this interpreter's, a .env like the one `make down` leaves."""
    spec = importlib.util.find_spec("litellm")  # where it is installed, without importing it here
    assert spec is not None and spec.origin is not None
    site = tmp_path / "checkout" / "venv" / "site-packages"
    site.parent.mkdir(parents=True)
    site.symlink_to(Path(spec.origin).parent.parent)
    (tmp_path / "checkout" / ".env").write_text("DATABASE_URL=\nBENCH_DOTENV=loaded\n")
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "BENCH_DOTENV", "LITELLM_MODE")}
    base.update({"PYTHONPATH": str(site), "LITELLM_LOCAL_MODEL_COST_MAP": "True"})
    runs = {
        name: subprocess.Popen(
            [sys.executable, str(probe)], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        for name, env in (("default", base), ("bench", bench_setup.proxy_env(base)))
    }
    out = {name: run.communicate(timeout=300)[0].decode().strip() for name, run in runs.items()}
    assert out["default"] == "'' loaded", "the layout reproduces LiteLLM loading the checkout's .env"
    assert out["bench"] == "None None"


def test_every_litellm_the_bundle_runs_or_imports_loads_no_env_file() -> None:
    """The mode the test above proves loads no .env is what the tests' proxies, the migrations Job, the bench and
    the tooling's own import of LiteLLM run in (a `.env` left by `make up` once failed `make test`)."""
    assert bench_setup.ISOLATED == NO_DOTENV
    assert NO_DOTENV.items() <= launch.proxy_env().items()
    assert NO_DOTENV.items() <= migration_job.job_env(Path("venv"), "postgresql://db", {}).items()
    assert NO_DOTENV.items() <= os.environ.items()  # tests/conftest.py, for the LiteLLM the tests import
