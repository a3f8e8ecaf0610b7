"""Problems found while validating: where (file:line:col), what, how bad, and what they follow from.

Every problem names the check that found it (`check`: a stable id of the registry
litellm_bundle/policy/checks.yaml, which also gives its severity and stage: policy/registry.py fills
them in). An *error* fails the command; a *warning* is printed with its place and fails only
`--strict`; a *waived* problem (a waiver of config/waivers.yaml names its check) is printed with the
waiver's reason and fails nothing.

Problems also say what they are about (`subject`: a file and a path inside it) and what they
depend on (`because`: places in other files), so that `settle` can drop those that merely follow
from an earlier one (a cascade) and put causes first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

Severity = Literal["error", "warning"]
PathKey = tuple[str | int, ...]
Ref = tuple[str, PathKey]  # (file as shown, path inside its data)
ANY = "*"  # last part of a dependency path: anything under the place (see whole())
KEYS = "<keys>"  # last part of a dependency path: the names in a mapping (see names())

# Stages of a validation run, in the order causes come in: a problem is only ever suppressed by
# a problem of an earlier stage.
LOAD = 0  # reading and parsing a file
SECRETS = 1  # a literal secret (a value that must be a reference)
SCHEMA = 2  # JSON Schema of a source file
CHECKS = 3  # cross-references and what the renderer and the proxy need (also the other commands' checks)
POLICY = 4  # environment policies over the effective configuration
# the stages by the names the registry of checks gives them
STAGES = {"load": LOAD, "secrets": SECRETS, "schema": SCHEMA, "checks": CHECKS, "policy": POLICY}


@dataclass(frozen=True, order=True)
class Location:
    file: str
    line: int  # 1-based
    col: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True, order=True)
class Problem:
    location: Location
    message: str
    env: str | None = None  # one environment, or several joined by ", " once settled
    check: str = field(kw_only=True, compare=False)  # the id of the check that found it (policy/checks.yaml)
    # the check's severity and stage (Registry.classify sets them from the registry)
    severity: Severity = field(default="error", compare=False)
    stage: int = field(default=CHECKS, compare=False)
    subject: Ref | None = field(default=None, compare=False)
    because: tuple[Ref, ...] = field(default=(), compare=False)
    waived: str | None = field(default=None, compare=False)  # the reason of the waiver that covers it

    def __str__(self) -> str:
        scope = f" [{self.env}]" if self.env else ""
        label = " waived:" if self.waived else " warning:" if self.severity == "warning" else ""
        reason = f" (waiver: {self.waived})" if self.waived else ""
        return f"{self.location}:{label}{scope} {self.message}{reason} [{self.check}]"

    @property
    def environments(self) -> list[str]:
        return self.env.split(", ") if self.env else []


class Where(Protocol):
    """Where a path of the validated instance is written, and what it is about."""

    def locate(self, path: PathKey) -> Location: ...
    def subject(self, path: PathKey) -> Ref | None: ...
    def because(self, path: PathKey) -> tuple[Ref, ...]: ...


class Place(Where, Protocol):
    """A document (YamlDocument) or an environment's effective configuration (EffectiveConfig)."""

    def locate_value(self, path: PathKey) -> Location: ...


@dataclass
class Found:
    """The problems of one check, each with its place, what it is about and what it depends on."""

    env: str | None = None
    problems: list[Problem] = field(default_factory=list)

    def add(
        self,
        where: Place,
        path: PathKey,
        message: str,
        *,
        check: str,
        value: bool = False,
        because: tuple[Ref, ...] = (),
    ) -> None:
        location = where.locate_value(path) if value else where.locate(path)
        self.problems.append(
            Problem(
                location,
                message,
                self.env,
                check=check,
                subject=where.subject(path),
                because=because + where.because(path),
            )
        )


def errors(problems: Iterable[Problem]) -> list[Problem]:
    """The problems that fail a command (waived ones never do)."""
    return [p for p in problems if p.severity == "error" and not p.waived]


