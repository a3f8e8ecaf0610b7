"""What it takes to make the live proxy match the desired state: a plan of changes, then applying it.

A key value is never lost: a new key is created next to the old one (alias `<alias>@next`, marked
pending in its metadata), handed to the sink, checked to authenticate, marked delivered, and only then
is the old key deleted and the new one renamed. A run stopped at any step leaves a pending key the next
plan finishes (delivered: retire the old key, rename) or redoes (never delivered: delete it, start over)."""

from __future__ import annotations

import os
import secrets
import signal
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway_access import sinks
from gateway_access.api import ApiError, Management, permission
from gateway_access.lease import DEFAULT_TTL, Lease
from gateway_access.state import (
    BUDGET_FIELDS,
    KEY_FIELDS,
    MEMBER_FIELDS,
    PERMISSION_FIELDS,
    TEAM_FIELDS,
    USER_FIELDS,
    Signer,
    budget_id,
    budget_name,
    is_marked,
    is_owned,
    managed_metadata,
    token_of,
)

__all__ = ["Change", "KeySink", "Plan", "PlanError", "apply", "make_plan", "token_of"]

PENDING = "gateway_pending"  # key metadata while a new value is on its way: created, then delivered
NEXT = "@next"  # alias suffix of a key that is to replace the key of the alias ('@' is never in a declared alias)
# test-only: STEP:KILL or STEP:STOP (then an optional :TAG) sends this run SIGKILL or SIGSTOP right after
# the named step of a key (created, delivered, retired), to prove the next run completes what a killed one
# began and that a second run waits for the lease (tests/database/test_access.py); never set it elsewhere
TEST_SIGNAL_AT = "GATEWAY_ACCESS_TEST_SIGNAL_AT"


class PlanError(Exception):
    """The desired state cannot be reached (a name taken by an object it does not own, a missing key value)."""


@dataclass
class Change:
    action: str  # create, update, rotate, finish, delete
    kind: str  # budget, user, team, key
    name: str  # budget tier name, user_id, team or key alias
    body: dict[str, Any] = field(default_factory=dict)  # what is sent (no key value in it)
    diff: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field -> (live, desired)
    live_id: str | None = (
        None  # budget_id, team_id, or the token (hash) of the key in place (rotate, finish: the old one)
    )
    value_env: str | None = None  # a key whose value comes from this environment variable
    pending: str | None = None  # rotate: a never delivered new key to delete first; finish: the delivered one
    why: str = ""

    def __str__(self) -> str:
        sign = {"create": "+", "update": "~", "rotate": "±", "finish": "±", "delete": "-"}[self.action]
        text = f"{sign} {self.kind} {self.name}"
        if self.diff:
            text += ": " + "; ".join(f"{k} {_show(a)} -> {_show(b)}" for k, (a, b) in sorted(self.diff.items()))
        elif self.why:
            text += f": {self.why}"
        elif self.action == "rotate":
            text += ": new key value"
        return text


@dataclass
class Plan:
    changes: list[Change]
    ignored: list[str]  # objects not declared and kept: managed ones without --prune, marked ones not proven ours
    document: dict[str, Any] = field(default_factory=dict)  # what it was made from, made again under the lease
    prune: bool = False
    rotate: frozenset[str] = frozenset()

    @property
    def drift(self) -> bool:
        return bool(self.changes)

    def report(self) -> str:
        lines = [str(c) for c in self.changes] or ["no changes: the proxy matches the declared access"]
        lines += [f"  (not declared, {name})" for name in self.ignored]
        counts = {a: sum(1 for c in self.changes if c.action == a) for a in ("create", "update", "rotate", "delete")}
        counts["rotate"] += sum(1 for c in self.changes if c.action == "finish")
        lines.append("plan: " + ", ".join(f"{n} to {a}" for a, n in counts.items()))
        return "\n".join(lines)


def _show(value: Any) -> str:
    return "unset" if value is None else repr(value)


def _normal(name: str, value: Any) -> Any:
    if name in ("models", "allowed_routes", *PERMISSION_FIELDS):  # LiteLLM stores "none" as []
        return sorted(value or [])
    if name in ("max_budget", "soft_budget", "max_budget_in_team") and value is not None:
        return float(value)
    if name == "metadata":
        return dict(value or {})
    return value


