"""`make upgrade` (litellm_bundle/upgrade/): the surface diff that touches the sources, on a scratch bundle and
two real surfaces (the pinned version's, and a copy of it edited the way a LiteLLM release changes it); the
report's verdict and exit code; a version the package index cannot serve (pip's real answer); argument errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from litellm_bundle.cli.main import main
from litellm_bundle.core.facts import EXIT_PROBLEMS, EXIT_USAGE
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.model.configset import load_config_set
from litellm_bundle.policy.policies import LITELLM_SURFACE, Policies
from litellm_bundle.upgrade import steps, venv
from litellm_bundle.upgrade.surface_diff import Finding, SurfaceDiff, surface_diff
from litellm_bundle.upgrade.usage import combined, rendered_usage, source_usage
from tests.helpers import ROOT, checkout_tree, copy_tree

TARGET = "1.999.0"  # a version no index serves: the edited surface stands for it
PINNED = checkout_tree().pinned_version()
Edit = Callable[[dict[str, Any]], None]


def _line(file: Path, text: str) -> int:
    return next(n for n, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def _bundle(tmp_path: Path) -> Path:
    """A scratch bundle with the committed rendered configs (what the renderer writes) and pyproject.toml."""
    root = copy_tree(tmp_path / "bundle")
    shutil.copytree(ROOT / "rendered", root / "rendered")
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def _surface(tmp_path: Path, edits: dict[str, Edit]) -> Path:
    """The pinned surface copied as TARGET's, each file edited by edits[file name]."""
    folder = tmp_path / "surfaces" / TARGET
    shutil.copytree(checkout_tree().litellm_surface_dir(PINNED), folder)
    edits = {**edits, LITELLM_SURFACE: _chain(edits.get(LITELLM_SURFACE), lambda d: d.update(version=TARGET))}
    for name, edit in edits.items():
        data = json.loads((folder / name).read_text(encoding="utf-8"))
        edit(data)
        (folder / name).write_text(json.dumps(data, indent=1), encoding="utf-8")
    return folder


def _chain(first: Edit | None, then: Edit) -> Edit:
    def both(data: dict[str, Any]) -> None:
        if first:
            first(data)
        then(data)

    return both


def _settings(data: dict[str, Any]) -> None:
    props = data["properties"]
    del props["drop_params"]  # removed
    props["json_log"] = props.pop("json_logs")  # renamed
    props["brand_new_setting"] = {"type": "boolean"}  # new


def _params(data: dict[str, Any]) -> None:
    props = data["properties"]
    props["rpm"] = {"type": "string"}  # retyped: 6000 no longer fits
    props["timeout"] = {"type": ["number", "null"]}  # typed: 30 still fits
    props["api_version"] = {"$ref": "https://litellm-gateway.local/schemas/common.schema.json#/$defs/envRef"}


def _secret_api_version(data: dict[str, Any]) -> None:
    data["secret_params"]["litellm_params"].append("api_version")


def _router(data: dict[str, Any]) -> None:
    del data["properties"]["routing_strategy"]  # only the renderer writes it (from config/routing.yaml)


EDITS: dict[str, Edit] = {
    "litellm_settings.schema.json": _settings,
    "litellm_params.schema.json": _params,
    "router_settings.schema.json": _router,
    LITELLM_SURFACE: _secret_api_version,
}


def _diff(root: Path, target: Path) -> SurfaceDiff:
    tree = BundleTree.at(root)
    cs = load_config_set(tree, Policies(tree).environments)
    usage = combined(source_usage(cs), rendered_usage(tree, cs.environments))
    return surface_diff(tree.litellm_surface_dir(PINNED), target, usage, Policies(tree, target))


