"""Problems found while validating: where (file:line:col) and what."""

from __future__ import annotations

from dataclasses import dataclass


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
    env: str | None = None

    def __str__(self) -> str:
        scope = f" [{self.env}]" if self.env else ""
        return f"{self.location}:{scope} {self.message}"


class ValidationFailed(Exception):
    """Raised when validation found problems; carries all of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        super().__init__(f"{len(self.problems)} problem(s)")

    def report(self) -> str:
        lines = [str(p) for p in self.problems]
        lines.append(f"validation failed: {len(self.problems)} problem(s); nothing was written")
        return "\n".join(lines)
