"""The team's own code (config/code/, BundleTree.code_dir): Python modules and files (callbacks,
guardrails, custom auth, custom providers, prompt files) that every target mounts next to the rendered
config.yaml (the chart's ConfigMap, the staged directory of Compose, the native stack and the boot check).

What is shipped: every file under config/code/, except hidden entries (a name starting with '.'),
`__pycache__/` and compiled `*.pyc`/`*.pyo` files. Each file is UTF-8 text (a ConfigMap's `data`), its
path made of letters, digits, '.', '_' and '-' (a ConfigMap key), and all of them together, with their
keys, fit one ConfigMap: LIMIT bytes (Kubernetes caps a ConfigMap at 1 MiB; the rest is its metadata).
The names next to config.yaml that the bundle itself writes are reserved."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from litellm_bundle.core.facts import ACCESS_PACKAGE, HOOKS_PACKAGE
from litellm_bundle.core.problems import Location, Problem
from litellm_bundle.core.tree import BundleTree

LIMIT = 1_000_000  # bytes of file contents and keys in the ConfigMap that carries the team's code
KEY_LIMIT = 253  # a ConfigMap key's length
NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")  # one path segment (hidden names are never shipped)
SKIPPED_DIRS = ("__pycache__",)
SKIPPED_SUFFIXES = (".pyc", ".pyo")
# next to config.yaml the bundle writes these itself (the rendered files, the hooks package)
RESERVED = ("config.yaml", "hooks.json", HOOKS_PACKAGE, f"{HOOKS_PACKAGE}.py")
# top-level modules an import in the team's code would never reach: the config's directory comes last on
# the proxy's import path, after the standard library and the image's packages
SHADOWED = frozenset(sys.stdlib_module_names) | {
    "litellm",
    "litellm_enterprise",
    "litellm_proxy_extras",
    ACCESS_PACKAGE,
}


def configmap_key(path: str) -> str:
    """The ConfigMap key of a file of the team's code (the chart mounts it back at `path`)."""
    return path.replace("/", ".")


@dataclass
class TeamCode:
    """config/code/ as shipped: relative path (with '/') -> text, sorted; `shown`: the directory in messages."""

    root: Path
    shown: str
    files: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.files)

    def where(self, path: str) -> Location:
        return Location(f"{self.shown}/{path}", 1, 1)

    def has_dir(self, path: str) -> bool:
        prefix = path.strip("/") + "/"
        return any(name.startswith(prefix) for name in self.files)

    def top_level(self) -> list[str]:
        """The top-level modules and packages of the team's code, sorted."""
        names = {p.split("/", 1)[0].removesuffix(".py") for p in self.files if p.endswith(".py")}
        return sorted(names)

    @property
    def size(self) -> int:
        return sum(len(text.encode("utf-8")) + len(configmap_key(path)) for path, text in self.files.items())


def walk_files(root: Path) -> list[str]:
    """Every shipped file under root, relative with '/', sorted (directory links are not followed)."""
    found: list[str] = []
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS)
        base = Path(current).relative_to(root)
        for name in files:
            if name.startswith(".") or name.endswith(SKIPPED_SUFFIXES):
                continue
            found.append((base / name).as_posix())
    return sorted(found)


def _read(code: TeamCode, path: str) -> None:
    file = code.root / path
    try:
        data = file.read_bytes()
        code.files[path] = data.decode("utf-8")
    except OSError as exc:
        code.problems.append(
            Problem(code.where(path), f"cannot be read ({exc.strerror or exc})", check="team-code-file")
        )
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        code.problems.append(
            Problem(
                Location(f"{code.shown}/{path}", line, 1),
                f"is not UTF-8 text (byte {exc.start}); the team's code travels in a ConfigMap's text data: ship "
                "text files only",
                check="team-code-file",
            )
        )


def _names_problems(code: TeamCode, paths: list[str]) -> None:
    keys: dict[str, str] = {}
    shadowing: set[str] = set()
    for path in paths:
        segments = path.split("/")
        top = segments[0]
        bad = [s for s in segments if not NAME.match(s)]
        if bad:
            code.problems.append(
                Problem(
                    code.where(path),
                    f"'{bad[0]}' cannot be a name in the team's code: names are made of letters, digits, '.', '_' "
                    "and '-' (they become ConfigMap keys)",
                    check="team-code-file",
                )
            )
            continue
        if top in RESERVED:
            code.problems.append(
                Problem(
                    code.where(path),
                    f"'{top}' is reserved next to config.yaml (the bundle writes {', '.join(RESERVED[:3])}/ there); "
                    "rename it",
                    check="team-code-file",
                )
            )
        key = configmap_key(path)
        if key in keys:
            code.problems.append(
                Problem(
                    code.where(path),
                    f"becomes the same ConfigMap key '{key}' as {code.shown}/{keys[key]}; rename one of them",
                    check="team-code-file",
                )
            )
        elif len(key) > KEY_LIMIT:
            code.problems.append(
                Problem(
                    code.where(path),
                    f"its path is longer than a ConfigMap key may be ({len(key)} > {KEY_LIMIT} characters)",
                    check="team-code-file",
                )
            )
        keys.setdefault(key, path)
        module = top.removesuffix(".py")
        if path.endswith(".py") and module in SHADOWED and module not in shadowing:
            shadowing.add(module)
            code.problems.append(
                Problem(
                    code.where(path),
                    f"'{module}' is also a module of Python or the image; the config's directory comes last on the "
                    f"proxy's import path, so `import {module}` loads that one, never this; rename it",
                    check="team-code-shadowed",
                )
            )


def load(tree: BundleTree) -> TeamCode:
    """The team's code of a bundle tree (none when config/code/ is absent or empty), with what keeps it
    from being shipped: unreadable or non-UTF-8 files, names a ConfigMap cannot hold, reserved names, the size."""
    root = tree.code_dir
    code = TeamCode(root, tree.shown(root))
    if not root.exists():
        return code
    if not root.is_dir():
        code.problems.append(
            Problem(
                Location(code.shown, 1, 1),
                "must be a directory of the team's modules and files",
                check="team-code-file",
            )
        )
        return code
    paths = walk_files(root)
    _names_problems(code, paths)
    for path in paths:
        _read(code, path)
    if code.size > LIMIT:
        largest = sorted(code.files, key=lambda p: -len(code.files[p].encode("utf-8")))[:3]
        sizes = ", ".join(f"{p} ({len(code.files[p].encode('utf-8')):,} bytes)" for p in largest)
        code.problems.append(
            Problem(
                Location(code.shown, 1, 1),
                f"the team's code is {code.size:,} bytes in {len(code.files)} files (contents and names); the "
                f"ConfigMap that carries it to the pods holds at most {LIMIT:,} (Kubernetes limits a ConfigMap to "
                f"1 MiB); the largest: {sizes}. Ship data the code needs in an image or a volume of your own",
                check="team-code-limit",
            )
        )
    return code