def test_the_diff_names_each_changed_key_the_sources_use_at_its_line(tmp_path: Path) -> None:
    root = _bundle(tmp_path)
    diff = _diff(root, _surface(tmp_path, EDITS))
    found: dict[tuple[str, str], Finding] = {}
    for finding in diff.findings:  # the first place of each change
        found.setdefault((finding.what, finding.change), finding)
    litellm_yaml, models_yaml = root / "config" / "litellm.yaml", root / "config" / "models.yaml"

    removed = found["litellm_settings.drop_params", "removed"]
    assert removed.breaks and removed.where == f"config/litellm.yaml:{_line(litellm_yaml, 'drop_params:')}"
    renamed = found["litellm_settings.json_logs", "renamed"]
    assert renamed.breaks and "`json_log`" in renamed.detail
    retyped = found["litellm_params.rpm", "retyped"]
    assert retyped.breaks and retyped.where == f"config/models.yaml:{_line(models_yaml, 'rpm: 6000')}"
    assert "not of type 'string'" in retyped.detail
    typed = found["litellm_params.timeout", "type changed"]
    assert not typed.breaks and "still fits" in typed.detail
    secret = found["litellm_params.api_version", "now secret"]
    assert secret.breaks and secret.where == f"config/models.yaml:{_line(models_yaml, 'api_version:')}"
    routing = found["router_settings.routing_strategy", "removed"]
    assert routing.rendered and routing.where.startswith("rendered/dev/config.yaml:")

    assert diff.new_keys["litellm_settings"] == ["brand_new_setting", "json_log"]
    assert diff.secret_params["litellm_params"] == (["api_version"], [])
    # breaks first, the sources before the rendered configs, by file and line
    order = [(f.breaks, f.rendered, f.where.split(":")[0]) for f in diff.findings]
    assert order == sorted(order, key=lambda o: (not o[0], o[1], o[2]))
    assert [f.what for f in diff.breaks][:2] == ["litellm_settings.drop_params", "litellm_settings.json_logs"]


def test_the_same_surface_changes_nothing(tmp_path: Path) -> None:
    diff = _diff(_bundle(tmp_path), _surface(tmp_path, {}))
    assert diff.findings == [] and diff.new_keys == {} and diff.secret_params == {}
    assert diff.keys_checked > 20 and diff.names_checked >= 3


def test_a_dropped_callback_or_provider_the_sources_name_breaks(tmp_path: Path) -> None:
    def names(data: dict[str, Any]) -> None:
        data["$defs"]["callback"]["enum"].remove("prometheus")
        data["$defs"]["provider"]["enum"].remove("anthropic")

    root = _bundle(tmp_path)
    diff = _diff(root, _surface(tmp_path, {"names.schema.json": names}))
    broken = {f.what: f for f in diff.breaks}
    assert broken["provider anthropic"].where.startswith("config/models.yaml:")
    assert broken["callback prometheus"].where.startswith("rendered/")  # environments turn it on; the renderer names it


def test_upgrade_with_a_removed_key_is_a_break_naming_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _bundle(tmp_path)
    report = tmp_path / "report.md"
    code = main(
        [
            "--root",
            str(root),
            "upgrade",
            "--to",
            TARGET,
            "--surface",
            str(_surface(tmp_path, EDITS)),
            "--skip",
            "boot,database",
            "--skip",
            "tests",
            "--skip",
            "bench",
            "--report",
            str(report),
        ]
    )
    assert code == EXIT_PROBLEMS
    text = report.read_text(encoding="utf-8")
    line = _line(root / "config" / "litellm.yaml", "drop_params:")
    assert "**Verdict: break**" in text
    assert f"`config/litellm.yaml:{line}` | `litellm_settings.drop_params` | removed" in text
    assert f"config/litellm.yaml:{line}:" in text.split("## 3.")[1]  # validation against the target refuses it too
    assert "| 4. boot | skipped |" in text and "| 7. bench | skipped |" in text
    assert [h for h in text.splitlines() if h.startswith("## ")] == [
        "## 1. The target installed beside the current version, its surface generated",
        "## 2. The surface diff that touches the sources",
        "## 3. Every environment validated against the target's surface",
        "## 4. Every environment booted on the target's proxy",
        "## 5. The database: the current version's data migrated to the target, and rolled back",
        "## 6. The hooks and the access reconciler on the target's proxy",
        "## 7. CPU per request, side by side",
    ]
    out = capsys.readouterr()
    assert "break" in out.err and "Traceback" not in out.err + out.out
    assert not BundleTree.at(root).litellm_venv(TARGET).exists()  # nothing to run: no venv installed


def test_skipped_steps_make_an_unchanged_surface_incomplete_not_pass(tmp_path: Path) -> None:
    root = _bundle(tmp_path)
    report = tmp_path / "report.md"
    surface = _surface(tmp_path, {})
    args = ["--root", str(root), "upgrade", "--to", TARGET, "--surface", str(surface), "--report", str(report)]
    assert main([*args, "--skip", "boot,database,tests,bench"]) == 0
    assert "**Verdict: incomplete**" in report.read_text(encoding="utf-8")