def warnings(problems: Iterable[Problem]) -> list[Problem]:
    """The problems that fail a command only with --strict."""
    return [p for p in problems if p.severity == "warning" and not p.waived]


def waived(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.waived]


@dataclass
class Result:
    """What a command found and did: its problems (errors first), lines that say what it did or found
    besides them (a plan's changes, notes of an import), and whether a plan found drift. The CLI prints
    it (cli/report.py) and turns it into the exit code; the layers below only return it."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    drift: bool = False

    @property
    def errors(self) -> list[Problem]:
        return errors(self.problems)

    @property
    def warnings(self) -> list[Problem]:
        return warnings(self.problems)

    @property
    def waived(self) -> list[Problem]:
        return waived(self.problems)


def _prefix(short: PathKey, long: PathKey) -> bool:
    return long[: len(short)] == short


def whole(ref: Ref) -> Ref:
    """A dependency on everything under a place (its content), not only on the place existing."""
    return (ref[0], ref[1] + (ANY,))


def names(ref: Ref) -> Ref:
    """A dependency on the names of a mapping: a problem with any of its entries may explain it."""
    return (ref[0], ref[1] + (KEYS,))


def _follows(problem: Problem, earlier: list[Ref]) -> bool:
    """Whether `problem` follows from a problem already kept: one about the same place or a place
    above it; or about a place it depends on (or above it; anywhere inside it, for a `whole`
    dependency; one of its entries, for a `names` dependency)."""
    for file, path in earlier:
        if problem.subject and problem.subject[0] == file and _prefix(path, problem.subject[1]):
            return True
        for dep_file, dep_path in problem.because:
            if dep_file != file:
                continue
            base = dep_path[:-1]
            if dep_path[-1:] == (ANY,):
                if _prefix(path, base) or _prefix(base, path):
                    return True
            elif dep_path[-1:] == (KEYS,):
                if _prefix(path, base) or (len(path) == len(base) + 1 and _prefix(base, path)):
                    return True
            elif _prefix(path, dep_path):
                return True
    return False


def sort_key(problem: Problem) -> tuple[int, int, Location, str, str]:
    """Errors before warnings before waived problems; within each, causes (earlier stages) first, then by place."""
    rank = 2 if problem.waived else 0 if problem.severity == "error" else 1
    return (rank, problem.stage, problem.location, problem.message, problem.env or "")


def settle(problems: Iterable[Problem], env_order: tuple[str, ...] = ()) -> list[Problem]:
    """Every problem once, causes first: drop the problems that follow from a problem with the
    data itself (unreadable, a literal secret, against its schema) found in an earlier stage, merge the
    same problem found in several environments into one, sort."""
    kept: list[Problem] = []
    anchors: list[Ref] = []
    pending: list[Ref] = []
    stage = None
    for problem in sorted(problems, key=lambda p: (p.stage, p.location, p.message, p.env or "")):
        if problem.stage != stage:  # problems of one stage never hide each other
            anchors += pending
            pending, stage = [], problem.stage
        if _follows(problem, anchors):
            continue
        kept.append(problem)
        if problem.subject is not None and problem.severity == "error" and problem.stage <= SCHEMA:
            pending.append(problem.subject)  # data at this place is not what the later checks expect
    merged: dict[tuple[Location, str, str, str | None], list[Problem]] = {}
    for problem in kept:
        merged.setdefault((problem.location, problem.message, problem.severity, problem.waived), []).append(problem)
    rank = {env: index for index, env in enumerate(env_order)}
    out = []
    for group in merged.values():
        envs = sorted({e for p in group for e in p.environments}, key=lambda e: (rank.get(e, len(rank)), e))
        # a problem found for some environments and also without one is the environment-free problem
        env = None if any(p.env is None for p in group) else ", ".join(envs) or None
        out.append(replace(group[0], env=env))
    return sorted(out, key=sort_key)


class ValidationFailed(Exception):
    """Raised when validation found errors (render, diff, the commands that render first); carries them."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems), key=sort_key)
        super().__init__(f"{len(self.problems)} problem(s)")
