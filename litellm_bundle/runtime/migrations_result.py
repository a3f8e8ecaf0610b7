"""The result of the database part of an upgrade (runtime/migrations.py): one Finding per check, the
evidence behind them (the readings before and after, the requests served, the migrations applied) and
its markdown for the upgrade report."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from litellm_bundle.runtime.db_snapshot import Snapshot
from litellm_bundle.runtime.migration_job import JOB_SCRIPT, SCHEMA_UPDATE_SWITCH


@dataclass(frozen=True)
class Finding:
    check: str  # what was checked, a few words
    ok: bool
    detail: str
    blocking: bool = True  # False: reported, never a break (the rollback case)

    def __str__(self) -> str:
        return f"{self.check}: {'ok' if self.ok else 'FAILED'}: {self.detail}"


@dataclass(frozen=True)
class Probe:
    """Requests of one key through the current proxy in one phase of the upgrade."""

    phase: str
    sent: int
    answered: int  # 2xx
    failure: str = ""  # the first failure


@dataclass
class DatabaseCheck:
    """The findings of one replayed upgrade from LiteLLM `current` to `target`, and the evidence: the readings
    before and after the migrations, the migrations the Job applied, the requests the current version served
    around them, and the logs and the stopped database in `workdir`."""

    current: str
    target: str
    workdir: Path
    findings: list[Finding] = field(default_factory=list)
    before: Snapshot | None = None
    after: Snapshot | None = None
    applied: list[str] = field(default_factory=list)  # the migrations the target's Job applied
    probes: list[Probe] = field(default_factory=list)
    rollback_schema_diff: list[str] = field(default_factory=list)  # what the current schema lacks (SQL)
    seconds: dict[str, float] = field(default_factory=dict)  # how long each phase took

    @property
    def ok(self) -> bool:
        """Every blocking finding holds (the rollback case never blocks)."""
        return bool(self.findings) and all(f.ok for f in self.findings if f.blocking)

    @property
    def summary(self) -> str:
        failed = [f for f in self.findings if not f.ok]
        if not failed:
            return f"{len(self.applied)} migrations applied by the Job, nothing lost, both versions serve"
        return "; ".join(f"{f.check}: {f.detail}" for f in failed[:2])

    @property
    def markdown(self) -> str:
        return render_markdown(self)


def render_markdown(check: DatabaseCheck) -> str:
    """The database section of the upgrade report (its body: the report writes the heading)."""
    lines = [
        f"A private PostgreSQL populated by LiteLLM {check.current} through its proxy (a budget, teams, users, "
        "keys with budgets, spend logs), then LiteLLM "
        f"{check.target}'s migrations applied as the chart's Job applies them (`python {JOB_SCRIPT}`) while "
        f"{check.current} kept serving; then {check.target} and {check.current} started on the migrated "
        f"database as the chart's serving pods do (`{SCHEMA_UPDATE_SWITCH}=true`, never migrating).",
        "",
        "| check | result | detail |",
        "|---|---|---|",
    ]
    for f in check.findings:
        result = "ok" if f.ok else ("**break**" if f.blocking else "**warning**")
        lines.append(f"| {_cell(f.check)} | {result} | {_cell(f.detail)} |")
    if check.seconds:
        lines += [
            "",
            "Times: " + ", ".join(f"{phase} {seconds:.0f} s" for phase, seconds in check.seconds.items()) + ".",
        ]
    if check.applied:
        lines += ["", f"### The migrations the Job applied ({len(check.applied)})", ""]
        lines += [f"- `{name}`" for name in check.applied]
    if check.before and check.after:
        changed = sorted(
            t
            for t in set(check.before.counts) | set(check.after.counts)
            if check.before.counts.get(t) != check.after.counts.get(t)
        )
        populated = sorted(t for t, n in check.before.counts.items() if n and t not in changed)
        lines += ["", "### Rows before and after the migrations", "", "| table | before | after |", "|---|---|---|"]
        for table in [*changed, *populated]:
            before = check.before.counts.get(table)
            after = check.after.counts.get(table)
            lines.append(f"| {table} | {'-' if before is None else before} | {'-' if after is None else after} |")
        lines += [
            "",
            "Tables not listed are empty before and after. A new table shows `-` before; rows added between the "
            "two readings are the requests served during the migrations.",
        ]
    if check.rollback_schema_diff:
        lines += [
            "",
            f"### What {check.current}'s schema does not know (the rollback case)",
            "",
            f"`prisma migrate diff` from the migrated database to {check.current}'s schema: what "
            f"{check.current}'s schema lacks. Serving with the switch on it applies none of it; a "
            f"`prisma db push` of {check.current} would:",
            "",
            "```sql",
            *check.rollback_schema_diff,
            "```",
        ]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
