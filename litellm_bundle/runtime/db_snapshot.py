"""What a database holds, for comparing it before and after a migration: the row count of every table
and the rows of a sample (each row as JSON, keyed by its primary key), read with psql."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from litellm_bundle.runtime.postgres import Postgres

MIGRATIONS_TABLE = "_prisma_migrations"  # Prisma Migrate's ledger: one row per migration applied


@dataclass(frozen=True)
class Sample:
    """Rows of one table the comparison follows by primary key: `where` picks them (SQL)."""

    table: str
    where: str


@dataclass
class Snapshot:
    counts: dict[str, int]
    rows: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # table -> primary key -> row


@dataclass(frozen=True)
class Migration:
    name: str
    finished: bool
    rolled_back: bool


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def tables(db: Postgres) -> list[str]:
    out = db.psql(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
        "AND table_type = 'BASE TABLE' ORDER BY table_name"
    )
    return [line for line in out.splitlines() if line]


def counts(db: Postgres) -> dict[str, int]:
    """Rows per table of the public schema (one query)."""
    names = tables(db)
    if not names:
        return {}
    union = " UNION ALL ".join(f"SELECT '{n}', count(*) FROM {_ident(n)}" for n in names)
    out = db.psql(union)
    found = {}
    for line in out.splitlines():
        name, _, number = line.rpartition("|")
        found[name] = int(number)
    return found


def primary_key(db: Postgres, table: str) -> list[str]:
    out = db.psql(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
        f"AND a.attnum = ANY(i.indkey) WHERE i.indrelid = '{_ident(table)}'::regclass AND i.indisprimary "
        "ORDER BY a.attname"
    )
    return [line for line in out.splitlines() if line]


def rows(db: Postgres, sample: Sample) -> dict[str, dict[str, Any]]:
    """The sample's rows by primary key (its columns joined with '/')."""
    key = primary_key(db, sample.table)
    out = db.psql(f"SELECT row_to_json(t)::text FROM (SELECT * FROM {_ident(sample.table)} WHERE {sample.where}) t")
    found = {}
    for line in out.splitlines():
        row = json.loads(line)
        found["/".join(str(row[k]) for k in key)] = row
    return found


def snapshot(db: Postgres, samples: tuple[Sample, ...]) -> Snapshot:
    return Snapshot(counts(db), {s.table: rows(db, s) for s in samples})


def migrations(db: Postgres) -> list[Migration]:
    """Prisma's ledger in the order the migrations were started (empty before the first migration)."""
    if MIGRATIONS_TABLE not in tables(db):
        return []
    out = db.psql(
        f"SELECT migration_name, finished_at IS NOT NULL, rolled_back_at IS NOT NULL FROM {MIGRATIONS_TABLE} "
        "ORDER BY started_at, migration_name"
    )
    found = []
    for line in out.splitlines():
        name, finished, rolled_back = line.split("|")
        found.append(Migration(name, finished == "t", rolled_back == "t"))
    return found


def ledger_problems(ledger: list[Migration], expected: list[str]) -> list[str]:
    """What is wrong with Prisma's ledger against the migrations a version ships: a migration missing,
    applied twice, unfinished or rolled back."""
    problems = []
    seen: dict[str, int] = {}
    for row in ledger:
        seen[row.name] = seen.get(row.name, 0) + 1
        if not row.finished:
            problems.append(f"{row.name} did not finish")
        if row.rolled_back:
            problems.append(f"{row.name} was rolled back")
    problems += [f"{name} is recorded {n} times" for name, n in seen.items() if n > 1]
    problems += [f"{name} was not applied" for name in expected if name not in seen]
    return problems


def lost(before: Snapshot, after: Snapshot, ignore: tuple[str, ...] = (), moving: tuple[str, ...] = ()) -> list[str]:
    """What `after` lost of `before`: tables, rows (counts that went down; not of the tables in `ignore`),
    sampled rows and their values (not the `moving` columns; columns `after` added are new, not a loss)."""
    found = []
    for table, n in before.counts.items():
        if table in ignore:
            continue
        if table not in after.counts:
            if n:
                found.append(f"table {table} ({n} rows) is gone")
        elif after.counts[table] < n:
            found.append(f"{table}: {n} rows before, {after.counts[table]} after")
    for table, sampled in before.rows.items():
        now = after.rows.get(table, {})
        for key, row in sampled.items():
            if key not in now:
                found.append(f"{table} row {key} is gone")
                continue
            changed = sorted(c for c, v in row.items() if c not in moving and (c not in now[key] or now[key][c] != v))
            if changed:
                found.append(f"{table} row {key}: {', '.join(changed)} changed or gone")
    return found
