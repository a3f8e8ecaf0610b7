"""`access import`: a live proxy's teams and virtual keys as config/access.yaml entries of one environment,
made the reconciler's own (adopted) so that `access plan` against the same proxy then shows no change.

Read through the management API a page at a time (/v2/team/list, /key/list). Never a key value: a key is
declared by its alias, LiteLLM keeps its value. An object without a valid alias (none, one the schema
refuses, one taken) gets one derived from its id and written to the proxy with the adoption; an object
access.yaml cannot declare exactly (a team allowed every model, a key without a team, a model group the
environment does not enable, metadata that is not flat) is left out, with the reason. Adoption (writing
the reconciler's mark and proof, gateway_access/adopt.py) needs the master key: see docs/access.md."""

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
from litellm_bundle.model.access import LIMITS
from litellm_bundle.model.effective import effective_config
from litellm_bundle.policy.policies import Policies
from litellm_bundle.runtime import access

SOURCE_SCHEMA = "access.schema.json"
STATE_SCHEMA = "access-state.schema.json"
ID_FIELD = {"team": "team_id", "key": "token"}
ALIAS_FIELD = {"team": "team_alias", "key": "key_alias"}
KINDS = ("teams", "keys")  # what an import brings in (users: not yet)
ID_DIGITS = 8  # of the id in a derived alias, more while one is taken
# the reconciler's own keys: its lease (gateway_access/lease.py) and a key on its way (alias@next)
INTERNAL_METADATA = ("gateway_lease", "gateway_pending")
HEADER = [
    "Teams and virtual keys as code, by alias (docs/access.md). No key value lives here.",
]


@dataclass
class Selection:
    """What one import brings in: entries by kind and alias, what to adopt (id -> fields to set with the
    mark), and what it says about the rest."""

    entries: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: {"teams": {}, "keys": {}})
    adopt: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: {"team": {}, "key": {}})
    alias_of: dict[str, dict[str, str]] = field(default_factory=lambda: {"team": {}, "key": {}})  # id -> alias
    derived: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    internal: int = 0


@dataclass
class Rules:
    """What the selection needs to know besides the live objects."""

    env: str
    declared: dict[str, set[str]]  # kind (teams, keys) -> aliases the file declares already
    enabled: set[str]  # model groups the environment enables
    ownership: Callable[[str, dict[str, Any]], str]  # (kind, live) -> owned, forged, other:<mark>, free
    variable: Callable[[str], str]  # a key alias's variable name (gateway_access.sinks: must not collide)
    alias_pattern: re.Pattern[str]
    alias_length: int
    entry_problem: Callable[[str, dict[str, Any]], str | None]  # (kind, entry) -> what the schema says


def _shown(kind: str, live: dict[str, Any]) -> str:
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


def select(
    live_teams: list[dict[str, Any]], live_keys: list[dict[str, Any]], rules: Rules, hidden: tuple[str, ...]
) -> Selection:
    """The entries an import writes and the objects it adopts (pure: the live objects as the API lists them;
    `hidden`: the reconciler's own metadata fields, never written)."""
    sel = Selection()
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
            if owner == "forged":
                sel.skipped.append(
                    f"{shown}: carries the bundle's mark for {rules.env} but not the reconciler's proof "
                    "(someone else made it); not adopted"
                )
                continue
            if owner.startswith("other:"):
                sel.skipped.append(f"{shown}: managed by {owner.removeprefix('other:')}")
                continue
            if kind == "team":
                entry, why = _team(live, rules, hidden)
            else:
                team_id = str(live.get("team_id") or "")
                entry, why = _key(live, teams_by_id.get(team_id), imported_teams.get(team_id), rules, hidden)
            problem = rules.entry_problem(kind, entry) if entry is not None else None
            if entry is None or problem:
                sel.skipped.append(f"{shown}: not imported: {why or problem}")
                continue
            sel.entries[f"{kind}s"][alias] = entry
            if kind == "team":
                imported_teams[ident] = alias
            if owner == "free":
                fields: dict[str, Any] = {}
                if alias != live.get(ALIAS_FIELD[kind]):
                    fields[ALIAS_FIELD[kind]] = alias
                if kind == "key" and "models" not in entry:  # LiteLLM's "the team's", written as the list
                    fields["models"] = list(teams_by_id[str(live["team_id"])]["models"])
                sel.adopt[kind][ident] = fields
    return sel


def _without(sel: Selection, refused: Mapping[str, Mapping[str, str]]) -> None:
    """Drop what adoption refused (changed since it was read), and the keys of a refused team."""
    gone = {"team": set(refused.get("team", {})), "key": set(refused.get("key", {}))}
    team_aliases = {sel.alias_of["team"][i] for i in gone["team"]}
    for kind in ("team", "key"):
        for ident in gone[kind]:
            sel.entries[f"{kind}s"].pop(sel.alias_of[kind][ident], None)
    for alias, entry in list(sel.entries["keys"].items()):
        if entry["team"] in team_aliases:
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

    def ownership(kind: str, live: dict[str, Any]) -> str:
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
        for kind in ("team", "key")
    }

    def entry_problem(kind: str, entry: dict[str, Any]) -> str | None:
        errors = sorted(validators[kind].iter_errors(entry), key=lambda e: list(e.absolute_path))
        if not errors:
            return None
        where = ".".join(str(p) for p in errors[0].absolute_path)
        return f"{where}: {errors[0].message}" if where else errors[0].message

    data = doc.data if doc is not None and isinstance(doc.data, dict) else {}
    alias = policies.schemas[STATE_SCHEMA]["$defs"]["alias"]
    return Rules(
        env=env,
        declared={kind: set((data.get(kind) or {}) if isinstance(data.get(kind), dict) else ()) for kind in KINDS},
        enabled=set(effective_config(cs, env).data["model_groups"]),
        ownership=ownership,
        variable=gateway.sinks.variable,
        alias_pattern=re.compile(alias["pattern"]),
        alias_length=int(alias["maxLength"]),
        entry_problem=entry_problem,
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
        sel = select(api.teams(), api.keys(), rules, (gateway.state.MANAGED_BY, gateway.state.PROOF))
        text = _merged(doc, sel)
        if problems := _candidate_problems(tree, env, text, shown):
            return Result(problems, notes=[f"{shown} would not validate; nothing was adopted or written"])
        adopted, refused = adoption.adopt(api, env, sel.adopt["team"], sel.adopt["key"])
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
        f"imported {counts['teams']} team(s) and {counts['keys']} key(s) of {url} into {shown} for {env}; adopted "
        f"{len(adopted)} ({len(sel.derived)} derived alias(es)); next: python -m litellm_bundle access plan "
        f"--env {env} --url {url}"
    )
    return Result(notes=notes)
