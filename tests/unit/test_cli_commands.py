"""The CLI is the only command line and the only printer (issue 21): check-config, cluster and the local
stack's commands print what the modules below return, with the documented exit codes; no module below
the CLI prints or exits."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from litellm_bundle.cli.main import main
from litellm_bundle.cluster import control_plane
from litellm_bundle.core import facts
from litellm_bundle.runtime import boot_check, processes
from tests.helpers import ROOT

PACKAGE = ROOT / "litellm_bundle"
PRINTERS = (PACKAGE / "cli", PACKAGE / "__main__.py")  # the command line itself


def _output_calls(module: Path) -> list[str]:
    """print(...), sys.exit(...) and sys.stdout / sys.stderr in a module's code (not in its strings)."""
    found = []
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
            found.append(f"{module.relative_to(ROOT)}:{node.lineno}: print")
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "sys"
            and node.attr in ("exit", "stdout", "stderr")
        ):
            found.append(f"{module.relative_to(ROOT)}:{node.lineno}: sys.{node.attr}")
    return found


def test_only_the_cli_prints_and_exits() -> None:
    modules = [m for m in sorted(PACKAGE.rglob("*.py")) if not any(m.is_relative_to(p) for p in PRINTERS)]
    assert modules
    assert [call for module in modules for call in _output_calls(module)] == []


def test_check_config_prints_each_boot_and_fails_on_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    seen: dict[str, object] = {}

    def check_environments(tree: object, envs: list[str], work: Path) -> list[boot_check.Boot]:
        seen.update(envs=envs, work=work)
        return [boot_check.Boot("dev", models=["gpt-4o"]), boot_check.Boot("prod", failures=["callback x"])]

    monkeypatch.setattr(boot_check, "check_environments", check_environments)
    code = main(["--root", str(ROOT), "check-config", "--env", "dev", "--env", "prod", "--keep", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == facts.EXIT_PROBLEMS
    assert seen == {"envs": ["dev", "prod"], "work": tmp_path}
    assert out == "dev: booted (1 model groups)\n"
    assert err == "prod: did not boot cleanly\n  callback x\n"
    monkeypatch.setattr(boot_check, "check_environments", lambda tree, envs, work: [boot_check.Boot(envs[0])])
    assert main(["--root", str(ROOT), "check-config", "--env", "dev"]) == facts.EXIT_OK


def test_check_config_refuses_an_unknown_environment(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(ROOT), "check-config", "--env", "nope"]) == facts.EXIT_USAGE
    assert capsys.readouterr().err.startswith("check-config: unknown environment nope (known: ")


def test_cluster_down_with_nothing_running(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "cluster"
    assert main(["--root", str(ROOT), "cluster", "down", "--state-dir", str(state)]) == facts.EXIT_OK
    assert capsys.readouterr().out == f"no local Kubernetes running in {state}\n"


def test_cluster_failures_and_interrupts_are_the_cli_s(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def fails(*args: object, **kwargs: object) -> control_plane.Up:
        raise RuntimeError("local Kubernetes v1.35.4 is not built: run `make cluster-build`")

    monkeypatch.setattr(control_plane, "up", fails)
    assert main(["--root", str(ROOT), "cluster", "up", "--state-dir", str(tmp_path)]) == facts.EXIT_PROBLEMS
    assert capsys.readouterr().err == "cluster up: local Kubernetes v1.35.4 is not built: run `make cluster-build`\n"

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(control_plane, "build", interrupted)
    assert main(["--root", str(ROOT), "cluster", "build"]) == facts.EXIT_INTERRUPTED == 130
    assert capsys.readouterr().err == "cluster build: interrupted\n"


def test_the_stack_reports_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state, env_file = tmp_path / "run", tmp_path / ".env"
    paths = ["--state-dir", str(state), "--env-file", str(env_file)]
    assert main(["--root", str(ROOT), "down", *paths]) == facts.EXIT_OK
    assert capsys.readouterr().out == "nothing was running\n"
    assert main(["--root", str(ROOT), "logs", "--no-follow", *paths]) == facts.EXIT_PROBLEMS
    assert capsys.readouterr().err == "logs: no logs: run `make up` first\n"
    sleeper = processes.spawn(["sleep", "60"], tmp_path / "sleep.log")
    try:
        (state / "pids").mkdir(parents=True)
        (state / "pids" / "sleeper.pid").write_text(f"{sleeper.pid}\n")
        assert main(["--root", str(ROOT), "up", "--native", *paths]) == facts.EXIT_PROBLEMS
        assert capsys.readouterr().err == f"up: already running (sleeper={sleeper.pid}); `make down` first\n"
        assert main(["--root", str(ROOT), "down", *paths]) == facts.EXIT_OK
        assert capsys.readouterr().out == "stopped sleeper\n"
    finally:
        processes.stop(sleeper)
