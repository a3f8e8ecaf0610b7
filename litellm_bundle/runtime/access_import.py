"""`access import`: a live proxy's budget tiers, internal users, teams (with their members) and virtual keys
as config/access.yaml entries of one environment, made the reconciler's own (adopted) so that `access plan`
against the same proxy then shows no change.

Read through the management API a page at a time (/user/list, /v2/team/list, /key/list; /budget/list is one
page). Never a key value:
a key is declared by its alias, LiteLLM keeps its value. A team or key without a valid alias (none, one the
schema refuses, one taken) gets one derived from its id and written to the proxy with the adoption; an
object access.yaml cannot declare exactly (a team allowed every model, a key without a team, a model group
the environment does not enable, metadata that is not flat, a user the identity provider manages) is left
out, with the reason; a team whose members are not all imported users keeps its membership unmanaged, and a
team or key granting an MCP server the environment does not declare keeps its MCP access unmanaged.
A budget tier is imported only when its budget_id is one the reconciler made for the environment (the tier's
name and its proof, gateway_access.state.budget_id): a budget's id is its identity and LiteLLM cannot rename
one, so a budget made by hand cannot be adopted and is left out, with the keys using it.
Adoption (writing the reconciler's mark and proof, gateway_access/adopt.py) needs the master key: see
docs/access.md."""

from __future__ import annotations

import importlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from litellm_bundle.checks.validate import validate
from litellm_bundle.core.facts import ACCESS_PACKAGE
from litellm_bundle.core.problems import Location, Problem, Result
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.core.yamlemit import comments_of, emit
from litellm_bundle.core.yamlio import YamlDocument, load_yaml
from litellm_bundle.model.access import BUDGET_LIMITS, KINDS, LIMITS, MCP_SPECIAL, mcp_outside_team, mcp_servers
from litellm_bundle.model.effective import effective_config
from litellm_bundle.policy.policies import Policies
from litellm_bundle.runtime import access

SOURCE_SCHEMA = "access.schema.json"
STATE_SCHEMA = "access-state.schema.json"
ID_FIELD = {"user": "user_id", "team": "team_id", "key": "token"}
ALIAS_FIELD = {"team": "team_alias", "key": "key_alias"}
# KINDS (model.access): what an import brings in, in the file's order (budget tiers before the keys naming them)
# user metadata LiteLLM's SCIM v2 writes into the users it provisions (scim_v2.py, _build_scim_metadata)
SCIM_METADATA = ("scim_metadata", "scim_active")
ID_DIGITS = 8  # of the id in a derived alias, more while one is taken
# the reconciler's own keys: its lease (gateway_access/lease.py) and a key on its way (alias@next)
INTERNAL_METADATA = ("gateway_lease", "gateway_pending")
HEADER = [
    "Budget tiers, internal users, teams and virtual keys as code (docs/access.md). No key value lives here.",
]


@dataclass
class Selection:
    """What one import brings in: entries by kind and alias (a user: its user_id), what to adopt (kind -> id
    -> fields to set with the mark), and what it says about the rest."""

    entries: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: {k: {} for k in KINDS})
    adopt: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: {k: {} for k in ID_FIELD})
    alias_of: dict[str, dict[str, str]] = field(default_factory=lambda: {k: {} for k in ID_FIELD})  # id -> alias
    derived: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    internal: int = 0


@dataclass
class Rules:
    """What the selection needs to know besides the live objects."""

    env: str
    declared: dict[str, set[str]]  # kind (users, teams, keys) -> user_ids and aliases the file declares already
    users_here: set[str]  # user_ids the file declares for the environment (a team may name them as members)
    declared_members: dict[str, set[str] | None]  # team alias -> the members the file declares (None: unmanaged)
    tier_name: Callable[[str], str | None]  # a live budget_id -> its tier's name when the reconciler made it for env
    tiers_here: set[str]  # tier names the file declares for the environment
    proxy_admin: str  # the master key's user, LiteLLM's bookkeeping (gateway_access.plan.PROXY_ADMIN_USER)
    member_fields: tuple[str, ...]  # a member's budget in the team (gateway_access.state.MEMBER_FIELDS)
    user_id_pattern: re.Pattern[str]
    user_id_length: int
    enabled: set[str]  # model groups the environment enables
    ownership: Callable[[str, dict[str, Any]], str]  # (kind, live) -> owned, forged, other:<mark>, free
    variable: Callable[[str], str]  # a key alias's variable name (gateway_access.sinks: must not collide)
    alias_pattern: re.Pattern[str]
    alias_length: int
    entry_problem: Callable[[str, dict[str, Any]], str | None]  # (kind, entry) -> what the schema says
    mcp_servers: dict[str, bool] = field(default_factory=dict)  # declared MCP servers -> allow_all_keys (model.access)
    declared_mcp: dict[str, list[str] | None] = field(default_factory=dict)  # team alias -> its declared mcp_servers


