"""constraints.txt (scripts/constraints.py, `make lock`): the tooling venv's transitive dependencies pinned,
so a fresh clone resolves what the committed files were made with."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("constraints_script", ROOT / "scripts" / "constraints.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_constraints_pin_only_what_nothing_else_pins() -> None:
    script = _script()
    text = script.CONSTRAINTS.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert lines, "constraints.txt pins nothing"
    bad = [line for line in lines if line.count("==") != 1 or " " in line]
    assert not bad, f"constraints.txt: not `name==version`: {bad}"
    pinned = script.parse(text)
    assert len(pinned) == len(lines), "constraints.txt names a distribution twice"
    twice = sorted(set(pinned) & script.direct_pins())
    assert not twice, f"pinned in pyproject.toml already (one place each): {twice}"
    litellm = sorted(name for name in pinned if script.LITELLM_FAMILY.match(name))
    assert not litellm, f"LiteLLM's own distributions follow LITELLM_VERSION, not constraints.txt: {litellm}"


def test_the_venv_holds_the_constrained_versions() -> None:
    """What runs the tests is what constraints.txt says (else `make setup` did not apply it)."""
    script = _script()
    pinned = script.parse(script.CONSTRAINTS.read_text(encoding="utf-8"))
    have = script.installed()
    differ = {name: (version, have.get(name)) for name, version in pinned.items() if have.get(name) != version}
    assert not differ, f"installed versions differ from constraints.txt (wanted, installed): {differ}; run make setup"


def test_a_written_file_leaves_out_the_direct_pins_and_litellm() -> None:
    script = _script()
    dists = {"redis": "8.1.0", "jsonschema": "4.26.0", "litellm": "1.0", "litellm-proxy-extras": "0.1", "pip": "25"}
    assert script.constraints(dists, {"jsonschema"}) == ["redis==8.1.0"]
