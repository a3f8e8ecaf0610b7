from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gateway_hooks import settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def dev_config() -> dict[str, Any]:
    """The hooks' configuration exactly as rendered for dev."""
    return settings.parse(json.loads((ROOT / "rendered" / "dev" / "hooks.json").read_text()))