def _shown(kind: str, live: dict[str, Any]) -> str:
    if kind == "user":
        return f"user '{live.get('user_id')}'"
    alias = live.get(ALIAS_FIELD[kind])
    return f"{kind} '{alias}'" if alias else f"{kind} (no alias, {ID_FIELD[kind]} {str(live.get(ID_FIELD[kind]))[:12]})"


def _internal(live: dict[str, Any]) -> bool:
    metadata = live.get("metadata") or {}
    alias = str(live.get("key_alias") or "")
    return any(k in metadata for k in INTERNAL_METADATA) or "@" in alias or alias.startswith("gateway-access.lease.")


def _slug(text: str, length: int) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._")[:length].rstrip("-._")


def _aliases(kind: str, live_objects: list[dict[str, Any]], rules: Rules, sel: Selection) -> None:
    """id -> alias for every live object of a kind: its own where valid and free, else one derived (stable:
    from its id; collision-free, after the sink's name mapping for keys)."""
    norm = rules.variable if kind == "key" else (lambda alias: alias)
    taken = {norm(alias) for alias in rules.declared[f"{kind}s"]}
    ordered = sorted(live_objects, key=lambda o: str(o.get(ID_FIELD[kind])))
    pending = []
    for live in ordered:
        ident, alias = str(live[ID_FIELD[kind]]), str(live.get(ALIAS_FIELD[kind]) or "")
        valid = bool(rules.alias_pattern.fullmatch(alias)) and len(alias) <= rules.alias_length
        if valid and (norm(alias) not in taken or alias in rules.declared[f"{kind}s"]):
            sel.alias_of[kind][ident] = alias
            taken.add(norm(alias))
        else:
            pending.append(live)
    for live in pending:
        ident, alias = str(live[ID_FIELD[kind]]), str(live.get(ALIAS_FIELD[kind]) or "")
        digits = _slug(ident, 64) or "x"
        base = _slug(alias, rules.alias_length - ID_DIGITS - 1)
        width, number = ID_DIGITS, 1
        while True:
            suffix = digits[:width] + (f"-{number}" if width >= len(digits) and number > 1 else "")
            candidate = f"{base or kind}-{suffix}"[: rules.alias_length]
            if norm(candidate) not in taken:
                break
            if width < len(digits):
                width += 4
            else:
                number += 1
        taken.add(norm(candidate))
        sel.alias_of[kind][ident] = candidate
        why = "not a valid alias" if alias and not rules.alias_pattern.fullmatch(alias) else "taken"
        sel.derived.append(f"{_shown(kind, live)} -> {candidate}" + (f" ({why})" if alias else ""))


def _metadata(live: dict[str, Any], entry: dict[str, Any], hidden: tuple[str, ...]) -> None:
    metadata = {k: v for k, v in (live.get("metadata") or {}).items() if k not in hidden}
    tags = metadata.get("tags")
    if isinstance(tags, list) and tags and all(isinstance(t, str) and t for t in tags) and len(set(tags)) == len(tags):
        entry["tags"] = metadata.pop("tags")
    if metadata:
        entry["metadata"] = metadata


def _limits(live: dict[str, Any], entry: dict[str, Any]) -> None:
    entry.update({k: live[k] for k in LIMITS if live.get(k) is not None})