# pip's words for litellm[proxy]==1.110.2 and 1.109.3 on this package index, and for a version that does not exist
PIP_PROXY_EXTRA = """\
INFO: pip is looking at multiple versions of litellm[proxy] to determine which version is compatible with other requirements. This could take a while.
ERROR: Could not find a version that satisfies the requirement litellm-proxy==1.110.2; extra == "proxy" (from litellm[proxy]) (from versions: none)
ERROR: No matching distribution found for litellm-proxy==1.110.2; extra == "proxy"
"""  # noqa: E501
PIP_EXTRAS = """\
ERROR: Ignored the following versions that require a different python version: 0.0.0 Requires-Python >=3.14
ERROR: Could not find a version that satisfies the requirement litellm-proxy-extras==0.4.113; extra == "proxy" (from litellm[proxy]) (from versions: 0.1.0, 0.4.108, 0.4.109, 0.4.110)
ERROR: No matching distribution found for litellm-proxy-extras==0.4.113; extra == "proxy"
"""  # noqa: E501
PIP_NO_SUCH_VERSION = """\
ERROR: Could not find a version that satisfies the requirement litellm[proxy]==9.9.9 (from versions: 0.1.0, 1.110.0, 1.110.1, 1.110.2)
ERROR: No matching distribution found for litellm[proxy]==9.9.9
"""  # noqa: E501
PIP_CONFLICT = """\
ERROR: Cannot install httpx==0.28.1 and litellm[proxy]==1.200.0 because these package versions have conflicting dependencies.

The conflict is caused by:
    The user requested httpx==0.28.1
    litellm 1.200.0 depends on httpx>=0.29

To fix this you could try to:
"""  # noqa: E501


@pytest.mark.parametrize(
    ("output", "wanted", "said"),
    [
        (
            PIP_PROXY_EXTRA,
            "litellm[proxy]==1.110.2",
            "does not serve litellm-proxy==1.110.2, which litellm[proxy]==1.110.2 (its proxy extra) requires "
            "(it serves none)",
        ),
        (
            PIP_EXTRAS,
            "litellm[proxy]==1.109.3",
            "does not serve litellm-proxy-extras==0.4.113, which litellm[proxy]==1.109.3 (its proxy extra) requires "
            "(the newest it serves: 0.4.108, 0.4.109, 0.4.110)",
        ),
        (
            PIP_NO_SUCH_VERSION,
            "litellm[proxy]==9.9.9",
            "does not serve litellm[proxy]==9.9.9 (the newest it serves: 1.110.0, 1.110.1, 1.110.2)",
        ),
        (PIP_CONFLICT, "litellm[proxy]==1.200.0", "conflict: The user requested httpx==0.28.1; litellm 1.200.0"),
    ],
)
def test_pips_resolution_failure_says_what_the_index_does_not_serve(output: str, wanted: str, said: str) -> None:
    found = venv.unresolvable(output, wanted)
    assert found is not None and said in str(found)


def test_other_pip_failures_are_not_taken_for_resolution() -> None:
    assert (
        venv.unresolvable("error: subprocess-exited-with-error\n  Building wheel failed", "litellm[proxy]==1") is None
    )


def test_another_versions_venv_keeps_the_constraints_that_fit_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """constraints.txt where it fits: the pins pip names in a conflict with that version are dropped, the rest
    stay, so two versions' surfaces differ by LiteLLM and not by what pip happened to resolve."""
    root = tmp_path / "bundle"
    for folder in ("policies", "config"):
        (root / folder).mkdir(parents=True)
    (root / "LITELLM_VERSION").write_text("1.0.0\n", encoding="utf-8")
    (root / "constraints.txt").write_text("# pins\nfilelock==4.3.1\nredis==8.1.0\n", encoding="utf-8")
    seen: list[list[str]] = []

    def pip(python: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
        given = args[args.index("-c") + 1] if "-c" in args else None
        pins = [line for line in Path(given).read_text().splitlines() if "==" in line] if given else []
        seen.append(pins)
        if "filelock==4.3.1" in pins:
            conflict = "The conflict is caused by:\n    The user requested (constraint) filelock==4.3.1\n"
            return subprocess.CompletedProcess(args, 1, "", conflict)
        return subprocess.CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(venv, "_pip", pip)
    done, dropped = venv._install_constrained(BundleTree.at(root), tmp_path / "venv", ["install", "x"])
    assert done.returncode == 0 and dropped == ["filelock"]
    assert seen == [["filelock==4.3.1", "redis==8.1.0"], ["redis==8.1.0"]]


def test_a_version_the_index_cannot_serve_is_blocked_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """pip's dry run against the real package index: litellm[proxy]==1.110.2 names litellm-proxy==1.110.2,
    which the index does not serve. Blocked, exit 1, nothing installed, a report that says why."""
    root = _bundle(tmp_path)
    report = tmp_path / "blocked.md"
    code = main(["--root", str(root), "upgrade", "--to", "1.110.2", "--report", str(report)])
    out = capsys.readouterr()
    assert code == EXIT_PROBLEMS
    assert "Traceback" not in out.out + out.err
    assert "blocked" in out.err and "litellm-proxy==1.110.2" in out.err
    text = report.read_text(encoding="utf-8")
    assert "**Verdict: blocked**" in text and "does not serve litellm-proxy==1.110.2" in text
    assert "| 2. surface | not run |" in text
    assert not BundleTree.at(root).litellm_venv("1.110.2").exists()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--to", "latest"], "--to 'latest' is not a LiteLLM version"),
        (["--to", PINNED], "is the current version; nothing to upgrade"),
        (["--to", "1.108.7", "--from", "v1"], "--from 'v1' is not a LiteLLM version"),
        (["--to", "9.9.9", "--skip", "install"], "--skip install: no such step"),
        (["--to", "9.9.9", "--skip", "bench,nope"], "--skip nope: no such step"),
        (["--to", "9.9.9", "--surface", "/nonexistent"], "--surface /nonexistent: no surface.json there"),
        (["--to", "9.9.9", "--bench-repeats", "0"], "--bench-repeats 0: at least 1"),
    ],
)
def test_argument_errors_are_usage_errors(args: list[str], said: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(ROOT), "upgrade", *args]) == EXIT_USAGE
    assert said in capsys.readouterr().err


