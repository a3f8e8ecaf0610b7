"""Which LiteLLM version each environment runs: its own `litellm_version:` (a rollout in progress:
staging first, prod after) or the pinned LITELLM_VERSION. The image tag, the surface an environment
is checked against, its boot check and the proxy-facing tests follow it (docs/upgrading.md)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from litellm_bundle.core.tree import BundleTree
from litellm_bundle.model.configset import ConfigSet, as_map
from litellm_bundle.policy.policies import LITELLM_SURFACE

VERSION_KEY = "litellm_version"
_NUMBERS = re.compile(r"[0-9]+")


def env_version(cs: ConfigSet, env: str) -> str:
    """The LiteLLM version `env` runs."""
    doc = cs.docs.get(f"env:{env}")
    own = as_map(doc.data).get(VERSION_KEY) if doc is not None else None
    return own if isinstance(own, str) and own else cs.tree.pinned_version()


def versions_in_use(cs: ConfigSet, order: Sequence[str] = ()) -> dict[str, list[str]]:
    """Version -> the environments running it (in `order`, e.g. promotion order), oldest version first."""
    used: dict[str, list[str]] = {}
    for env in sorted(cs.environments, key=lambda e: (order.index(e) if e in order else len(order), e)):
        used.setdefault(env_version(cs, env), []).append(env)
    return {version: used[version] for version in sorted(used, key=version_key)}


def version_key(version: str) -> tuple[int, ...]:
    """A version's numbers for ordering (1.108.7 > 1.106.12 > 1.106.2)."""
    return tuple(int(part) for part in _NUMBERS.findall(version))


def committed_surfaces(tree: BundleTree) -> list[str]:
    """The versions whose surface is committed (policies/litellm/<version>/surface.json), oldest first."""
    folder = tree.policies_dir / "litellm"
    found = [d.name for d in folder.iterdir() if (d / LITELLM_SURFACE).is_file()] if folder.is_dir() else []
    return sorted(found, key=version_key)