def _user(live: dict[str, Any], rules: Rules, hidden: tuple[str, ...]) -> tuple[dict[str, Any] | None, str]:
    user_id, metadata = str(live["user_id"]), live.get("metadata") or {}
    if user_id == rules.proxy_admin:
        return None, "the master key's user (LiteLLM's own bookkeeping), never declared"
    if not rules.user_id_pattern.fullmatch(user_id) or len(user_id) > rules.user_id_length:
        return None, "not a user_id access.yaml can declare (letters, digits, '.', '_', '-', '@', '+'; 128 at most)"
    if any(k in metadata for k in SCIM_METADATA):
        return None, "provisioned by SCIM (the identity provider manages it)"
    if live.get("sso_user_id"):
        return None, "it signs in through SSO, whose sign-in sets its role (the identity provider manages it)"
    if not live.get("user_role"):
        return None, "it has no user_role (access.yaml declares one)"
    entry: dict[str, Any] = {"environments": [rules.env], "user_role": live["user_role"]}
    _limits(live, entry)
    if kept := {k: v for k, v in metadata.items() if k not in hidden}:  # a user has no tags of its own
        entry["metadata"] = kept
    return entry, ""


def _members(live: dict[str, Any], available: set[str], rules: Rules) -> tuple[list[dict[str, Any]] | None, str]:
    """A team's members as access.yaml declares them (None: none, or not all of them imported users: its
    membership is left unmanaged), as gateway_access.plan compares them: by user_id, the master key's user
    left out, each with its role and its budget in the team (`team_memberships`, from /team/info)."""
    members = [
        m for m in live.get("members_with_roles") or [] if m.get("user_id") and m["user_id"] != rules.proxy_admin
    ]
    if missing := sorted({str(m["user_id"]) for m in members} - available):
        return None, f"member(s) not imported as users: {', '.join(missing)}"
    budgets = {m.get("user_id"): m.get("litellm_budget_table") or {} for m in live.get("team_memberships") or []}
    declared = []
    for m in sorted(members, key=lambda m: str(m["user_id"])):
        budget = budgets.get(m["user_id"]) or {}
        limits = {f: budget.get("max_budget" if f == "max_budget_in_team" else f) for f in rules.member_fields}
        role = m.get("role") or "user"
        declared.append(
            {
                "user_id": str(m["user_id"]),
                **({} if role == "user" else {"role": role}),
                **{f: v for f, v in limits.items() if v is not None},
            }
        )
    return declared or None, ""


def _team(live: dict[str, Any], rules: Rules, hidden: tuple[str, ...]) -> tuple[dict[str, Any] | None, str]:
    models = [m for m in live.get("models") or [] if isinstance(m, str)]
    if not models:
        return None, "it may call every model (models: []), which access.yaml does not declare"
    if outside := [m for m in models if m not in rules.enabled]:
        return None, f"it may call {', '.join(outside)}, not a model group enabled in {rules.env}"
    entry: dict[str, Any] = {"environments": [rules.env], "models": models}
    _limits(live, entry)
    _metadata(live, entry, hidden)
    return entry, ""


def _mcp(live: dict[str, Any], kind: str, team_servers: list[str] | None, rules: Rules) -> tuple[list[str], str]:
    """The MCP servers a team or key grants (its object_permission.mcp_servers) as access.yaml declares them,
    or none and why not (a server the environment does not declare, or one of a key outside its team's: its
    MCP access then stays unmanaged, as it is)."""
    servers = [s for s in (live.get("object_permission") or {}).get("mcp_servers") or [] if isinstance(s, str)]
    if unknown := [s for s in servers if s not in rules.mcp_servers and s != MCP_SPECIAL[f"{kind}s"]]:
        return (
            [],
            f"MCP server(s) not declared for {rules.env} (mcp_servers in config/litellm.yaml): {', '.join(unknown)}",
        )
    if team_servers is not None and (outside := mcp_outside_team(servers, team_servers, rules.mcp_servers)):
        return [], f"MCP server(s) its team does not grant: {', '.join(outside)}"
    return servers, ""


def _key(
    live: dict[str, Any], team: dict[str, Any] | None, team_alias: str | None, rules: Rules, hidden: tuple[str, ...]
) -> tuple[dict[str, Any] | None, str]:
    if not live.get("team_id"):
        return None, "it belongs to no team (access.yaml declares keys of a team)"
    if team is None or team_alias is None:
        return None, f"its team {live['team_id']} is not imported"
    models = [m for m in live.get("models") or [] if isinstance(m, str)]
    team_models = [m for m in team.get("models") or [] if isinstance(m, str)]
    if outside := [m for m in models if m not in rules.enabled or m not in team_models]:
        return None, f"it may call {', '.join(outside)}, not a model group of its team enabled in {rules.env}"
    entry: dict[str, Any] = {"team": team_alias, "environments": [rules.env]}
    if models:
        entry["models"] = models
    if routes := live.get("allowed_routes"):
        entry["allowed_routes"] = list(routes)
    _limits(live, entry)
    _metadata(live, entry, hidden)
    return entry, ""


