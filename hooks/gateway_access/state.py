"""The desired state (access.json, rendered per environment) and its contract, access-state.schema.json
next to this module (the bundle's policies/schemas/access-state.schema.json)."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any, cast

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

SCHEMA_FILE = Path(__file__).resolve().parent / "access-state.schema.json"
# LiteLLM fields the reconciler owns on a team and on a key (everything else on them is left alone)
TEAM_FIELDS = ("models", "max_budget", "budget_duration", "rpm_limit", "tpm_limit", "metadata", "mcp_servers")
USER_FIELDS = ("user_role", "max_budget", "budget_duration", "rpm_limit", "tpm_limit", "metadata")
KEY_FIELDS = (
    "models",
    "max_budget",
    "budget_duration",
    "rpm_limit",
    "tpm_limit",
    "metadata",
    "allowed_routes",
    "budget_id",
    "user_id",
    "mcp_servers",
)
# fields compared only where declared (null: not managed, left as it is); LiteLLM keeps them in the object's
# object_permission (a row of its own, LiteLLM_ObjectPermissionTable), written and read as that object
PERMISSION_FIELDS = ("mcp_servers",)
# ... on a budget tier (LiteLLM's budget objects, /budget/new) and on a team member (/team/member_update)
BUDGET_FIELDS = ("max_budget", "soft_budget", "budget_duration", "rpm_limit", "tpm_limit", "max_parallel_requests")
MEMBER_FIELDS = ("max_budget_in_team", "budget_duration", "tpm_limit", "rpm_limit")
# metadata the reconciler adds to mark what it manages (and for which environment)
MANAGED_BY = "gateway_managed_by"
MANAGER = "litellm-gateway-bundle"
# ... and the proof that it made the object: an HMAC, keyed with the master key, of the object's id (a
# team's team_id, a key's token), written at creation; a key holder can copy the mark, not forge this
PROOF = "gateway_proof"


def check(document: Any, source: str = "access.json") -> dict[str, Any]:
    """`document` when it matches the contract, else ValueError naming the first problem."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    error = best_match(Draft202012Validator(schema).iter_errors(document))
    if error is not None:
        where = (
            "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
            or "(top level)"
        )
        raise ValueError(f"{source}: {where}: {error.message}; re-render it with `make render`")
    return cast("dict[str, Any]", document)  # the schema requires an object


def load(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{path}: cannot read: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from exc
    return check(document, str(path))


def token_of(value: str) -> str:
    """The hash LiteLLM stores for a key value (its `token`)."""
    return hashlib.sha256(value.encode()).hexdigest()


class Signer:
    """Proofs keyed with the proxy's master key: only a holder of the master key can make them."""

    def __init__(self, master_key: str):
        self._secret = master_key.encode()

    def sign(self, text: str) -> str:
        return hmac.new(self._secret, f"gateway_access/{text}".encode(), hashlib.sha256).hexdigest()

    def proof(self, kind: str, ident: str) -> str:
        """The proof for the team (`kind` team, `ident` its team_id), user (user, its user_id) or key (key, its
        token)."""
        return self.sign(f"{kind}:{ident}")


def budget_id(document: dict[str, Any], name: str, signer: Signer) -> str:
    """The live budget_id of the environment's budget tier `name`: the name and a proof (budgets carry no
    metadata, so the proof is in the id: nobody without the master key can make a budget the reconciler
    takes for its own, and each environment has its own)."""
    env = document["environment"]
    return f"{name}.{signer.proof('budget', f'{env}/{name}')[:20]}"


def budget_name(document: dict[str, Any], live_id: str, signer: Signer) -> str | None:
    """The tier name of a live budget_id the reconciler made for this environment, else None."""
    name, dot, _ = live_id.rpartition(".")
    return name if dot and name and hmac.compare_digest(live_id, budget_id(document, name, signer)) else None


def mark(document: dict[str, Any]) -> str:
    return f"{MANAGER}/{document['environment']}"


def managed_metadata(
    document: dict[str, Any], metadata: dict[str, Any], signer: Signer, kind: str, ident: str
) -> dict[str, Any]:
    """The metadata a managed object carries: the declared metadata, the manager's mark and proof."""
    return {**metadata, MANAGED_BY: mark(document), PROOF: signer.proof(kind, ident)}


def is_marked(document: dict[str, Any], live: dict[str, Any]) -> bool:
    """Carries this environment's mark (which anyone may write)."""
    return (live.get("metadata") or {}).get(MANAGED_BY) == mark(document)


def is_owned(document: dict[str, Any], live: dict[str, Any], signer: Signer, kind: str) -> bool:
    """Made by this reconciler for this environment: the mark and a proof matching the object's id."""
    ident = str(live.get({"team": "team_id", "user": "user_id"}.get(kind, "token")) or "")
    proof = (live.get("metadata") or {}).get(PROOF)
    return (
        is_marked(document, live)
        and isinstance(proof, str)
        and bool(ident)
        and hmac.compare_digest(proof, signer.proof(kind, ident))
    )
