"""The access reconciler of a bundle tree, loaded in this process: the gateway_access package the
chart's access Job runs from the official image (`make access-*`, the database tests)."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

from litellm_bundle.core.tree import BundleTree


def reconciler(tree: BundleTree) -> ModuleType:
    """The gateway_access package of the tree (the same code the in-cluster Job runs)."""
    hooks = str(tree.root / "hooks")
    if hooks not in sys.path:
        sys.path.insert(0, hooks)
    return importlib.import_module("gateway_access.__main__")