def _key_links(
    live: dict[str, Any],
    entry: dict[str, Any],
    users: set[str],
    team_members: set[str] | None,
    tiers: set[str],
    rules: Rules,
) -> str:
    """The key's user and budget tier written into `entry`, or why they cannot be (a key names a declared
    user, a member of its team where the team declares members, and a tier of the environment: `tiers`, the
    ones the file declares for it or the import brings in, by name; the file names a tier, plan maps the
    name to its live budget_id)."""
    if (user_id := live.get("user_id")) is not None:
        if user_id not in users:
            return f"it belongs to user {user_id}, who is not imported (a key names a declared user)"
        if team_members is not None and user_id not in team_members:
            return f"it belongs to user {user_id}, who is not a member of its team"
        entry["user_id"] = user_id
    if (budget := live.get("budget_id")) is not None:
        tier = rules.tier_name(str(budget))
        if tier is None:
            return f"it uses budget {budget}, {_HAND_MADE.format(env=rules.env)}"
        if tier not in tiers:
            return f"it uses budget tier {tier}, which is neither declared for {rules.env} nor imported"
        entry["budget_id"] = tier
    return ""


# why a budget whose id the reconciler did not make for the environment is never imported (nor a key using it)
_HAND_MADE = (
    "not a tier the reconciler made for {env} (made by hand, or another environment's): a budget's id is its "
    "identity and LiteLLM cannot rename one, so it cannot be adopted"
)


def _select_budgets(live_budgets: list[dict[str, Any]], bookkeeping: set[str], rules: Rules, sel: Selection) -> None:
    """The tiers the reconciler made for the environment (its proof is in the id) and not declared yet; every
    other budget is left out with the reason, but for `bookkeeping` (LiteLLM's budgets of team members)."""
    for live in sorted((b for b in live_budgets if b.get("budget_id")), key=lambda b: str(b["budget_id"])):
        ident = str(live["budget_id"])
        name = rules.tier_name(ident)
        if name is None:
            if ident not in bookkeeping:
                sel.skipped.append(f"budget '{ident}': not imported: {_HAND_MADE.format(env=rules.env)}")
            continue
        if name in rules.declared["budgets"]:
            sel.skipped.append(f"budget tier '{name}': already declared in the file")
            continue
        entry = {"environments": [rules.env], **{f: live[f] for f in BUDGET_LIMITS if live.get(f) is not None}}
        if problem := rules.entry_problem("budget", entry):
            sel.skipped.append(f"budget tier '{name}': not imported: {problem}")
            continue
        sel.entries["budgets"][name] = entry


def _owner_problem(shown: str, owner: str, rules: Rules) -> str | None:
    """Why an object is not the import's to take (another manager's, or a forged mark), else None."""
    if owner == "forged":
        return (
            f"{shown}: carries the bundle's mark for {rules.env} but not the reconciler's proof "
            "(someone else made it); not adopted"
        )
    if owner.startswith("other:"):
        return f"{shown}: managed by {owner.removeprefix('other:')}"
    return None


def _select_users(live_users: list[dict[str, Any]], rules: Rules, hidden: tuple[str, ...], sel: Selection) -> None:
    for live in sorted((u for u in live_users if u.get("user_id")), key=lambda u: str(u["user_id"])):
        user_id, shown = str(live["user_id"]), _shown("user", live)
        sel.alias_of["user"][user_id] = user_id
        if user_id in rules.declared["users"]:
            sel.skipped.append(f"{shown}: already declared in the file")
            continue
        owner = rules.ownership("user", live)
        if problem := _owner_problem(shown, owner, rules):
            sel.skipped.append(problem)
            continue
        entry, why = _user(live, rules, hidden)
        problem = rules.entry_problem("user", entry) if entry is not None else None
        if entry is None or problem:
            sel.skipped.append(f"{shown}: not imported: {why or problem}")
            continue
        sel.entries["users"][user_id] = entry
        if owner == "free":
            sel.adopt["user"][user_id] = {}