def _diff(fields: tuple[str, ...], live: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """field -> (live, desired) of the fields that differ; a permission field only where declared (not null)."""
    found = {}
    for f in fields:
        if f in PERMISSION_FIELDS and desired.get(f) is None:
            continue
        was = permission(dict(live), f) if f in PERMISSION_FIELDS else live.get(f)
        if _normal(f, was) != _normal(f, desired.get(f)):
            found[f] = (was, desired.get(f))
    return found


def _not_ours(document: dict[str, Any], kind: str, alias: str, live: dict[str, Any]) -> PlanError:
    if is_marked(document, live):
        return PlanError(
            f"{kind} '{alias}' carries the bundle's mark but not the reconciler's proof (made with the master key "
            f"when it created the {kind}): someone else made it, e.g. ahead of the reconciler; not adopted: "
            "delete it or rename one of them"
        )
    return PlanError(f"{kind} '{alias}' exists but is not managed by the bundle (created by hand?); rename one of them")


def _desired_key(document: dict[str, Any], alias: str, signer: Signer, token: str) -> dict[str, Any]:
    key = document["keys"][alias]
    desired = {f: key.get(f) for f in KEY_FIELDS if f != "metadata"}
    desired["metadata"] = managed_metadata(document, key.get("metadata") or {}, signer, "key", token)
    desired["allowed_routes"] = desired.get("allowed_routes") or []  # what LiteLLM stores for "every route"
    tier = key.get("budget_id")
    if tier is not None and tier not in (document.get("budgets") or {}):
        raise PlanError(f"key '{alias}' names budget tier '{tier}', which access.json does not declare")
    desired["budget_id"] = None if tier is None else budget_id(document, tier, signer)
    return {"key_alias": alias, "team": key["team"], **desired}


def _budget_changes(
    document: dict[str, Any],
    live_budgets: list[dict[str, Any]],
    live_keys: list[dict[str, Any]],
    signer: Signer,
    prune: bool,
) -> tuple[list[Change], list[Change], list[str]]:
    """Budget tiers to create or update, to delete (--prune: the reconciler's own, no longer declared) and
    the ones kept. A tier's live budget_id carries the reconciler's proof (state.budget_id), so a budget
    someone else made is never taken for one of its own."""
    declared = document.get("budgets") or {}
    by_id = {str(b.get("budget_id")): b for b in live_budgets}
    changes, deletions, ignored = [], [], []
    for name, budget in sorted(declared.items()):
        ident = budget_id(document, name, signer)
        desired = {f: budget.get(f) for f in BUDGET_FIELDS}
        live = by_id.get(ident)
        if live is None:
            changes.append(Change("create", "budget", name, body={"budget_id": ident, **desired}, live_id=ident))
        elif diff := _diff(BUDGET_FIELDS, live, desired):
            body = {"budget_id": ident, **{k: desired[k] for k in diff}}
            changes.append(Change("update", "budget", name, body=body, diff=diff, live_id=ident))
    for ident in sorted(by_id):
        name = budget_name(document, ident, signer)
        if name is None or name in declared:
            continue
        if not prune:
            ignored.append(f"kept without --prune: budget {name}")
            continue
        theirs = [
            str(k.get("key_alias") or f"(no alias, token {str(k.get('token'))[:12]}...)")
            for k in live_keys
            if k.get("budget_id") == ident and not is_owned(document, k, signer, "key")
        ]
        if theirs:
            raise PlanError(
                f"--prune: budget tier '{name}' is no longer declared, but key(s) the reconciler does not own use it: "
                f"{', '.join(sorted(theirs))}; give them another budget_id or none, then prune again (nothing was "
                "changed)"
            )
        deletions.append(Change("delete", "budget", name, live_id=ident))
    return changes, deletions, ignored


def _user_changes(document: dict[str, Any], live_users: list[dict[str, Any]], signer: Signer) -> list[Change]:
    """Declared internal users: created (the user_id is the declaration's, so the proof is written with the
    user) or updated; undeclared users are left alone."""
    changes: list[Change] = []
    users_by_id = {u.get("user_id"): u for u in live_users if u.get("user_id")}
    for user_id, user in sorted((document.get("users") or {}).items()):
        desired = {f: user.get(f) for f in USER_FIELDS if f != "metadata"}
        desired["metadata"] = managed_metadata(document, user.get("metadata") or {}, signer, "user", user_id)
        live = users_by_id.get(user_id)
        if live is None:
            changes.append(Change("create", "user", user_id, body={"user_id": user_id, **desired}))
            continue
        if not is_owned(document, live, signer, "user"):
            raise _not_ours(document, "user", user_id, live)
        if diff := _diff(USER_FIELDS, live, desired):
            changes.append(Change("update", "user", user_id, body={k: desired[k] for k in diff}, diff=diff))
    return changes


# the master key's user (LiteLLM's LITELLM_PROXY_ADMIN_NAME), which /team/new adds to every team it makes as
# an admin member: LiteLLM's bookkeeping, neither compared nor removed
PROXY_ADMIN_USER = "default_user_id"


Member = dict[str, Any]  # role and MEMBER_FIELDS of a team member


def _members(team: Mapping[str, Any]) -> dict[str, Member] | None:
    """user_id -> role and budget fields of a declared team's members (None: membership not managed)."""
    members = team.get("members")
    if members is None:
        return None
    return {
        str(m["user_id"]): {"role": str(m.get("role") or "user"), **{f: m.get(f) for f in MEMBER_FIELDS}}
        for m in members
    }


def _live_members(team: Mapping[str, Any]) -> dict[str, Member]:
    """The same of a live team: roles from members_with_roles, budgets from team_memberships (/team/info)."""
    budgets = {m.get("user_id"): m.get("litellm_budget_table") or {} for m in team.get("team_memberships") or []}
    found: dict[str, Member] = {}
    for m in team.get("members_with_roles") or []:
        if not m.get("user_id") or m["user_id"] == PROXY_ADMIN_USER:
            continue
        budget = budgets.get(m["user_id"]) or {}
        found[str(m["user_id"])] = {
            "role": str(m.get("role") or "user"),
            **{f: budget.get("max_budget" if f == "max_budget_in_team" else f) for f in MEMBER_FIELDS},
        }
    return found


def _same_member(live: Member | None, desired: Member) -> bool:
    return live is not None and all(_normal(f, live.get(f)) == _normal(f, desired.get(f)) for f in desired)


def _shown_members(members: dict[str, Member]) -> dict[str, Any]:
    """user_id -> role, or role and the budget fields set, as the plan shows them."""
    shown: dict[str, Any] = {}
    for user_id, member in members.items():
        limits = {f: member[f] for f in MEMBER_FIELDS if member.get(f) is not None}
        shown[user_id] = {"role": member["role"], **limits} if limits else member["role"]
    return shown


def _team_changes(document: dict[str, Any], live_teams: list[dict[str, Any]], signer: Signer) -> list[Change]:
    changes: list[Change] = []
    teams_by_alias = {t.get("team_alias"): t for t in live_teams if t.get("team_alias")}
    for alias, team in sorted(document["teams"].items()):
        desired = {f: team.get(f) for f in TEAM_FIELDS if f != "metadata"}
        members = _members(team)
        live = teams_by_alias.get(alias)
        if live is None:
            team_id = str(uuid.uuid4())  # chosen here, so the proof is written with the team
            desired["metadata"] = managed_metadata(document, team.get("metadata") or {}, signer, "team", team_id)
            body = {"team_alias": alias, "team_id": team_id, **desired}
            if members:
                body["members"] = members
            changes.append(Change("create", "team", alias, body=body))
            continue
        if not is_owned(document, live, signer, "team"):
            raise _not_ours(document, "team", alias, live)
        desired["metadata"] = managed_metadata(document, team.get("metadata") or {}, signer, "team", live["team_id"])
        diff = _diff(TEAM_FIELDS, live, desired)
        body = {k: desired[k] for k in diff}
        live_members = _live_members(live)
        if members is not None and (
            set(members) != set(live_members)
            or not all(_same_member(live_members.get(u), m) for u, m in members.items())
        ):
            diff["members"] = (_shown_members(live_members), _shown_members(members))
            body["members"] = members
        if diff:
            changes.append(Change("update", "team", alias, body=body, diff=diff, live_id=live["team_id"]))
    return changes


def _apply_members(api: Management, team_id: str, live: dict[str, Member], desired: dict[str, Member]) -> None:
    """Membership of a team made `desired` (user_id -> role and budget fields) from `live`."""
    for user_id, member in sorted(desired.items()):
        found = live.get(user_id)
        if found is None:
            api.add_member(team_id, user_id, member["role"])
            found = {"role": member["role"]}
        if _same_member(found, member):
            continue
        fields = {f: member.get(f) for f in MEMBER_FIELDS}  # every one: a null clears it
        if found.get("role") != member["role"]:
            fields["role"] = member["role"]  # only a change: "admin" needs a licence, even unchanged
        api.update_member(team_id, user_id, fields)
    for user_id in sorted(set(live) - set(desired)):
        api.delete_member(team_id, user_id)


def _key_change(
    document: dict[str, Any],
    alias: str,
    keys_by_alias: dict[str, dict[str, Any]],
    team_alias_of: dict[Any, Any],
    environ: Mapping[str, str],
    signer: Signer,
    rotate: frozenset[str],
) -> Change | None:
    key = document["keys"][alias]
    value_env = key.get("value_env")
    if value_env and not environ.get(value_env):
        raise PlanError(f"key '{alias}' takes its value from ${value_env}, which is not set")
    live, nxt = keys_by_alias.get(alias), keys_by_alias.get(alias + NEXT)
    for name, found in ((alias, live), (alias + NEXT, nxt)):
        if found is not None and not is_owned(document, found, signer, "key"):
            raise _not_ours(document, "key", name, found)
    old = str(live["token"]) if live else None
    body = _desired_key(document, alias, signer, "")  # the proof is the new key's, made when it is created
    if nxt is not None:
        delivered = (nxt.get("metadata") or {}).get(PENDING) == "delivered"
        if delivered and not (value_env and nxt["token"] != token_of(environ[value_env])):
            why = "finish the rotation an earlier run began (its new key reached the sink)"
            return Change("finish", "key", alias, body=body, live_id=old, pending=str(nxt["token"]), why=why)
        why = "redo the rotation an earlier run began (its new key never reached the sink)"
        return Change(
            "rotate", "key", alias, body=body, live_id=old, value_env=value_env, pending=nxt["token"], why=why
        )
    if live is None:
        return Change("create", "key", alias, body=body, value_env=value_env)
    state = (live.get("metadata") or {}).get(PENDING)
    if state == "delivered":
        return Change("finish", "key", alias, body=body, pending=old, why="finish the creation an earlier run began")
    if state is not None:
        why = "a new value: the one an earlier run created never reached the sink"
        return Change("rotate", "key", alias, body=body, live_id=old, value_env=value_env, why=why)
    if alias in rotate or (value_env and old != token_of(environ[value_env])):
        return Change("rotate", "key", alias, body=body, live_id=old, value_env=value_env)
    desired = _desired_key(document, alias, signer, str(old))
    diff = _diff(KEY_FIELDS, live, desired)
    if team_alias_of.get(live.get("team_id")) != key["team"]:
        diff["team"] = (team_alias_of.get(live.get("team_id")), key["team"])
    if diff:
        return Change("update", "key", alias, body={k: desired[k] for k in diff}, diff=diff, live_id=old)
    return None


def make_plan(
    document: dict[str, Any],
    live_teams: list[dict[str, Any]],
    live_keys: list[dict[str, Any]],
    environ: Mapping[str, str],
    signer: Signer,
    prune: bool = False,
    rotate: frozenset[str] = frozenset(),
    live_users: list[dict[str, Any]] | None = None,
    live_budgets: list[dict[str, Any]] | None = None,
) -> Plan:
    try:
        sinks.variables(document["keys"])
    except ValueError as exc:
        raise PlanError(str(exc)) from None
    changes, budget_deletions, ignored = _budget_changes(document, live_budgets or [], live_keys, signer, prune)
    changes += _user_changes(document, live_users or [], signer) + _team_changes(document, live_teams, signer)
    keys_by_alias = {str(k["key_alias"]): k for k in live_keys if k.get("key_alias")}
    team_alias_of = {t.get("team_id"): t.get("team_alias") for t in live_teams}
    for alias in sorted(document["keys"]):
        if change := _key_change(document, alias, keys_by_alias, team_alias_of, environ, signer, rotate):
            changes.append(change)

    pending = {alias + NEXT for alias in document["keys"]}
    for kind, live_objects, declared, id_field, alias_field in (
        ("key", live_keys, set(document["keys"]) | pending, "token", "key_alias"),
        ("team", live_teams, set(document["teams"]), "team_id", "team_alias"),
    ):
        for live in live_objects:
            alias = live.get(alias_field)
            if alias in declared or not is_marked(document, live):
                continue
            if not is_owned(document, live, signer, kind):
                ignored.append(f"marked but not proven ours, left alone: {kind} {alias}")
            elif prune:
                _refuse_cascade(document, kind, str(alias), live, live_keys, signer)
                changes.append(Change("delete", kind, str(alias), live_id=live[id_field]))
            else:
                ignored.append(f"kept without --prune: {kind} {alias}")
    return Plan(changes + budget_deletions, ignored, document, prune, rotate)


def live_state(api: Management, document: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """What make_plan compares with (its live_* arguments): teams (those declaring members or a permission
    field with their memberships' budgets and object_permission, /team/info), keys (with theirs), users (when
    any is declared) and budget tiers."""
    teams = api.teams()
    declared = {
        alias
        for alias, team in document["teams"].items()
        if team.get("members") is not None or any(team.get(f) is not None for f in PERMISSION_FIELDS)
    }
    for team in teams:
        if team.get("team_alias") in declared:
            add_team_info(api, team)
    users = api.users() if document.get("users") else []
    return {"live_teams": teams, "live_keys": api.keys(), "live_users": users, "live_budgets": api.budgets()}


def add_team_info(api: Management, team: dict[str, Any]) -> None:
    """A live team (of /v2/team/list) with what only /team/info has: its memberships (the members' budgets in
    the team) and its object_permission."""
    info = api.team_info(str(team["team_id"]))
    team["team_memberships"] = [m for m in info.get("team_memberships") or [] if isinstance(m, dict)]
    team["object_permission"] = (info.get("team_info") or {}).get("object_permission")


def _refuse_cascade(
    document: dict[str, Any],
    kind: str,
    alias: str,
    live: dict[str, Any],
    live_keys: list[dict[str, Any]],
    signer: Signer,
) -> None:
    """LiteLLM's /team/delete deletes every key of the team: refuse when one of them is not ours."""
    if kind != "team":
        return
    theirs = [
        str(k.get("key_alias") or f"(no alias, token {str(k.get('token'))[:12]}...)")
        for k in live_keys
        if k.get("team_id") == live["team_id"] and not is_owned(document, k, signer, "key")
    ]
    if theirs:
        raise PlanError(
            f"--prune: team '{alias}' is no longer declared, but LiteLLM deletes a team's keys with it and it holds "
            f"key(s) the reconciler does not own: {', '.join(sorted(theirs))}; move them to another team or delete "
            "them, then prune again (nothing was changed)"
        )


KeySink = Callable[[str, str], None]  # (alias, value): where a new key value goes, once


def _step(name: str, environ: Mapping[str, str]) -> None:
    step, _, how = environ.get(TEST_SIGNAL_AT, "").partition(":")  # STEP:SIGNAL[:a tag of the test's]
    if step == name:
        how = how.partition(":")[0]
        os.kill(os.getpid(), signal.SIGSTOP if how == "STOP" else signal.SIGKILL)


def _verify_route(body: dict[str, Any]) -> str:
    """A GET the key may call: /key/info, or its first allowed route that is a plain path."""
    routes = [r for r in body.get("allowed_routes") or [] if r.startswith("/") and not set(r) & set("{}*")]
    return "/key/info" if not routes or "/key/info" in routes else str(routes[0])


def _finish(
    api: Management, alias: str, new: str, old: str | None, body: dict[str, Any], environ: Mapping[str, str]
) -> None:
    """The new key (token `new`) reached the sink: retire the old one, give the new one the alias."""
    if old:
        api.delete_keys([old])
    _step("retired", environ)
    metadata = {k: v for k, v in body["metadata"].items() if k != PENDING}
    api.update_key(new, {"key_alias": alias, "metadata": metadata})


def _new_key(
    api: Management,
    change: Change,
    body: dict[str, Any],
    environ: Mapping[str, str],
    sink: KeySink,
    signer: Signer,
    document: dict[str, Any],
) -> None:
    """Create, deliver, verify, then retire the old key: a failure at any step keeps a working key."""
    if change.pending:
        api.delete_keys([change.pending])
    value = environ[change.value_env] if change.value_env else "sk-" + secrets.token_urlsafe(24)
    token = token_of(value)
    declared = document["keys"][change.name].get("metadata") or {}
    metadata = {**managed_metadata(document, declared, signer, "key", token), PENDING: "created"}
    alias = change.name + NEXT if change.live_id else change.name
    api.generate_key({**body, "key_alias": alias, "key": value, "metadata": metadata})
    _step("created", environ)
    if not change.value_env:
        sink(change.name, value)
    route = _verify_route(body)
    if (status := api.authenticates(value, route)) != 200:
        raise ApiError(
            f"key '{change.name}': the new key does not authenticate (GET {route}: HTTP {status}); it stays "
            "pending (the next run replaces it) and the old one, if any, is kept"
        )
    api.update_key(token, {"metadata": {**metadata, PENDING: "delivered"}})
    _step("delivered", environ)
    _finish(api, change.name, token, change.live_id, {"metadata": metadata}, environ)


def apply(
    plan: Plan, api: Management, environ: Mapping[str, str], sink: KeySink, lease_ttl: float = DEFAULT_TTL
) -> list[str]:
    """Under the environment's lease, plan again from the live state and carry it out in order (budget
    tiers, users, teams, keys, then deletions: keys, teams, budget tiers). Returns what was done. Raises
    LeaseHeld when another run holds the lease."""
    signer = Signer(api.master_key)
    with Lease(api, plan.document["environment"], lease_ttl) as lease:
        live = live_state(api, plan.document)
        teams = live["live_teams"]
        plan = make_plan(plan.document, environ=environ, signer=signer, prune=plan.prune, rotate=plan.rotate, **live)
        done: list[str] = []
        for change in [c for c in plan.changes if c.kind == "budget" and c.action != "delete"]:
            lease.check()
            if change.action == "create":
                api.create_budget(change.body)
            else:
                api.update_budget(change.body)
            done.append(str(change))
        for change in [c for c in plan.changes if c.kind == "user"]:
            lease.check()
            if change.action == "create":
                api.create_user(change.body)
            else:
                api.update_user(change.name, change.body)
            done.append(str(change))
        team_ids = {t["team_alias"]: t["team_id"] for t in teams if t.get("team_alias")}
        live_members = {t.get("team_alias"): _live_members(t) for t in teams}
        for change in [c for c in plan.changes if c.kind == "team" and c.action != "delete"]:
            lease.check()
            body = {k: v for k, v in change.body.items() if k != "members"}
            if change.action == "create":
                team_ids[change.name] = api.create_team(body)["team_id"]
            elif len(body) > 0:
                api.update_team(str(change.live_id), body)
            if "members" in change.body:
                _apply_members(api, team_ids[change.name], live_members.get(change.name) or {}, change.body["members"])
            done.append(str(change))
        for change in [c for c in plan.changes if c.kind == "key" and c.action != "delete"]:
            lease.check()
            body = {k: v for k, v in change.body.items() if k != "team"}
            if "team" in change.body:
                body["team_id"] = team_ids[change.body["team"]]
            if change.action == "update":
                api.update_key(str(change.live_id), body)
            elif change.action == "finish":
                token = str(change.pending)
                metadata = _desired_key(plan.document, change.name, signer, token)["metadata"]
                _finish(api, change.name, token, change.live_id, {"metadata": metadata}, environ)
            else:
                _new_key(api, change, body, environ, sink, signer, plan.document)
            done.append(str(change))
        deletions = [c for c in plan.changes if c.action == "delete"]
        lease.check()
        if keys := [str(c.live_id) for c in deletions if c.kind == "key"]:
            api.delete_keys(keys)
        if teams_gone := [str(c.live_id) for c in deletions if c.kind == "team"]:
            api.delete_teams(teams_gone)
        for change in [c for c in deletions if c.kind == "budget"]:  # last: keys that used them are gone
            api.delete_budget(str(change.live_id))
        done += [str(c) for c in deletions]
    return done
