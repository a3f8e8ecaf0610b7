"""Helpers the test modules share: this checkout as a bundle tree, scratch copies of it, validation of a root."""

from __future__ import annotations

import shutil
from pathlib import Path

from litellm_bundle.checks.validate import validate
from litellm_bundle.core.facts import RENDERED_AREA
from litellm_bundle.core.problems import Problem
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.model.configset import ConfigSet
from litellm_bundle.policy.policies import Policies

ROOT = Path(__file__).resolve().parent.parent
# what a bundle tree holds besides its generated files (symlinks inside are kept as links)
TREE_PARTS = ("config", "policies", "helm", "hooks", "LITELLM_VERSION")


def checkout_tree() -> BundleTree:
    """This checkout as a bundle tree."""
    return BundleTree.at(ROOT)


def copy_tree(dest: Path) -> Path:
    """A scratch copy of the bundle's sources, policies, chart and hooks (no generated files)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in TREE_PARTS:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, dest / name)
    return dest


def validate_root(
    root: Path = ROOT, envs: list[str] | None = None, config_dir: Path | None = None
) -> tuple[ConfigSet, list[Problem]]:
    return validate(Policies(BundleTree.at(root, config_dir=config_dir)), envs)


def committed(env: str, name: str) -> str:
    """A generated file of this checkout as committed."""
    return (ROOT / RENDERED_AREA / env / name).read_text(encoding="utf-8")