def select(
    live_teams: list[dict[str, Any]],
    live_keys: list[dict[str, Any]],
    rules: Rules,
    hidden: tuple[str, ...],
    live_users: list[dict[str, Any]] | None = None,
    live_budgets: list[dict[str, Any]] | None = None,
) -> Selection:
    """The entries an import writes and the objects it adopts (pure: the live objects as the API lists them;
    `hidden`: the reconciler's own metadata fields, never written)."""
    sel = Selection()
    bookkeeping = {  # the budgets LiteLLM makes for team members (their own and the team's default)
        str(ident)
        for team in live_teams
        for ident in [
            (team.get("metadata") or {}).get("team_member_budget_id"),
            *(m.get("budget_id") for m in team.get("team_memberships") or []),
        ]
        if ident
    }
    _select_budgets(live_budgets or [], bookkeeping, rules, sel)
    tiers = set(sel.entries["budgets"]) | rules.tiers_here
    _select_users(live_users or [], rules, hidden, sel)
    members_ok = set(sel.entries["users"]) | rules.users_here
    keys = []
    for key in live_keys:
        if _internal(key):
            sel.internal += 1
        else:
            keys.append(key)
    _aliases("team", live_teams, rules, sel)
    _aliases("key", keys, rules, sel)
    teams_by_id = {str(t["team_id"]): t for t in live_teams}
    imported_teams: dict[str, str] = {}  # team_id -> alias, of teams declared after the import

    def members_of(alias: str) -> set[str] | None:  # the members a team declares (None: not managed)
        team = sel.entries["teams"].get(alias)
        if team is None:
            return rules.declared_members.get(alias)
        return None if team.get("members") is None else {m["user_id"] for m in team["members"]}

    def mcp_of(alias: str) -> list[str] | None:  # the MCP servers a team declares (None: not managed)
        team = sel.entries["teams"].get(alias)
        return rules.declared_mcp.get(alias) if team is None else team.get("mcp_servers")

    for kind, objects in (("team", live_teams), ("key", keys)):
        for live in sorted(objects, key=lambda o: str(o.get(ID_FIELD[kind]))):
            ident = str(live[ID_FIELD[kind]])
            alias = sel.alias_of[kind][ident]
            shown = _shown(kind, live)
            if alias in rules.declared[f"{kind}s"]:
                if kind == "team":
                    imported_teams[ident] = alias
                sel.skipped.append(f"{shown}: already declared in the file")
                continue
            owner = rules.ownership(kind, live)
            if problem := _owner_problem(shown, owner, rules):
                sel.skipped.append(problem)
                continue
            if kind == "team":
                entry, why = _team(live, rules, hidden)
            else:
                team_id = str(live.get("team_id") or "")
                entry, why = _key(live, teams_by_id.get(team_id), imported_teams.get(team_id), rules, hidden)
                team_members = members_of(entry["team"]) if entry is not None else None
                if entry is not None and (why := _key_links(live, entry, members_ok, team_members, tiers, rules)):
                    entry = None
            problem = rules.entry_problem(kind, entry) if entry is not None else None
            if entry is None or problem:
                sel.skipped.append(f"{shown}: not imported: {why or problem}")
                continue
            servers, why = _mcp(live, kind, None if kind == "team" else mcp_of(entry["team"]), rules)
            if servers:
                entry["mcp_servers"] = servers
            elif why:
                sel.skipped.append(f"{shown}: imported without mcp_servers (its MCP access stays unmanaged): {why}")
            if kind == "team":
                members, why = _members(live, members_ok, rules)
                if members and (why := rules.entry_problem(kind, {**entry, "members": members}) or ""):
                    members = None
                if members:
                    entry["members"] = members
                elif why:
                    sel.skipped.append(f"{shown}: imported without members (its membership stays unmanaged): {why}")
                imported_teams[ident] = alias
            sel.entries[f"{kind}s"][alias] = entry
            if owner == "free":
                fields: dict[str, Any] = {}
                if alias != live.get(ALIAS_FIELD[kind]):
                    fields[ALIAS_FIELD[kind]] = alias
                if kind == "key" and "models" not in entry:  # LiteLLM's "the team's", written as the list
                    fields["models"] = list(teams_by_id[str(live["team_id"])]["models"])
                sel.adopt[kind][ident] = fields
    return sel


