"""What the hooks package defines, read statically: the tooling never imports the hooks (they
need litellm), yet `validate` must know that every dotted path the rendered config or hooks.json
names resolves inside the package the proxy mounts (hooks/gateway_hooks/)."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from litellm_bundle.core.facts import HOOKS_PACKAGE as PACKAGE


@dataclass
class _Module:
    file: Path
    names: dict[str, str]  # top-level name -> "callable", "value" (not callable) or "unknown"


def _kind(node: ast.AST | None) -> str:
    if isinstance(node, ast.Lambda):
        return "callable"
    if isinstance(node, (ast.Constant, ast.JoinedStr, ast.List, ast.Dict, ast.Set, ast.Tuple, ast.BinOp)):
        return "value"
    return "unknown"


def _names(tree: ast.Module) -> dict[str, str]:
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[node.name] = "callable"
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    names[target.id] = _kind(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = _kind(node.value)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name != "*":
                    names[(alias.asname or alias.name).split(".")[0]] = "unknown"
    return names


@dataclass
class HooksIndex:
    """The hooks package at `package_dir` (hooks/gateway_hooks), parsed on demand, once per module."""

    package_dir: Path
    shown_dir: str = f"hooks/{PACKAGE}"
    _cache: dict[str, _Module | str] = field(default_factory=dict)

    def _module(self, parts: list[str]) -> _Module | str:
        """The module `gateway_hooks.<parts>` or why there is none."""
        key = ".".join(parts)
        if key not in self._cache:
            base = self.package_dir.joinpath(*parts) if parts else self.package_dir
            candidates = [base.with_suffix(".py")] if parts else []
            candidates.append(base / "__init__.py")
            file = next((c for c in candidates if c.is_file()), None)
            shown = f"{self.shown_dir}/{'/'.join(parts)}.py" if parts else f"{self.shown_dir}/__init__.py"
            if file is None:
                self._cache[key] = f"{shown} does not exist"
            else:
                try:
                    tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
                except (OSError, UnicodeDecodeError) as exc:
                    self._cache[key] = f"{shown} cannot be read ({exc})"
                except SyntaxError as exc:
                    self._cache[key] = f"{shown}:{exc.lineno}: does not parse ({exc.msg})"
                else:
                    self._cache[key] = _Module(file, _names(tree))
        return self._cache[key]

    def why_not(self, dotted: str, callable_needed: bool = True) -> str | None:
        """None when `dotted` (gateway_hooks.module.name) names something the mounted package
        defines (callable when asked); else why not, in words."""
        parts = dotted.split(".")
        if len(parts) < 2 or parts[0] != PACKAGE:
            return (
                f"the proxy only has the hooks package {self.shown_dir}/ next to its config, so a path must start with "
                f"{PACKAGE}. (e.g. {PACKAGE}.my_transforms.tag_team for {self.shown_dir}/my_transforms.py)"
            )
        module = self._module(parts[1:-1])
        if isinstance(module, str):
            return module
        name = parts[-1]
        kind = module.names.get(name)
        shown = f"{self.shown_dir}/{'/'.join(parts[1:-1]) or '__init__'}.py"
        if kind is None:
            known = sorted(n for n, k in module.names.items() if k == "callable" and not n.startswith("_"))
            return f"{shown} defines no '{name}' (functions and classes there: {', '.join(known) or 'none'})"
        if callable_needed and kind == "value":
            return f"'{name}' in {shown} is a value, not a function"
        return None
