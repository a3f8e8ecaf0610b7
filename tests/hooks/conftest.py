from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gateway_hooks import settings
from litellm_bundle.policy.policies import Policies
from litellm_bundle.policy.schema_defaults import with_defaults
from tests.helpers import checkout_tree

ROOT = Path(__file__).resolve().parents[2]
_POLICIES = Policies(checkout_tree())


def transform(entry: dict[str, Any]) -> dict[str, Any]:
    """A pipeline entry completed as the renderer completes it (defaults of hooks.schema.json)."""
    ref = {"$ref": _POLICIES.hooks_schema["$id"] + "#/$defs/transform"}
    return with_defaults(ref, entry, _POLICIES.registry)


@pytest.fixture
def dev_config() -> dict[str, Any]:
    """The hooks' configuration exactly as rendered for dev."""
    return settings.checked(json.loads((ROOT / "rendered" / "dev" / "hooks.json").read_text()))
