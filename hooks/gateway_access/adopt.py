"""Adoption: teams and keys made outside the reconciler (by hand, in the UI, by another tool) made its own,
so that a declaration of them is planned and applied like the objects it created (`access import`).

Only a holder of the master key can adopt: adopting writes the reconciler's mark and its proof (an HMAC
keyed with the master key of the object's id, state.Signer) into the object's metadata, the same proof
the reconciler writes at creation. Runs under the environment's lease (one run at a time); an object
that carries any manager's mark, or changed since it was read, is left alone and named."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway_access.api import Management
from gateway_access.lease import DEFAULT_TTL, Lease
from gateway_access.state import MANAGED_BY, Signer, managed_metadata

ID_FIELD = {"team": "team_id", "key": "token"}


def adopt(
    api: Management,
    environment: str,
    teams: Mapping[str, Mapping[str, Any]],
    keys: Mapping[str, Mapping[str, Any]],
    lease_ttl: float = DEFAULT_TTL,
) -> tuple[list[str], dict[str, dict[str, str]]]:
    """Adopt the teams (team_id -> fields to set with it, e.g. a derived team_alias) and keys (token ->
    fields, e.g. key_alias, models) for `environment`. Returns what was adopted (a line per object) and what
    was refused (kind -> id -> why). Raises LeaseHeld when another run holds the environment's lease,
    ApiError when the proxy fails."""
    signer = Signer(api.master_key)
    document = {"environment": environment}
    adopted: list[str] = []
    refused: dict[str, dict[str, str]] = {"team": {}, "key": {}}
    with Lease(api, environment, lease_ttl) as lease:
        for kind, wanted, live_objects in (("team", teams, api.teams()), ("key", keys, api.keys())):
            by_id = {str(o.get(ID_FIELD[kind])): o for o in live_objects}
            for ident, fields in sorted(wanted.items()):
                live = by_id.get(ident)
                shown = f"{kind} {fields.get(f'{kind}_alias') or ident[:12]}"
                if live is None:
                    refused[kind][ident] = "no longer exists"
                    continue
                metadata = dict(live.get("metadata") or {})
                if MANAGED_BY in metadata:
                    refused[kind][ident] = f"carries the mark {metadata[MANAGED_BY]!r} since it was read (not adopted)"
                    continue
                lease.check()
                body = {**fields, "metadata": managed_metadata(document, metadata, signer, kind, ident)}
                if kind == "team":
                    api.update_team(ident, body)
                else:
                    api.update_key(ident, body)
                adopted.append(shown)
    return adopted, refused
