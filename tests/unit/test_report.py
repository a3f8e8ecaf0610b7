"""The reporters every command shares (cli/report.py): SARIF 2.1.0 valid against the OASIS schema, the
same result in every format, and the exit codes of docs/validation.md."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator

from litellm_bundle.cli import report
from litellm_bundle.cli.main import main
from litellm_bundle.core import facts
from litellm_bundle.core.problems import Location, Problem, Result
from litellm_bundle.policy import registry
from tests.helpers import ROOT

SARIF_SCHEMA = json.loads((ROOT / "policies" / "external" / "sarif-schema-2.1.0.json").read_text())
CHECKS = registry.load()
STAGING = "config/environments/staging.yaml"


def _valid_sarif(text: str) -> dict[str, Any]:
    document = json.loads(text)
    errors = sorted(Draft4Validator(SARIF_SCHEMA).iter_errors(document), key=str)
    assert errors == [], errors[0].message
    return document


def _edit(root: Path, file: str, old: str, new: str) -> None:
    path = root / file
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))


def test_the_vendored_schema_is_sarif_2_1_0() -> None:
    Draft4Validator.check_schema(SARIF_SCHEMA)
    assert SARIF_SCHEMA["id"] == report.SARIF_SCHEMA and "2.1.0" in SARIF_SCHEMA["title"]


def test_validate_as_sarif(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit(repo_copy, "config/routing.yaml", "gpt-4o: [claude-sonnet]", "gpt-4o: [claude-opus]")
    _edit(repo_copy, STAGING, "replicas: 2", "replicas: 6")
    _edit(
        repo_copy,
        "config/environments/prod.yaml",
        "model_groups: [",
        "litellm:\n  general_settings:\n    store_model_in_db: true\nmodel_groups: [",
    )
    (repo_copy / "config" / "waivers.yaml").write_text(
        "waivers:\n  - check: store-model-in-db\n    environments: [prod]\n"
        "    reason: The platform team adds models in the UI until the migration ends.\n"
    )
    code = main(["--root", str(repo_copy), "validate", "--format", "sarif"])
    out, err = capsys.readouterr()
    assert code == facts.EXIT_PROBLEMS and err == "validation failed: 1 error(s), 1 warning(s), 1 waived\n"
    run = _valid_sarif(out)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(CHECKS.checks)
    results = {r["ruleId"]: r for r in run["results"]}
    assert set(results) == {"unknown-model-group", "replicas-ignored", "store-model-in-db"}
    error, warning, waived = results["unknown-model-group"], results["replicas-ignored"], results["store-model-in-db"]
    assert rules[error["ruleIndex"]]["id"] == "unknown-model-group"
    assert (error["level"], warning["level"]) == ("error", "warning")
    assert error["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "config/routing.yaml"},
        "region": {"startLine": 8, "startColumn": 12},
    }
    assert warning["message"]["text"].startswith("[staging] replicas 6 is outside the autoscaling range")
    assert waived["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "The platform team adds models in the UI until the migration ends.",
        }
    ]


def test_the_shipped_config_as_sarif_has_no_result(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(ROOT), "validate", "--strict", "--format", "sarif"]) == facts.EXIT_OK
    out, err = capsys.readouterr()
    assert _valid_sarif(out)["runs"][0]["results"] == [] and err == "config valid for dev, staging, prod\n"


def _outcome(result: Result, command: str = "scan", **how: Any) -> report.Outcome:
    return report.Outcome(command, result, CHECKS, **how)


def test_every_command_reports_through_the_same_formats() -> None:
    leak = Problem(Location("config/notes.txt", 3, 5), "aws-access-token: AWS (commit 1234567890)", check="gitleaks")
    outside = Problem(
        Location("/tmp/elsewhere/config.yaml", 2, 1), "redis_url cannot be imported", check="import-unsupported"
    )
    outcome = _outcome(Result([leak, outside], notes=["ok  dev k8s 1.33.0"]), failure=" (allowlist: .gitleaks.toml)")
    out, err = report.render(outcome, "text")
    assert out == "" and err.splitlines() == [
        "ok  dev k8s 1.33.0",
        "/tmp/elsewhere/config.yaml:2:1: redis_url cannot be imported [import-unsupported]",
        "config/notes.txt:3:5: aws-access-token: AWS (commit 1234567890) [gitleaks]",
        "scan failed: 2 error(s), 0 warning(s) (allowlist: .gitleaks.toml)",
    ]
    document = json.loads(report.render(outcome, "json")[0])
    assert (document["command"], document["errors"], document["notes"]) == ("scan", 2, ["ok  dev k8s 1.33.0"])
    assert [p["check"] for p in document["problems"]] == ["import-unsupported", "gitleaks"]
    github, _ = report.render(outcome, "github")
    assert "::error file=config/notes.txt,line=3,col=5,title=litellm-bundle scan (gitleaks)::" in github
    sarif = _valid_sarif(report.render(outcome, "sarif")[0])
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]]
    assert uris == ["file:///tmp/elsewhere/config.yaml", "config/notes.txt"]


def test_the_exit_codes() -> None:
    warning = Problem(Location("a.yaml", 1, 1), "dead", check="unused")
    error = Problem(Location("a.yaml", 1, 1), "broken", check="schema")
    assert _outcome(Result()).exit_code == facts.EXIT_OK == 0
    assert _outcome(Result([warning])).exit_code == facts.EXIT_OK
    assert _outcome(Result([warning]), strict=True).exit_code == facts.EXIT_PROBLEMS == 1
    assert _outcome(Result([error], drift=True)).exit_code == facts.EXIT_PROBLEMS
    drift = _outcome(Result(notes=["+ team platform", "plan: 1 to create"], drift=True), "access")
    assert drift.exit_code == facts.EXIT_DRIFT == 3
    assert report.render(drift, "text") == ("", "+ team platform\nplan: 1 to create\n")
    assert facts.EXIT_USAGE == 2


def test_the_documented_exit_codes_are_the_facts() -> None:
    text = (ROOT / "docs" / "validation.md").read_text()
    table = text.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    rows = {int(line.split("|")[1]) for line in table.splitlines() if line.startswith("| ") and line[2].isdigit()}
    assert rows == {
        facts.EXIT_OK,
        facts.EXIT_PROBLEMS,
        facts.EXIT_USAGE,
        facts.EXIT_DRIFT,
        facts.EXIT_LOCKED,
        facts.EXIT_INTERRUPTED,
    }
