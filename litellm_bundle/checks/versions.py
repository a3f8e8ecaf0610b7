"""The LiteLLM version of each environment (`litellm_version:`, model/versions.py): its surface is
committed, and no environment runs a newer LiteLLM than one before it in promotion order (the
environments' declaration order: dev, staging, prod), so prod is never ahead of staging."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from litellm_bundle.core.problems import Found, Problem
from litellm_bundle.model.configset import ConfigSet, as_map
from litellm_bundle.model.versions import VERSION_KEY, committed_surfaces, env_version, version_key
from litellm_bundle.policy.policies import LITELLM_SURFACE, Policies


def check_versions(cs: ConfigSet, policies: Policies) -> list[Problem]:
    problems: list[Problem] = []
    pinned = cs.tree.pinned_version()
    ordered = [env for env in policies.environments if f"env:{env}" in cs.docs]
    for index, env in enumerate(ordered):
        doc = cs.env_doc(env)
        at = (VERSION_KEY,) if VERSION_KEY in as_map(doc.data) else ()
        found = Found(env)
        version = env_version(cs, env)
        surface = cs.tree.litellm_surface_dir(version)
        if version != pinned and not (surface / LITELLM_SURFACE).is_file():
            found.add(
                doc,
                at,
                f"LiteLLM {version} has no committed surface ({cs.tree.shown(surface)}/), so {env} cannot be "
                f"checked against it; generate it with `make upgrade TO={version}` or use one of "
                f"{', '.join(committed_surfaces(cs.tree))}",
                check="litellm-version-surface",
            )
        for before in ordered[:index]:
            if version_key(version) > version_key(env_version(cs, before)):
                found.add(
                    doc,
                    at,
                    f"{env} would run LiteLLM {version}, newer than {before}'s {env_version(cs, before)}: a version "
                    f"reaches {before} before {env} (promotion order {' -> '.join(ordered)}); raise {before} first "
                    f"or set `{VERSION_KEY}: {env_version(cs, before)}` here",
                    check="litellm-version-order",
                )
        problems += found.problems
    return problems


def surfaces_to_check(cs: ConfigSet) -> dict[str, list[str]]:
    """Version -> the source documents to check against that version's surface too: every version in use
    besides the pinned one whose surface is committed; the shared sources and its environments' overlays."""
    pinned = cs.tree.pinned_version()
    by_version: dict[str, list[str]] = {}
    for env in cs.environments:
        version = env_version(cs, env)
        if version != pinned and (cs.tree.litellm_surface_dir(version) / LITELLM_SURFACE).is_file():
            by_version.setdefault(version, []).append(env)
    return {
        version: [key for key in cs.docs if not key.startswith("env:") or key[4:] in envs]
        for version, envs in by_version.items()
    }


def only_in_version(found: Iterable[Problem], pinned_found: Iterable[Problem], version: str) -> list[Problem]:
    """Schema problems against `version`'s surface that the pinned surface does not have, saying so."""
    seen = {(p.location, p.message) for p in pinned_found}
    return [
        replace(p, message=f"{p.message} (in LiteLLM {version}, which an environment runs: litellm_version)")
        for p in found
        if (p.location, p.message) not in seen
    ]