def _without(sel: Selection, refused: Mapping[str, Mapping[str, str]]) -> None:
    """Drop what adoption refused (changed since it was read), the keys of a refused team or user and the
    members of a team naming a refused user (its membership then stays unmanaged)."""
    gone = {kind: set(refused.get(kind, {})) for kind in ID_FIELD}
    team_aliases = {sel.alias_of["team"][i] for i in gone["team"]}
    for kind in ID_FIELD:
        for ident in gone[kind]:
            sel.entries[f"{kind}s"].pop(sel.alias_of[kind][ident], None)
    for alias, entry in list(sel.entries["keys"].items()):
        if entry["team"] in team_aliases:
            del sel.entries["keys"][alias]
    for entry in sel.entries["teams"].values():
        if gone["user"] & {m["user_id"] for m in entry.get("members") or []}:
            del entry["members"]
    for alias, entry in list(sel.entries["keys"].items()):
        if entry.get("user_id") in gone["user"]:
            del sel.entries["keys"][alias]


def _merged(doc: YamlDocument | None, sel: Selection) -> str:
    data = dict(doc.data) if doc is not None and isinstance(doc.data, dict) else {}
    header, comments = comments_of(doc) if doc is not None else (HEADER, {})
    merged: dict[str, Any] = {}
    for kind in KINDS:
        items = {**(data.pop(kind, None) or {}), **sel.entries[kind]}
        if items:
            merged[kind] = items
    merged.update(data)
    return emit(merged, comments, header)


def _write(path: Path, text: str) -> None:
    """Replaced in one step (a fresh temporary file next to it, renamed over it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        if path.exists():
            shutil.copymode(path, name)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def _candidate_problems(tree: BundleTree, env: str, text: str, shown: str) -> list[Problem]:
    """The tree's validation of `env` with `text` as its access.yaml (problems located in `shown`)."""
    with tempfile.TemporaryDirectory(prefix="access-import-") as work:
        config = Path(work) / "config"
        shutil.copytree(tree.config_dir, config)
        (config / "access.yaml").write_text(text, encoding="utf-8")
        _, problems = validate(Policies(BundleTree.at(tree.root, config_dir=config)), [env])
    return [
        replace(p, location=Location(shown, p.location.line, p.location.col))
        if p.location.file.endswith("access.yaml")
        else p
        for p in problems
    ]


def _rules(tree: BundleTree, env: str, doc: YamlDocument | None, gateway: Any, signer: Any) -> Rules | list[Problem]:
    policies = Policies(tree)
    cs, problems = validate(policies, [env])
    if problems:
        return problems
    state = gateway.state
    document = {"environment": env}
    mine = state.mark(document)

    def ownership(kind: str, live: dict[str, Any]) -> str:  # kind: user, team, key
        marked = (live.get("metadata") or {}).get(state.MANAGED_BY)
        if marked is None:
            return "free"
        if state.is_owned(document, live, signer, kind):
            return "owned"
        return "forged" if marked == mine else f"other:{marked}"

    validators = {
        kind: Draft202012Validator(
            {"$ref": f"{policies.schemas[SOURCE_SCHEMA]['$id']}#/$defs/{kind}"}, registry=policies.registry
        )
        for kind in (*ID_FIELD, "budget")
    }

    def entry_problem(kind: str, entry: dict[str, Any]) -> str | None:
        errors = sorted(validators[kind].iter_errors(entry), key=lambda e: list(e.absolute_path))
        if not errors:
            return None
        where = ".".join(str(p) for p in errors[0].absolute_path)
        return f"{where}: {errors[0].message}" if where else errors[0].message

    data = doc.data if doc is not None and isinstance(doc.data, dict) else {}
    defs = policies.schemas[STATE_SCHEMA]["$defs"]
    alias, user_id = defs["alias"], defs["userId"]
    declared_users = data["users"] if isinstance(data.get("users"), dict) else {}
    declared_teams = data["teams"] if isinstance(data.get("teams"), dict) else {}
    tiers = data["budgets"] if isinstance(data.get("budgets"), dict) else {}
    effective = effective_config(cs, env).data

    return Rules(
        env=env,
        declared={kind: set((data.get(kind) or {}) if isinstance(data.get(kind), dict) else ()) for kind in KINDS},
        users_here={
            str(u)
            for u, user in declared_users.items()
            if isinstance(user, dict) and env in (user.get("environments") or [env])
        },
        declared_members={
            str(alias): {str(m.get("user_id")) for m in team["members"] if isinstance(m, dict)}
            if isinstance(team, dict) and isinstance(team.get("members"), list)
            else None
            for alias, team in declared_teams.items()
        },
        tier_name=lambda live_id: state.budget_name(document, live_id, signer),
        tiers_here={
            str(name)
            for name, tier in tiers.items()
            if isinstance(tier, dict) and env in (tier.get("environments") or [env])
        },
        proxy_admin=gateway.planning.PROXY_ADMIN_USER,
        member_fields=tuple(state.MEMBER_FIELDS),
        user_id_pattern=re.compile(user_id["pattern"]),
        user_id_length=int(user_id["maxLength"]),
        enabled=set(effective["model_groups"]),
        ownership=ownership,
        variable=gateway.sinks.variable,
        alias_pattern=re.compile(alias["pattern"]),
        alias_length=int(alias["maxLength"]),
        entry_problem=entry_problem,
        mcp_servers=mcp_servers(effective["litellm"]),
        declared_mcp={
            str(alias): [str(s) for s in team["mcp_servers"]]
            if isinstance(team, dict) and isinstance(team.get("mcp_servers"), list)
            else None
            for alias, team in declared_teams.items()
        },
    )


