"""How every command reports its result: text for people, JSON for tools and editors, GitHub workflow
annotations for pull requests, SARIF 2.1.0 for code-scanning UIs (docs/validation.md shows each), and
the exit code (docs/validation.md, "Exit codes")."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from litellm_bundle.core.facts import EXIT_DRIFT, EXIT_OK, EXIT_PROBLEMS
from litellm_bundle.core.problems import Problem, Result, errors, sort_key, waived, warnings
from litellm_bundle.policy.registry import Registry
from litellm_bundle.policy.schemas import dotted

FORMATS = ("text", "json", "github", "sarif")
TOOL = "litellm-bundle"
SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_LEVELS = {"error": "error", "warning": "warning"}


@dataclass(frozen=True)
class Outcome:
    """A command's result as it is reported: its problems with their checks' severities (errors first)."""

    command: str  # validate, lint-k8s, scan, import, access
    result: Result
    registry: Registry
    strict: bool = False
    success: str = ""  # what is printed when nothing failed (e.g. "config valid for dev, staging, prod")
    failure: str = ""  # what follows the counts when it failed (e.g. "; nothing was written")
    label: str = ""  # the summary's first word (default: the command)
    environments: Sequence[str] = ()
    details: Mapping[str, Any] = field(default_factory=dict)  # more of the result for JSON (import: its report)
    problems: list[Problem] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "problems", sorted(self.registry.classified(self.result.problems), key=sort_key))

    @property
    def errors(self) -> int:
        return len(errors(self.problems))

    @property
    def warnings(self) -> int:
        return len(warnings(self.problems))

    @property
    def waived(self) -> int:
        return len(waived(self.problems))

    @property
    def failed(self) -> bool:
        return self.errors > 0 or (self.strict and self.warnings > 0)

    @property
    def exit_code(self) -> int:
        """EXIT_PROBLEMS when it failed, else EXIT_DRIFT when a plan found drift, else EXIT_OK."""
        return EXIT_PROBLEMS if self.failed else EXIT_DRIFT if self.result.drift else EXIT_OK

    def summary(self) -> str:
        counts = f"{self.errors} error(s), {self.warnings} warning(s)"
        waived = f", {self.waived} waived" if self.waived else ""
        if self.failed:
            because = " (--strict: warnings fail)" if not self.errors else ""
            return f"{self.label or self.command} failed: {counts}{waived}{because}{self.failure}"
        noted = ", ".join(f"{n} {word}" for n, word in ((self.warnings, "warning(s)"), (self.waived, "waived")) if n)
        if not self.success:
            return ""
        first, *rest = self.success.split("\n")
        return "\n".join([first + (f" ({noted})" if noted else ""), *rest])


def _lines(lines: list[str]) -> str:
    return "".join(f"{line}\n" for line in lines)


def _log(outcome: Outcome) -> str:
    """Notes and the summary, for stderr beside a document on stdout."""
    summary = outcome.summary()
    return _lines([*outcome.result.notes, *([summary] if summary else [])])


def as_text(outcome: Outcome) -> tuple[str, str]:
    """(stdout, stderr): notes, problems and a failure summary on stderr, the success summary on stdout."""
    report = [*outcome.result.notes, *(str(p) for p in outcome.problems)]
    summary = outcome.summary()
    if outcome.failed:
        return "", _lines([*report, summary])
    return _lines([summary] if summary else []), _lines(report)


def problem_data(problem: Problem) -> dict[str, Any]:
    return {
        "file": problem.location.file,
        "line": problem.location.line,
        "column": problem.location.col,
        "severity": problem.severity,
        "check": problem.check,
        "environments": problem.environments,
        "message": problem.message,
        "key": dotted(problem.subject[1]) if problem.subject else None,
        "waived": problem.waived,
    }


def as_json(outcome: Outcome) -> tuple[str, str]:
    document = {
        "command": outcome.command,
        "valid": not outcome.failed,
        "strict": outcome.strict,
        "environments": list(outcome.environments),
        "errors": outcome.errors,
        "warnings": outcome.warnings,
        "waived": outcome.waived,
        "drift": outcome.result.drift,
        "problems": [problem_data(p) for p in outcome.problems],
        "notes": outcome.result.notes,
        **outcome.details,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n", ""


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(problem: Problem, command: str = "validate") -> str:
    """One GitHub workflow command (`::error file=...,line=...,col=...,title=...::message`); a waived
    problem is a notice."""
    scope = f"[{problem.env}] " if problem.env else ""
    reason = f" (waiver: {problem.waived})" if problem.waived else ""
    level = "notice" if problem.waived else problem.severity
    title = f"{TOOL} {command} ({problem.check})"
    where = problem.location
    props = f"file={_escape_property(where.file)},line={where.line},col={where.col},title={_escape_property(title)}"
    return f"::{level} {props}::{_escape_data(scope + problem.message + reason)}"


def as_github(outcome: Outcome) -> tuple[str, str]:
    """Annotations on stdout (the runner reads workflow commands there), notes and the summary on stderr."""
    lines = [annotation(p, outcome.command) for p in outcome.problems]
    return _lines(lines), _log(outcome)


def _uri(file: str) -> str:
    """A file as the problem shows it (relative to the bundle root, or absolute outside it) as a URI."""
    path = Path(file)
    return path.as_uri() if path.is_absolute() else path.as_posix()


def sarif(outcome: Outcome) -> dict[str, Any]:
    """The result as a SARIF 2.1.0 log: the registry's checks as the rules, a result per problem (a
    waived one with its waiver as an external suppression)."""
    checks = list(outcome.registry.checks.values())
    index = {c.id: i for i, c in enumerate(checks)}
    rules = [
        {
            "id": c.id,
            "shortDescription": {"text": c.title},
            "fullDescription": {"text": f"{c.title}: {c.why}"},
            "defaultConfiguration": {"level": SARIF_LEVELS[c.severity]},
            "properties": {"command": c.command, "stage": c.stage, "waivable": c.waivable},
        }
        for c in checks
    ]
    results = []
    for p in outcome.problems:
        scope = f"[{p.env}] " if p.env else ""
        result: dict[str, Any] = {
            "ruleId": p.check,
            "ruleIndex": index[p.check],
            "level": SARIF_LEVELS[p.severity],
            "message": {"text": scope + p.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(p.location.file)},
                        "region": {"startLine": p.location.line, "startColumn": p.location.col},
                    }
                }
            ],
            "properties": {"environments": p.environments},
        }
        if p.waived:
            result["suppressions"] = [{"kind": "external", "status": "accepted", "justification": p.waived}]
        results.append(result)
    run = {
        "tool": {"driver": {"name": TOOL, "rules": rules}},
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {"command": outcome.command, "environments": list(outcome.environments)},
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def as_sarif(outcome: Outcome) -> tuple[str, str]:
    """The SARIF log on stdout, notes and the summary on stderr."""
    return json.dumps(sarif(outcome), indent=2, ensure_ascii=False) + "\n", _log(outcome)


def render(outcome: Outcome, fmt: str) -> tuple[str, str]:
    return {"text": as_text, "json": as_json, "github": as_github, "sarif": as_sarif}[fmt](outcome)
