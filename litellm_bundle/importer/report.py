"""The import report: every change `import` makes to a LiteLLM config.yaml, each with its reason and the
place it came from (CONFIG.yaml:line, or the policy rule that asked for it).

A change is about LiteLLM's config (`space` CONFIG: a path as config.yaml writes it, model_list entries
by their index in CONFIG.yaml) or about an environment file of the bundle (`space` ENVIRONMENT: settings a
config.yaml cannot hold, such as replicas or the salt key). The round trip (roundtrip.py) holds the
rendering of every environment to the original config modulo exactly the CONFIG changes listed for it.
The CLI prints the report; `import` writes it as IMPORT-REPORT.md next to the sources."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Final

from litellm_bundle.core.problems import Location, PathKey
from litellm_bundle.policy.schemas import dotted, show

SET: Final = "set"  # the value at `path` is `value` (added, or replaced)
DROP: Final = "drop"  # the key at `path` is gone
ADD_ITEM: Final = "add_item"  # `value` is added to the list at `path`
CONFIG: Final = "config"
ENVIRONMENT: Final = "environment"
REPORT_FILE: Final = "IMPORT-REPORT.md"

# kind -> heading, in the order the report lists them
KINDS: Final = {
    "required": "What the bundle requires beyond LiteLLM",
    "placeholder": "Placeholders and names made declared references",
    "secret": "Literal secrets made declared references",
    "policy": "What the environments' policies require",
    "ignored": "Keys LiteLLM ignores, dropped (--drop-ignored)",
    "bundle": "What the bundle adds to every rendering",
}


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()  # no value at a path


def child(node: Any, part: str | int) -> Any:
    """`node[part]` of a mapping or a list, MISSING when there is none."""
    found = (isinstance(node, dict) and part in node) or (
        isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
    )
    return node[part] if found else MISSING


def at(node: Any, path: PathKey) -> Any:
    """The value at `path`, MISSING when there is none."""
    for part in path:
        node = child(node, part)
        if node is MISSING:
            break
    return node


@dataclass(frozen=True)
class Change:
    op: str  # SET, DROP, ADD_ITEM
    path: PathKey
    value: Any
    reason: str
    where: Location  # where it came from: CONFIG.yaml's line, or a policy file's rule
    kind: str  # a key of KINDS
    envs: tuple[str, ...]  # the environments whose files show it
    space: str = CONFIG
    shown: str | None = None  # how the old value is shown (a literal secret never is)

    @property
    def key(self) -> tuple[Any, ...]:
        """What makes two changes the same (envs aside)."""
        value = json.dumps(self.value, sort_keys=True, default=str)
        return (self.space, self.op, self.path, value, self.kind, self.reason, self.where)

    def describe(self) -> str:
        where = ("environment " if self.space == ENVIRONMENT else "") + dotted(self.path)
        before = f" (was {self.shown})" if self.shown else ""
        if self.op == DROP:
            what = f"{where}: dropped{before}"
        elif self.op == ADD_ITEM:
            what = f"{where}: {_item(self.value)} added"
        else:
            what = f"{where}: {show(self.value)}{before}"
        return f"{what} — {self.reason}"

    def data(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "op": self.op,
            "space": self.space,
            "path": dotted(self.path),
            "value": None if self.op == DROP else self.value,
            "was": self.shown,
            "reason": self.reason,
            "source": f"{self.where.file}:{self.where.line}",
            "environments": list(self.envs),
        }


def _item(value: Any) -> str:
    if isinstance(value, dict) and "guardrail_name" in value:
        return f"guardrail {value['guardrail_name']}"
    return show(value)


@dataclass
class ImportReport:
    source: str  # CONFIG.yaml as shown
    env: str  # the environment the config is
    environments: tuple[str, ...]
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # where things went that changed nothing (provider_params)

    def add(self, change: Change) -> None:
        """A change, merged with the same change for other environments. A value set or dropped replaces,
        in its environments, what earlier changes made at or below its path."""
        for index, known in enumerate(self.changes):
            if known.key == change.key:
                envs = tuple(e for e in self.environments if e in known.envs or e in change.envs)
                self.changes[index] = replace(known, envs=envs)
                return
        if change.op in (SET, DROP):
            kept = []
            for known in self.changes:
                if known.space == change.space and known.path[: len(change.path)] == change.path:
                    known = replace(known, envs=tuple(e for e in known.envs if e not in change.envs))
                if known.envs:
                    kept.append(known)
            self.changes = kept
        self.changes.append(change)

    def for_env(self, env: str, space: str = CONFIG) -> list[Change]:
        return [c for c in self.changes if env in c.envs and c.space == space]

    def ordered(self) -> list[Change]:
        kinds = list(KINDS)
        return sorted(self.changes, key=lambda c: (kinds.index(c.kind), c.where.line, dotted(c.path)))

    def _scope(self, change: Change) -> str:
        return "" if set(change.envs) == set(self.environments) else f"[{', '.join(change.envs)}] "

    def lines(self) -> list[str]:
        """The report for a terminal: one line per change under its kind."""
        out: list[str] = []
        ordered = self.ordered()
        for kind, heading in KINDS.items():
            mine = [c for c in ordered if c.kind == kind]
            if mine:
                out.append(f"{heading}:")
                out += [f"  {c.where.file}:{c.where.line}: {self._scope(c)}{c.describe()}" for c in mine]
        return out + [f"note: {note}" for note in self.notes]

    def markdown(self) -> str:
        out = [
            "# Import report",
            "",
            f"`python -m litellm_bundle import` imported `{self.source}` as environment `{self.env}`; the others "
            f"({', '.join(e for e in self.environments if e != self.env)}) started as copies of it. Rendering an "
            "environment gives the imported config back, changed by exactly the changes below for that environment "
            "(the import checked it). Generated once; edit the sources, not this file.",
        ]
        if not self.changes:
            out += ["", "No changes."]
        ordered = self.ordered()
        for kind, heading in KINDS.items():
            mine = [c for c in ordered if c.kind == kind]
            if not mine:
                continue
            out += ["", f"## {heading}", "", "| where | environments | change | reason |", "|---|---|---|---|"]
            for c in mine:
                where = ("environment " if c.space == ENVIRONMENT else "") + dotted(c.path)
                what = "dropped" if c.op == DROP else (f"{_item(c.value)} added" if c.op == ADD_ITEM else show(c.value))
                if c.shown:
                    what += f" (was {c.shown})"
                out.append(
                    f"| {_cell(f'{c.where.file}:{c.where.line}')} | {', '.join(c.envs)} | `{_cell(where)}`: "
                    f"{_cell(what)} | {_cell(c.reason)} |"
                )
        if self.notes:
            out += ["", "## Notes", "", *[f"- {_cell(n)}" for n in self.notes]]
        return "\n".join(out) + "\n"

    def data(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "environment": self.env,
            "environments": list(self.environments),
            "changes": [c.data() for c in self.ordered()],
            "notes": list(self.notes),
        }


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
