"""Python code the proxy loads, read statically: the tooling never imports it (the hooks need
litellm, the team's code anything), yet `validate` must know that every dotted path the rendered
config or hooks.json names resolves. `ModuleIndex` reads the modules under one directory;
`HooksIndex` the hooks package the proxy mounts (hooks/gateway_hooks/); checks/team_code.py the
team's own code (config/code/) and LiteLLM's package."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from litellm_bundle.core.facts import HOOKS_PACKAGE as PACKAGE


class Resolver(Protocol):
    """What a check asks of the code the proxy loads: None when a dotted path module.name resolves
    (to something callable when asked), else why not, in words."""

    def why_not(self, dotted: str, callable_needed: bool = True) -> str | None: ...


@dataclass
class Module:
    file: Path
    shown: str
    names: dict[str, str]  # top-level name -> "callable", "value" (not callable) or "unknown"
    open: bool = False  # a star import or a module __getattr__: any name may exist at run time


def _kind(node: ast.AST | None) -> str:
    if isinstance(node, ast.Lambda):
        return "callable"
    if isinstance(node, (ast.Constant, ast.JoinedStr, ast.List, ast.Dict, ast.Set, ast.Tuple, ast.BinOp)):
        return "value"
    return "unknown"


def _names(tree: ast.Module) -> tuple[dict[str, str], bool]:
    names: dict[str, str] = {}
    open_ = False
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[node.name] = "callable"
            open_ = open_ or node.name == "__getattr__"
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    names[target.id] = _kind(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = _kind(node.value)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    open_ = True
                else:
                    names[(alias.asname or alias.name).split(".")[0]] = "unknown"
    return names, open_


def parse_module(file: Path, shown: str) -> Module | str:
    """The top-level names `file` defines, or why it cannot be read (`shown`: its name in messages)."""
    try:
        tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
    except (OSError, UnicodeDecodeError) as exc:
        return f"{shown} cannot be read ({exc})"
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        return f"{shown}:{line or 1}: does not parse ({getattr(exc, 'msg', str(exc))})"
    names, open_ = _names(tree)
    return Module(file, shown, names, open_)


@dataclass
class ModuleIndex:
    """The modules under `root` (a directory on the import path, or a package's own directory),
    parsed on demand, once per module; `shown` names `root` in messages."""

    root: Path
    shown: str
    _cache: dict[tuple[str, ...], Module | str] = field(default_factory=dict)

    def candidates(self, parts: tuple[str, ...]) -> list[tuple[Path, str]]:
        """Where module `parts` (relative to root) may live: parts.py, then parts/__init__.py."""
        if not parts:
            return [(self.root / "__init__.py", f"{self.shown}/__init__.py")]
        base = "/".join(parts)
        return [
            (self.root.joinpath(*parts).with_suffix(".py"), f"{self.shown}/{base}.py"),
            (self.root.joinpath(*parts) / "__init__.py", f"{self.shown}/{base}/__init__.py"),
        ]

    def module(self, parts: tuple[str, ...], package_allowed: bool = True) -> Module | str:
        """Module `parts` parsed, or why there is none (`package_allowed`: parts/__init__.py counts)."""
        key = (*parts, "" if package_allowed else "/file")
        if key not in self._cache:
            found = [(f, s) for f, s in self.candidates(parts)[: None if package_allowed else 1] if f.is_file()]
            if found:
                self._cache[key] = parse_module(*found[0])
            else:
                self._cache[key] = f"{self.candidates(parts)[0][1]} does not exist"
        return self._cache[key]


def attribute_why_not(module: Module, name: str, callable_needed: bool) -> str | None:
    """None when `module` defines `name` (callable when asked), else why not."""
    kind = module.names.get(name)
    if kind is None:
        if module.open:
            return None
        known = sorted(n for n, k in module.names.items() if k == "callable" and not n.startswith("_"))
        return f"{module.shown} defines no '{name}' (functions and classes there: {', '.join(known) or 'none'})"
    if callable_needed and kind == "value":
        return f"'{name}' in {module.shown} is a value, not a function"
    return None


@dataclass
class HooksIndex:
    """The hooks package at `package_dir` (hooks/gateway_hooks), parsed on demand, once per module."""

    package_dir: Path
    shown_dir: str = f"hooks/{PACKAGE}"
    _index: ModuleIndex | None = None

    def _modules(self) -> ModuleIndex:
        if self._index is None:
            self._index = ModuleIndex(self.package_dir, self.shown_dir)
        return self._index

    def why_not(self, dotted: str, callable_needed: bool = True) -> str | None:
        """None when `dotted` (gateway_hooks.module.name) names something the mounted package
        defines (callable when asked); else why not, in words."""
        parts = dotted.split(".")
        if len(parts) < 2 or parts[0] != PACKAGE:
            return (
                f"the proxy only has the hooks package {self.shown_dir}/ next to its config, so a path must start with "
                f"{PACKAGE}. (e.g. {PACKAGE}.my_transforms.tag_team for {self.shown_dir}/my_transforms.py)"
            )
        module = self._modules().module(tuple(parts[1:-1]))
        if isinstance(module, str):
            return module
        return attribute_why_not(module, parts[-1], callable_needed)
