"""config/waivers.yaml: a waiver names a waivable check by id (with environments, a file, a key and a
reason); a waived problem is reported as waived and fails nothing; a bad or stale waiver is reported."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from litellm_bundle.checks import validate as validation
from litellm_bundle.cli.main import main
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.policy.policies import Policies
from tests.helpers import ROOT

STAGING = "config/environments/staging.yaml"
REASON = "Staging runs more pods than the autoscaler keeps while we measure (OPS-7)."


def _edit(root: Path, file: str, old: str, new: str) -> None:
    path = root / file
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))


def _waivers(root: Path, text: str) -> None:
    (root / "config" / "waivers.yaml").write_text("waivers:\n" + text)


def _run(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--root", str(root), "validate", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def with_a_warning(repo_copy: Path) -> Path:
    _edit(repo_copy, STAGING, "replicas: 2", "replicas: 6")  # replicas-ignored, a waivable warning
    return repo_copy


def test_a_waived_warning_is_reported_and_fails_nothing(
    with_a_warning: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _waivers(
        with_a_warning,
        f"  - check: replicas-ignored\n    environments: [staging]\n    file: {STAGING}\n"
        f"    key: replicas\n    reason: {REASON}\n",
    )
    code, out, err = _run(with_a_warning, capsys, "--strict")
    assert code == 0, err
    assert out == "config valid for dev, staging, prod (1 waived)\n"
    assert err.startswith(f"{STAGING}:4:11: waived: [staging] replicas 6 is outside the autoscaling range")
    assert err.rstrip().endswith(f"(waiver: {REASON}) [replicas-ignored]")
    code, out, _ = _run(with_a_warning, capsys, "--strict", "--format", "json")
    document = json.loads(out)
    assert (code, document["valid"], document["warnings"], document["waived"]) == (0, True, 0, 1)
    assert document["problems"][0]["waived"] == REASON and document["problems"][0]["key"] == "replicas"
    code, out, _ = _run(with_a_warning, capsys, "--format", "github")
    assert out.startswith(f"::notice file={STAGING},line=4,col=11,")


def test_a_waiver_narrowed_elsewhere_waives_nothing_and_is_unused(
    with_a_warning: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _waivers(
        with_a_warning,
        f"  - check: replicas-ignored\n    environments: [prod]\n    reason: {REASON}\n"
        f"  - check: replicas-ignored\n    key: autoscaling\n    reason: {REASON}\n",
    )
    problems = validation.run(Policies(BundleTree.at(with_a_warning)), debug=True).problems
    assert [(p.check, p.location.file, p.location.line, p.severity, p.waived) for p in problems] == [
        ("replicas-ignored", STAGING, 4, "warning", None),
        ("waiver-unused", "config/waivers.yaml", 2, "warning", None),
        ("waiver-unused", "config/waivers.yaml", 5, "warning", None),
    ]
    assert "waiver of replicas-ignored matches no problem; remove it" in problems[1].message


def test_a_waiver_for_an_environment_left_out_is_not_judged(
    repo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _waivers(repo_copy, f"  - check: unused\n    environments: [prod]\n    reason: {REASON}\n")
    assert _run(repo_copy, capsys, "--strict", "--env", "dev")[0] == 0
    code, _, err = _run(repo_copy, capsys, "--strict")
    assert code == 1 and "config/waivers.yaml:2:5: warning: waiver of unused matches no problem" in err, err


def test_only_a_waivable_check_may_be_waived(repo_copy: Path) -> None:
    _waivers(repo_copy, f"  - check: schema\n    reason: {REASON}\n  - check: replica-ignored\n    reason: {REASON}\n")
    problems = validation.run(Policies(BundleTree.at(repo_copy)), debug=True).problems
    assert [(p.check, p.location.line) for p in problems] == [("waiver-invalid", 2), ("waiver-invalid", 4)]
    assert "waiver of check 'schema', which cannot be waived (waivable: " in problems[0].message
    assert "waiver of check 'replica-ignored', which does not exist; did you mean 'replicas-ignored'?" in (
        problems[1].message
    )


def test_the_same_problem_waived_in_one_environment_stays_an_error_in_another(repo_copy: Path) -> None:
    for env in ("staging", "prod"):
        _edit(
            repo_copy,
            f"config/environments/{env}.yaml",
            "model_groups: [",
            "litellm:\n  general_settings:\n    store_model_in_db: true\nmodel_groups: [",
        )
    _waivers(repo_copy, f"  - check: store-model-in-db\n    environments: [prod]\n    reason: {REASON}\n")
    result = validation.run(Policies(BundleTree.at(repo_copy)), debug=True)
    assert [(p.env, p.check) for p in result.waived] == [("prod", "store-model-in-db")]
    assert result.errors == []  # staging has no such policy: the setting is allowed there


def test_a_waiver_cannot_hide_an_error_the_renderer_needs(repo_copy: Path) -> None:
    _edit(repo_copy, "config/routing.yaml", "gpt-4o: [claude-sonnet]", "gpt-4o: [claude-opus]")
    _waivers(repo_copy, f"  - check: unknown-model-group\n    reason: {REASON}\n")
    result = validation.run(Policies(BundleTree.at(repo_copy)), debug=True)
    assert sorted(p.check for p in result.errors) == ["unknown-model-group", "waiver-invalid"]


def test_the_documented_waiver_waives_what_it_says(repo_copy: Path) -> None:
    section = (ROOT / "docs" / "validation.md").read_text().split("## Waivers", 1)[1]
    documented = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert documented, "docs/validation.md has no yaml block in its Waivers section"
    _edit(
        repo_copy,
        "config/environments/prod.yaml",
        "model_groups: [",
        "litellm:\n  general_settings:\n    store_model_in_db: true\nmodel_groups: [",
    )
    (repo_copy / "config" / "waivers.yaml").write_text(documented.group(1))
    result = validation.run(Policies(BundleTree.at(repo_copy)), debug=True)
    assert [(p.check, p.env) for p in result.problems] == [("store-model-in-db", "prod")]
    assert result.problems[0].waived
