"""Chart tests run the real `helm template`; helpers pick objects out of its output."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from litellm_bundle.core.tree import BundleTree
from litellm_bundle.external import kube
from tests.helpers import ROOT, committed

Render = Callable[..., list[dict[str, Any]]]
CI_BASE = ROOT / "helm" / "litellm-gateway" / "ci" / "base.yaml"  # the optional features off


def values_for(env: str) -> str:
    """The committed rendered values of an environment (test_render proves they are current)."""
    return committed(env, "values.yaml")


@pytest.fixture(scope="session")
def render(checkout: BundleTree) -> Render:
    """`helm template` of an environment's values with extra files and --set on top, as documents. Many tests render
    the same combination: each is templated once per session (the files' contents are part of the key) and every
    caller gets its own copy to pick apart."""
    rendered: dict[tuple[str, tuple[tuple[str, str], ...], tuple[str, ...]], list[dict[str, Any]]] = {}

    def run(env: str = "prod", *extra_files: Path, sets: list[str] | None = None) -> list[dict[str, Any]]:
        key = (values_for(env), tuple((str(f), f.read_text(encoding="utf-8")) for f in extra_files), tuple(sets or ()))
        if key not in rendered:
            rendered[key] = kube.documents(kube.helm_template(checkout, values_for(env), list(extra_files), sets=sets))
        return copy.deepcopy(rendered[key])

    return run


def find(docs: list[dict[str, Any]], kind: str, name_suffix: str = "") -> dict[str, Any]:
    matches = [d for d in docs if d["kind"] == kind and d["metadata"]["name"].endswith(name_suffix)]
    assert matches, f"no {kind} *{name_suffix} rendered; kinds: {sorted({d['kind'] for d in docs})}"
    return matches[0]


def kinds(docs: list[dict[str, Any]]) -> set[str]:
    return {d["kind"] for d in docs}
