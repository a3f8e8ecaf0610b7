#!/usr/bin/env python3
"""The tooling venv's transitive dependencies, pinned: `constraints.txt` (pip's `-c`).

pyproject.toml pins what the bundle asks for and LITELLM_VERSION pins LiteLLM; what those pull in
(redis-py, filelock, ...) floated, so a fresh clone could resolve a newer release than the one the
committed files were made with (redis 8.2.0 added a keyword to the client LiteLLM's cache passes
through, which changed the generated cache_params schema). `constraints.txt` holds every other
distribution installed in the venv at one version; `make lock` writes it from a venv resolved afresh.

Usage: constraints.py            print the constraints of the running interpreter's environment
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path

from litellm_bundle.core.tree import CONSTRAINTS_FILE

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ROOT / CONSTRAINTS_FILE
HEADER = "# written by `make lock` (scripts/constraints.py): the tooling venv's transitive dependencies\n"
# LiteLLM's own distributions: pinned by LITELLM_VERSION and by LiteLLM itself, never here
LITELLM_FAMILY = re.compile(r"^litellm($|-)")


def canonical(name: str) -> str:
    """PEP 503's normalized name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def direct_pins(pyproject: Path = ROOT / "pyproject.toml") -> set[str]:
    """The canonical names pyproject.toml itself names: the project and what it pins (dependencies, extras)."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    requirements = [project["name"], *project.get("dependencies", [])]
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    return {canonical(re.split(r"[\[=<>!~; ]", r, maxsplit=1)[0]) for r in requirements}


def installed() -> dict[str, str]:
    """canonical name -> version of every distribution in the running environment."""
    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found[canonical(name)] = dist.version
    return found


def constraints(dists: Mapping[str, str], pinned: Iterable[str]) -> list[str]:
    """`name==version` lines for the distributions neither pyproject.toml nor LiteLLM pins, sorted."""
    skip = set(pinned) | {"pip", "setuptools", "wheel"}
    return [
        f"{name}=={version}"
        for name, version in sorted(dists.items())
        if name not in skip and not LITELLM_FAMILY.match(name)
    ]


def parse(text: str) -> dict[str, str]:
    """canonical name -> version of a constraints file's `name==version` lines (comments skipped)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            out[canonical(name)] = version
    return out


if __name__ == "__main__":
    sys.stdout.write(HEADER + "".join(f"{line}\n" for line in constraints(installed(), direct_pins())))
