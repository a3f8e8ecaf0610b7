"""The registry of checks (litellm_bundle/policy/checks.yaml, format checks.schema.json beside it): every
check the commands run, by a stable id, with what it finds, its severity, its stage, the command that runs
it, whether a waiver may name it and why. It ships with the code that names the ids (package data), not
with a bundle tree: the checks of this tooling are the same for every tree it checks, also one at an
older git ref (`diff`).

A problem names its check (`Problem.check`); `Registry.classify` gives it the check's severity and stage,
so each of them is written once, here. docs/validation.md's table of checks is written from the
registry (`markdown`, `with_table`; `python -m litellm_bundle checks --write-docs`)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from litellm_bundle.core.problems import STAGES, Problem, Severity
from litellm_bundle.policy.policies import PolicyError

REGISTRY = Path(__file__).with_name("checks.yaml")
REGISTRY_SCHEMA = Path(__file__).with_name("checks.schema.json")
COMMANDS = ("validate", "import", "lint-k8s", "scan", "access")  # the order the docs list them in
# where docs/validation.md holds the generated table
BEGIN = "<!-- checks: from litellm_bundle/policy/checks.yaml by `python -m litellm_bundle checks --write-docs` -->"
END = "<!-- checks: end -->"


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    severity: Severity
    stage: str
    command: str
    waivable: bool
    why: str


@dataclass(frozen=True)
class Registry:
    checks: dict[str, Check]  # in the file's order

    def __contains__(self, check: object) -> bool:
        return check in self.checks

    def __getitem__(self, check: str) -> Check:
        try:
            return self.checks[check]
        except KeyError:
            raise KeyError(
                f"check '{check}' is not in {REGISTRY.name} (litellm_bundle/policy/); register it there"
            ) from None

    def classify(self, problem: Problem) -> Problem:
        """The problem with its check's severity and stage (KeyError: a check that is not registered)."""
        check = self[problem.check]
        return replace(problem, severity=check.severity, stage=STAGES[check.stage])

    def classified(self, problems: Iterable[Problem]) -> list[Problem]:
        return [self.classify(p) for p in problems]

    @property
    def waivable(self) -> list[str]:
        return [c.id for c in self.checks.values() if c.waivable]


def _read(file: Path, schema_file: Path) -> Any:
    try:
        data = YAML(typ="safe").load(file.read_text(encoding="utf-8"))
        schema = json.loads(schema_file.read_text(encoding="utf-8"))
    except (OSError, YAMLError, json.JSONDecodeError) as exc:
        raise PolicyError(f"{file}: cannot read the registry of checks: {exc}") from exc
    error = next(iter(Draft202012Validator(schema).iter_errors(data)), None)
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        raise PolicyError(f"{file}: {where}: {error.message}")
    return data


@cache
def load(file: Path = REGISTRY, schema_file: Path = REGISTRY_SCHEMA) -> Registry:
    """The registry (read once per process): the tooling's own, or `file` (tests)."""
    data = _read(file, schema_file)
    checks = {
        check_id: Check(
            id=check_id,
            title=entry["title"],
            severity=entry["severity"],
            stage=entry.get("stage", "checks"),
            command=entry.get("command", "validate"),
            waivable=entry.get("waivable", False),
            why=entry["why"],
        )
        for check_id, entry in data["checks"].items()
    }
    return Registry(checks)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(registry: Registry) -> str:
    """The table of checks, by command (validate's in the order of its stages)."""
    order = {stage: index for index, stage in enumerate(STAGES)}
    lines = []
    for command in COMMANDS:
        checks = [c for c in registry.checks.values() if c.command == command]
        if command == "validate":
            checks.sort(key=lambda c: order[c.stage])
            heading = "`validate` (and `render`, `diff`, `import`, which validate first), by stage"
        else:
            heading = f"`{command}`"
        lines += [f"**{heading}**", "", "| id | finds | severity | why |", "|---|---|---|---|"]
        for c in checks:
            stage = f", {c.stage}" if command == "validate" else ""
            waivable = ", waivable" if c.waivable else ""
            lines.append(f"| `{c.id}` | {_cell(c.title)} | {c.severity}{stage}{waivable} | {_cell(c.why)} |")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def with_table(doc: str, registry: Registry) -> str:
    """`doc` (docs/validation.md) with the part between BEGIN and END written from the registry."""
    if BEGIN not in doc or END not in doc:
        raise PolicyError(f"the document has no place for the table of checks (the lines {BEGIN} and {END})")
    head, rest = doc.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{markdown(registry)}{END}{tail}"
