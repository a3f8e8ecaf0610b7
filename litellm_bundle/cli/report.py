"""How `validate` reports: text for people, JSON for tools and editors, GitHub workflow
annotations for pull requests (docs/validation.md shows each)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from litellm_bundle.core.problems import Problem

FORMATS = ("text", "json", "github")
TITLE = "litellm-bundle validate"


@dataclass(frozen=True)
class Outcome:
    problems: Sequence[Problem]  # settled: errors first
    environments: Sequence[str]
    strict: bool

    @property
    def errors(self) -> int:
        return sum(p.severity == "error" for p in self.problems)

    @property
    def warnings(self) -> int:
        return sum(p.severity == "warning" for p in self.problems)

    @property
    def failed(self) -> bool:
        return self.errors > 0 or (self.strict and self.warnings > 0)

    def summary(self) -> str:
        counts = f"{self.errors} error(s), {self.warnings} warning(s)"
        if self.failed:
            because = " (--strict: warnings fail)" if not self.errors else ""
            return f"validation failed: {counts}{because}"
        noted = f" ({self.warnings} warning(s))" if self.warnings else ""
        return f"config valid for {', '.join(self.environments)}{noted}"


def as_text(outcome: Outcome) -> tuple[str, str]:
    """(stdout, stderr): problems and a failure summary on stderr, a success line on stdout."""
    lines = [str(p) for p in outcome.problems]
    if outcome.failed:
        return "", "\n".join(lines + [outcome.summary()]) + "\n"
    return outcome.summary() + "\n", ("\n".join(lines) + "\n") if lines else ""


def as_json(outcome: Outcome) -> tuple[str, str]:
    document = {
        "valid": not outcome.failed,
        "strict": outcome.strict,
        "environments": list(outcome.environments),
        "errors": outcome.errors,
        "warnings": outcome.warnings,
        "problems": [
            {
                "file": p.location.file,
                "line": p.location.line,
                "column": p.location.col,
                "severity": p.severity,
                "environments": p.environments,
                "message": p.message,
            }
            for p in outcome.problems
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n", ""


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(problem: Problem) -> str:
    """One GitHub workflow command (`::error file=...,line=...,col=...,title=...::message`)."""
    scope = f"[{problem.env}] " if problem.env else ""
    props = f"file={_escape_property(problem.location.file)},line={problem.location.line},col={problem.location.col},title={_escape_property(TITLE)}"
    return f"::{problem.severity} {props}::{_escape_data(scope + problem.message)}"


def as_github(outcome: Outcome) -> tuple[str, str]:
    """Annotations on stdout (the runner reads workflow commands there), the summary on stderr."""
    lines = [annotation(p) for p in outcome.problems]
    return ("\n".join(lines) + "\n") if lines else "", outcome.summary() + "\n"


def render(outcome: Outcome, fmt: str) -> tuple[str, str]:
    return {"text": as_text, "json": as_json, "github": as_github}[fmt](outcome)
