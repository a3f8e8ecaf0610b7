"""The hooks' own configuration (hooks.json, rendered by the bundle) and where to find it."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

CONFIG_ENV = "GATEWAY_HOOKS_CONFIG"


def default_config_path() -> Path:
    """$GATEWAY_HOOKS_CONFIG, else hooks.json beside the package (i.e. beside config.yaml)."""
    explicit = os.environ.get(CONFIG_ENV)
    if explicit:
        return Path(explicit)
    return Path(__file__).resolve().parent.parent / "hooks.json"


def parse(raw: dict[str, Any]) -> dict[str, Any]:
    """Fill defaults so every consumer can index without guarding."""
    routing = raw.get("routing") or {}
    transforms = raw.get("transforms") or {}
    return {
        "environment": raw.get("environment", "unknown"),
        "routing": {
            "labels": dict(routing.get("labels") or {}),
            "rules": list(routing.get("rules") or []),
            "default_label": routing.get("default_label"),
            "model_groups": dict(routing.get("model_groups") or {}),
        },
        "transforms": {
            "slow_threshold_ms": float(transforms.get("slow_threshold_ms", 50)),
            "pipeline": list(transforms.get("pipeline") or []),
        },
        "guardrails": dict(raw.get("guardrails") or {}),
    }


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
    return parse(raw)