def test_the_target_version_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["upgrade"])
    assert exited.value.code == EXIT_USAGE
    assert "--to" in capsys.readouterr().err


def test_the_proxy_tests_are_counted_per_package_from_pytests_junit_xml(tmp_path: Path) -> None:
    """A real pytest run's JUnit XML (passed, failed, skipped), read per group of files."""
    (tmp_path / "tests" / "integration").mkdir(parents=True)
    (tmp_path / "tests" / "integration" / "test_a.py").write_text(
        "import pytest\n\ndef test_ok():\n    pass\n\ndef test_broken():\n    assert False\n\n"
        "@pytest.mark.skip(reason='x')\ndef test_skipped():\n    pass\n"
    )
    (tmp_path / "tests" / "database").mkdir()
    (tmp_path / "tests" / "database" / "test_b.py").write_text("def test_ok():\n    pass\n")
    xml = tmp_path / "out.xml"
    files = ["tests/integration/test_a.py", "tests/database/test_b.py"]
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={xml}", *files],
        cwd=tmp_path,
        capture_output=True,
    )
    counts = steps.junit_counts(xml, {"hooks": (files[0],), "access": (files[1],)})
    assert (counts["hooks"].passed, counts["hooks"].failed, counts["hooks"].skipped) == (1, 1, 1)
    assert counts["hooks"].failures == ["test_a::test_broken"]
    assert (counts["access"].passed, counts["access"].failed) == (1, 0)


def test_cpu_per_request_states_the_noise() -> None:
    row = {"runs": 4, "cpu_min": 9.0, "cpu_max": 10.0}
    versions = {"1.0.0": Path("a"), "1.1.0": Path("b")}
    within = {"1.0.0": {**row, "cpu_ms_per_request": 9.5}, "1.1.0": {**row, "cpu_ms_per_request": 9.9}}
    assert steps.noise(versions, within).endswith(
        "the noise (the widest range of one version's runs) is 1.00 ms: within the noise"
    )
    beyond = {**within, "1.1.0": {"runs": 4, "cpu_min": 12.0, "cpu_max": 12.5, "cpu_ms_per_request": 12.2}}
    assert "+2.70 ms" in steps.noise(versions, beyond) and steps.noise(versions, beyond).endswith("more CPU")


def test_a_surface_of_another_version_is_an_error_of_the_install_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _bundle(tmp_path)
    report = tmp_path / "report.md"
    other = str(BundleTree.at(root).litellm_surface_dir(PINNED))
    args = ["--root", str(root), "upgrade", "--to", TARGET, "--surface", other, "--report", str(report)]
    assert main([*args, "--skip", "boot,database,tests,bench"]) == EXIT_PROBLEMS
    text = report.read_text(encoding="utf-8")
    assert "**Verdict: incomplete**" in text and f"is LiteLLM {PINNED}'s surface, not {TARGET}'s" in text
    assert "| 2. surface | not run |" in text and "Traceback" not in capsys.readouterr().err