def run(tree: BundleTree, env: str, url: str, into: Path, environ: Mapping[str, str]) -> Result:
    """Import the proxy at `url` into `into` (an access.yaml) for `env`: read, select, validate the file it
    would write, adopt, write. Nothing is adopted or written when the result would not validate. Raises
    RuntimeError (no master key, the proxy fails), access.LeaseHeld (an apply of `env` is running)."""
    gateway = access.reconciler(tree)
    adoption = importlib.import_module(f"{ACCESS_PACKAGE}.adopt")
    master_key = environ.get(gateway.MASTER_KEY_ENV)
    if not master_key:
        raise RuntimeError(f"${gateway.MASTER_KEY_ENV} is not set (the proxy's master key)")
    shown = tree.shown(into)
    doc, problems = load_yaml(into, shown) if into.exists() else (None, [])
    if problems:
        return Result(problems)
    rules = _rules(tree, env, doc, gateway, gateway.Signer(master_key))
    if isinstance(rules, list):
        return Result(rules, notes=["the sources do not validate; nothing was imported"])
    api = gateway.Management(url, master_key)
    try:
        hidden = (gateway.state.MANAGED_BY, gateway.state.PROOF)
        teams = api.teams()
        for team in teams:  # the members' budgets in the team and the team's object_permission (/team/info)
            members = any(
                m.get("user_id") not in (None, rules.proxy_admin) for m in team.get("members_with_roles") or []
            )
            if members or team.get("object_permission_id"):
                gateway.planning.add_team_info(api, team)
        sel = select(teams, api.keys(), rules, hidden, live_users=api.users(), live_budgets=api.budgets())
        text = _merged(doc, sel)
        if problems := _candidate_problems(tree, env, text, shown):
            return Result(problems, notes=[f"{shown} would not validate; nothing was adopted or written"])
        adopted, refused = adoption.adopt(api, env, sel.adopt)
    except gateway.LeaseHeld as exc:
        raise access.LeaseHeld(str(exc)) from exc
    except gateway.FAILURES as exc:
        raise RuntimeError(str(exc)) from exc
    if any(refused.values()):
        _without(sel, refused)
        text = _merged(doc, sel)
    _write(into, text)
    counts = {kind: len(sel.entries[kind]) for kind in KINDS}
    notes = [f"derived alias: {line}" for line in sel.derived]
    notes += [f"left out: {line}" for line in sel.skipped]
    notes += [
        f"left out: {kind} {sel.alias_of[kind][i]}: {why}" for kind, whys in refused.items() for i, why in whys.items()
    ]
    if sel.internal:
        notes.append(f"left out: {sel.internal} key(s) of the reconciler's own (its lease, a rotation under way)")
    notes.append(
        f"imported {counts['budgets']} budget tier(s), {counts['users']} user(s), {counts['teams']} team(s) and "
        f"{counts['keys']} key(s) of {url} into "
        f"{shown} for {env}; adopted "
        f"{len(adopted)} ({len(sel.derived)} derived alias(es)); next: python -m litellm_bundle access plan "
        f"--env {env} --url {url}"
    )
    return Result(notes=notes)
