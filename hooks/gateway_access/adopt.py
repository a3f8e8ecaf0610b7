"""Adoption: internal users, teams and keys made outside the reconciler (by hand, in the UI, by another tool)
made its own, so that a declaration of them is planned and applied like the objects it created (`access
import`).

Only a holder of the master key can adopt: adopting writes the reconciler's mark and its proof (an HMAC
keyed with the master key of the object's id, state.Signer) into the object's metadata, the same proof
the reconciler writes at creation. Runs under the environment's lease (one run at a time); an object
that carries any manager's mark, or changed since it was read, is left alone and named. A budget tier is
never adopted: its proof is its id (state.budget_id), which LiteLLM cannot change on a budget."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from gateway_access.api import Management
from gateway_access.lease import DEFAULT_TTL, Lease
from gateway_access.state import MANAGED_BY, Signer, managed_metadata

KINDS = ("user", "team", "key")  # in this order: users before the teams naming them as members
ID_FIELD = {"user": "user_id", "team": "team_id", "key": "token"}
ALIAS_FIELD = {"team": "team_alias", "key": "key_alias"}


def adopt(
    api: Management,
    environment: str,
    wanted: Mapping[str, Mapping[str, Mapping[str, Any]]],
    lease_ttl: float = DEFAULT_TTL,
) -> tuple[list[str], dict[str, dict[str, str]]]:
    """Adopt for `environment` what `wanted` names: kind (user, team, key) -> id (user_id, team_id, token) ->
    fields to set with the mark (e.g. a derived team_alias; a key's models). Returns what was adopted (a
    line per object) and what was refused (kind -> id -> why). Raises LeaseHeld when another run holds the
    environment's lease, ApiError when the proxy fails."""
    signer = Signer(api.master_key)
    document = {"environment": environment}
    adopted: list[str] = []
    refused: dict[str, dict[str, str]] = {kind: {} for kind in KINDS}
    listing: dict[str, Callable[[], list[dict[str, Any]]]] = {"user": api.users, "team": api.teams, "key": api.keys}
    update: dict[str, Callable[[str, dict[str, Any]], None]] = {
        "user": api.update_user,
        "team": api.update_team,
        "key": api.update_key,
    }
    with Lease(api, environment, lease_ttl) as lease:
        for kind in KINDS:
            if not wanted.get(kind):
                continue
            by_id = {str(o.get(ID_FIELD[kind])): o for o in listing[kind]()}
            for ident, fields in sorted(wanted[kind].items()):
                live = by_id.get(ident)
                shown = f"{kind} {ident if kind == 'user' else fields.get(ALIAS_FIELD[kind]) or ident[:12]}"
                if live is None:
                    refused[kind][ident] = "no longer exists"
                    continue
                metadata = dict(live.get("metadata") or {})
                if MANAGED_BY in metadata:
                    refused[kind][ident] = f"carries the mark {metadata[MANAGED_BY]!r} since it was read (not adopted)"
                    continue
                lease.check()
                update[kind](ident, {**fields, "metadata": managed_metadata(document, metadata, signer, kind, ident)})
                adopted.append(shown)
    return adopted, refused
