"""What it takes to make the live proxy match the desired state: a plan of changes, then applying it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway_access.api import Management
from gateway_access.state import KEY_FIELDS, TEAM_FIELDS, is_managed, managed_metadata


class PlanError(Exception):
    """The desired state cannot be reached (a name taken by an unmanaged object, a missing key value)."""


@dataclass
class Change:
    action: str  # create, update, rotate, delete
    kind: str  # team, key
    name: str  # team or key alias
    body: dict[str, Any] = field(default_factory=dict)  # what is sent (no key value in it)
    diff: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field -> (live, desired)
    live_id: str | None = None  # team_id, or the key's token (hash)
    value_env: str | None = None  # a key whose value comes from this environment variable

    def __str__(self) -> str:
        sign = {"create": "+", "update": "~", "rotate": "±", "delete": "-"}[self.action]
        text = f"{sign} {self.kind} {self.name}"
        if self.diff:
            text += ": " + "; ".join(f"{k} {_show(a)} -> {_show(b)}" for k, (a, b) in sorted(self.diff.items()))
        elif self.action == "rotate":
            text += ": new key value"
        return text


@dataclass
class Plan:
    changes: list[Change]
    ignored: list[str]  # managed objects no longer declared, kept because --prune was not given

    @property
    def drift(self) -> bool:
        return bool(self.changes)

    def report(self) -> str:
        lines = [str(c) for c in self.changes] or ["no changes: the proxy matches the declared access"]
        lines += [f"  (not declared, kept without --prune: {name})" for name in self.ignored]
        counts = {a: sum(1 for c in self.changes if c.action == a) for a in ("create", "update", "rotate", "delete")}
        lines.append("plan: " + ", ".join(f"{n} to {a}" for a, n in counts.items()))
        return "\n".join(lines)


def _show(value: Any) -> str:
    return "unset" if value is None else repr(value)


def _normal(name: str, value: Any) -> Any:
    if name in ("models", "allowed_routes"):  # LiteLLM stores "none" as []
        return sorted(value or [])
    if name == "max_budget" and value is not None:
        return float(value)
    if name == "metadata":
        return dict(value or {})
    return value


def _diff(fields: tuple[str, ...], live: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {f: (live.get(f), desired.get(f)) for f in fields if _normal(f, live.get(f)) != _normal(f, desired.get(f))}


def token_of(value: str) -> str:
    """The hash LiteLLM stores for a key value."""
    return hashlib.sha256(value.encode()).hexdigest()


def make_plan(
    document: dict[str, Any],
    live_teams: list[dict[str, Any]],
    live_keys: list[dict[str, Any]],
    environ: Mapping[str, str],
    prune: bool = False,
    rotate: frozenset[str] = frozenset(),
) -> Plan:
    changes: list[Change] = []
    ignored: list[str] = []
    teams_by_alias = {t.get("team_alias"): t for t in live_teams if t.get("team_alias")}
    team_alias_of = {t.get("team_id"): t.get("team_alias") for t in live_teams}
    for alias, team in sorted(document["teams"].items()):
        desired = {f: team.get(f) for f in TEAM_FIELDS if f != "metadata"}
        desired["metadata"] = managed_metadata(document, team.get("metadata") or {})
        live = teams_by_alias.get(alias)
        if live is None:
            changes.append(Change("create", "team", alias, body={"team_alias": alias, **desired}))
        elif not is_managed(document, live):
            raise PlanError(
                f"team '{alias}' exists but is not managed by the bundle (created by hand?); rename one of them"
            )
        elif diff := _diff(TEAM_FIELDS, live, desired):
            changes.append(
                Change("update", "team", alias, body={k: desired[k] for k in diff}, diff=diff, live_id=live["team_id"])
            )

    keys_by_alias = {k.get("key_alias"): k for k in live_keys if k.get("key_alias")}
    for alias, key in sorted(document["keys"].items()):
        desired = {f: key.get(f) for f in KEY_FIELDS if f != "metadata"}
        desired["metadata"] = managed_metadata(document, key.get("metadata") or {})
        desired["allowed_routes"] = desired.get("allowed_routes") or []  # what LiteLLM stores for "every route"
        value_env = key.get("value_env")
        if value_env and not environ.get(value_env):
            raise PlanError(f"key '{alias}' takes its value from ${value_env}, which is not set")
        live = keys_by_alias.get(alias)
        body = {"key_alias": alias, "team": key["team"], **desired}
        if live is None:
            changes.append(Change("create", "key", alias, body=body, value_env=value_env))
            continue
        if not is_managed(document, live):
            raise PlanError(
                f"key '{alias}' exists but is not managed by the bundle (created by hand?); rename one of them"
            )
        wrong_value = bool(value_env) and live.get("token") != token_of(environ[value_env])
        if alias in rotate or wrong_value:
            changes.append(Change("rotate", "key", alias, body=body, live_id=live["token"], value_env=value_env))
            continue
        diff = _diff(KEY_FIELDS, live, desired)
        if team_alias_of.get(live.get("team_id")) != key["team"]:
            diff["team"] = (team_alias_of.get(live.get("team_id")), key["team"])
        if diff:
            changes.append(
                Change("update", "key", alias, body={k: body[k] for k in diff}, diff=diff, live_id=live["token"])
            )

    for kind, live_objects, declared, id_field, alias_field in (
        ("key", live_keys, document["keys"], "token", "key_alias"),
        ("team", live_teams, document["teams"], "team_id", "team_alias"),
    ):
        for live in live_objects:
            alias = live.get(alias_field)
            if is_managed(document, live) and alias not in declared:
                if prune:
                    changes.append(Change("delete", kind, str(alias), live_id=live[id_field]))
                else:
                    ignored.append(f"{kind} {alias}")
    return Plan(changes, ignored)


KeySink = Callable[[str, str], None]  # (alias, value): where a new key value goes, once


def apply(plan: Plan, api: Management, environ: Mapping[str, str], sink: KeySink) -> list[str]:
    """Carry the plan out in order (teams, keys, then deletions: keys before teams). Returns what was done."""
    done: list[str] = []
    team_ids = {t["team_alias"]: t["team_id"] for t in api.teams() if t.get("team_alias")}
    for change in [c for c in plan.changes if c.kind == "team" and c.action != "delete"]:
        if change.action == "create":
            team_ids[change.name] = api.create_team(change.body)["team_id"]
        else:
            api.update_team(str(change.live_id), change.body)
        done.append(str(change))
    for change in [c for c in plan.changes if c.kind == "key" and c.action != "delete"]:
        body = {k: v for k, v in change.body.items() if k != "team"}
        if "team" in change.body:
            body["team_id"] = team_ids[change.body["team"]]
        if change.action == "update":
            api.update_key(str(change.live_id), body)
        else:
            if change.action == "rotate":
                api.delete_keys([str(change.live_id)])
            if change.value_env:
                body["key"] = environ[change.value_env]
            created = api.generate_key(body)
            if not change.value_env:
                sink(change.name, created["key"])
        done.append(str(change))
    deletions = [c for c in plan.changes if c.action == "delete"]
    if keys := [str(c.live_id) for c in deletions if c.kind == "key"]:
        api.delete_keys(keys)
    if teams := [str(c.live_id) for c in deletions if c.kind == "team"]:
        api.delete_teams(teams)
    done += [str(c) for c in deletions]
    return done
