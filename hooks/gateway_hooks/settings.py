"""The hooks' own configuration (hooks.json, rendered by the bundle): where to find it, and its
contract, hooks.schema.json next to this module (the bundle's policies/schemas/hooks.schema.json).

The renderer emits complete documents; a file that does not match the contract stops the proxy at
start with the file, the place and what is wrong, instead of failing on some later request."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

CONFIG_ENV = "GATEWAY_HOOKS_CONFIG"
SCHEMA_FILE = Path(__file__).resolve().parent / "hooks.schema.json"


def default_config_path() -> Path:
    """$GATEWAY_HOOKS_CONFIG, else hooks.json beside the package (i.e. beside config.yaml)."""
    explicit = os.environ.get(CONFIG_ENV)
    if explicit:
        return Path(explicit)
    return Path(__file__).resolve().parent.parent / "hooks.json"


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    try:
        schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RuntimeError(f"gateway hooks: cannot read the hooks.json contract {SCHEMA_FILE}: {exc}") from exc
    return Draft202012Validator(schema)


def checked(raw: Any, source: str = "hooks.json") -> dict[str, Any]:
    """`raw` when it matches hooks.schema.json, else RuntimeError naming the first problem."""
    error = best_match(_validator().iter_errors(raw))
    if error is not None:
        where = (
            "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
            or "(top level)"
        )
        raise RuntimeError(
            f"gateway hooks: {source}: {where}: {error.message}; "
            "re-render it with `make render` (policies/schemas/hooks.schema.json)"
        )
    return cast("dict[str, Any]", raw)  # the schema requires an object


@lru_cache(maxsize=4)
def load(path: str | None = None) -> dict[str, Any]:
    file = Path(path) if path else default_config_path()
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RuntimeError(
            f"gateway hooks: {file} not found; mount the rendered hooks.json next to config.yaml or set {CONFIG_ENV}"
        ) from exc
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"gateway hooks: {file}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from exc
    return checked(raw, str(file))
