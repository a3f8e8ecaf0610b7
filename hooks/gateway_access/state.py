"""The desired state (access.json, rendered per environment) and its contract, access-state.schema.json
next to this module (the bundle's policies/schemas/access-state.schema.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

SCHEMA_FILE = Path(__file__).resolve().parent / "access-state.schema.json"
# LiteLLM fields the reconciler owns on a team and on a key (everything else on them is left alone)
TEAM_FIELDS = ("models", "max_budget", "budget_duration", "rpm_limit", "tpm_limit", "metadata")
KEY_FIELDS = ("models", "max_budget", "budget_duration", "rpm_limit", "tpm_limit", "metadata", "allowed_routes")
# metadata the reconciler adds to mark what it manages (and for which environment)
MANAGED_BY = "gateway_managed_by"
MANAGER = "litellm-gateway-bundle"


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


def managed_metadata(document: dict[str, Any], metadata: dict[str, Any]) -> dict[str, Any]:
    """The metadata a managed object carries: the declared metadata plus the manager's mark."""
    return {**metadata, MANAGED_BY: f"{MANAGER}/{document['environment']}"}


def is_managed(document: dict[str, Any], live: dict[str, Any]) -> bool:
    return (live.get("metadata") or {}).get(MANAGED_BY) == f"{MANAGER}/{document['environment']}"
