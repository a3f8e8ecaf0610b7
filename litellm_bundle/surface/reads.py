"""What LiteLLM's code reads, found statically (its source parsed, never run): the keys read from a
section of the config (`settings.get("key", default)`, `settings["key"]`, `"key" in settings`,
also through local names bound to the section), the types those reads imply (a literal default, a
model the value is validated into, the annotation of the variable it is assigned to), the top-level
sections the proxy reads from its whole config, and the keys `load_config` handles itself."""

from __future__ import annotations

import ast
import builtins
import importlib
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_MODEL_METHODS = {"model_validate", "parse_obj", "validate_python", "model_construct"}
_UNWRAP_CALLS = {"dict", "cast", "MappingProxyType", "deepcopy", "copy"}
# the calls that hand the proxy its whole config (a config.yaml read, the config state of a run)
_CONFIG_SOURCES = {"get_config", "_get_config_from_file", "get_config_state", "safe_load"}
_DEFAULT_TYPES = {"bool": bool, "int": int, "float": float, "str": str}


@dataclass
class Read:
    """A key read from a section: the types of its literal defaults ("none" for a read without one)
    and the annotations LiteLLM gives the value (module, annotation source), first found first."""

    defaults: set[str] = field(default_factory=set)
    annotations: list[tuple[str, str]] = field(default_factory=list)


@cache
def parse(file: Path) -> ast.Module | None:
    try:
        return ast.parse(file.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError, OSError):
        return None


def module_name(site: Path, file: Path) -> str:
    """litellm's module of a file below its package directory `site`."""
    parts = file.relative_to(site.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def python_files(site: Path, under: str = "") -> list[Path]:
    return sorted((site / under).rglob("*.py"))


def _holder(node: ast.AST) -> str | None:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None


def _string(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def constants(tree: ast.Module | None) -> dict[str, str]:
    """Module-level names bound to a string (`INCLUDE_KEY = "include"`)."""
    out: dict[str, str] = {}
    for node in tree.body if tree is not None else []:
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
        target = node.target if isinstance(node, ast.AnnAssign) else target
        text = _string(node.value) if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value else None
        if isinstance(target, ast.Name) and text is not None:
            out[target.id] = text
    return out


def key_of(node: ast.AST, holders: set[str], names: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """(key, default type) when `node` reads a literal key (or a module constant of `names`) from a
    mapping held in one of `holders`."""

    def literal(part: ast.AST | None) -> str | None:
        if isinstance(part, ast.Name) and names:
            return names.get(part.id)
        return _string(part)

    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("get", "pop", "setdefault")
        and _holder(node.func.value) in holders
        and node.args
        and literal(node.args[0]) is not None
    ):
        default = "none"
        if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and node.args[1].value is not None:
            default = type(node.args[1].value).__name__
        return str(literal(node.args[0])), default
    if isinstance(node, ast.Subscript) and _holder(node.value) in holders and literal(node.slice) is not None:
        return str(literal(node.slice)), "none"
    if (
        isinstance(node, ast.Compare)
        and len(node.ops) == 1
        and isinstance(node.ops[0], (ast.In, ast.NotIn))
        and _holder(node.comparators[0]) in holders
        and literal(node.left) is not None
    ):
        return str(literal(node.left)), "none"
    return None


def _unwrapped(node: ast.AST) -> ast.AST:
    """The read inside `x or {}`, `dict(x)`, `cast(T, x)`, `await x` (what a local name is bound to)."""
    while True:
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            node = node.values[0]
        elif isinstance(node, ast.Await):
            node = node.value
        elif isinstance(node, ast.Call) and _holder(node.func) in _UNWRAP_CALLS and node.args:
            node = node.args[-1]
        else:
            return node


@cache
def _text(file: Path) -> str:
    return file.read_text(encoding="utf-8", errors="replace")


@cache
def _scopes(file: Path) -> tuple[tuple[ast.AST, str], ...]:
    """Every function of a file and its module level, each with its source text."""
    tree = parse(file)
    if tree is None:
        return ()
    lines = _text(file).splitlines()
    out: list[tuple[ast.AST, str]] = [(tree, _text(file))]
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.append((node, "\n".join(lines[node.lineno - 1 : node.end_lineno or node.lineno])))
    return tuple(out)


@cache
def _walk(scope: ast.AST) -> tuple[ast.AST, ...]:
    """A scope's nodes; the module level's leave out the functions and classes (scopes of their own)."""
    if isinstance(scope, ast.Module):
        return tuple(
            n
            for stmt in scope.body
            if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            for n in ast.walk(stmt)
        )
    return tuple(ast.walk(scope))


def _derives(value: ast.AST, section: str, bound: set[str]) -> bool:
    """Whether `value` is the section itself: a read of its key (`d.get("model_info")`,
    `d.model_info`), a name already bound to it, or one of those through `x or {}`, `a if c else b`,
    `dict(x)`, `x.model_dump()`."""
    if isinstance(value, ast.IfExp):
        return _derives(value.body, section, bound) or _derives(value.orelse, section, bound)
    if isinstance(value, ast.BoolOp):
        return any(_derives(v, section, bound) for v in value.values)
    if isinstance(value, ast.Await):
        return _derives(value.value, section, bound)
    if isinstance(value, ast.Call):
        if _holder(value.func) in _UNWRAP_CALLS and value.args:
            return _derives(value.args[-1], section, bound)
        if (
            isinstance(value.func, ast.Attribute)
            and value.func.attr in ("model_dump", "dict", "copy")
            and not value.args
        ):
            return _derives(value.func.value, section, bound)
    if isinstance(value, ast.Name):
        return value.id in bound
    if isinstance(value, ast.Attribute) and value.attr == section:
        return True
    found = key_of(value, _ANY)
    return found is not None and found[0] == section


def _bound_names(nodes: Iterable[ast.AST], section: str) -> set[str]:
    """Local names bound to the section (`settings = config.get("general_settings") or {}`,
    `mi = d.get("model_info")`, then `mi_dict = mi if isinstance(mi, dict) else mi.model_dump()`)."""
    names = {section, f"_{section}"}
    assignments: list[tuple[str, ast.AST]] = []
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            assignments.append((node.targets[0].id, node.value))
        elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and isinstance(node.target, ast.Name) and node.value:
            assignments.append((node.target.id, node.value))
    for _ in range(3):
        grown = {name for name, value in assignments if name not in names and _derives(value, section, names)}
        if not grown:
            break
        names |= grown
    return names


class _AnyHolder(set[str]):
    """Every holder name matches (a read of a key from anything)."""

    def __contains__(self, item: object) -> bool:
        return item is not None


_ANY = _AnyHolder()


def _parents(scope: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: parent for parent in ast.walk(scope) for child in ast.iter_child_nodes(parent)}


def _source(node: ast.AST) -> str:
    return ast.unparse(node)


def _annotation(node: ast.AST) -> str | None:
    """An annotation's source without Final[...] around it (a bare Final says nothing)."""
    if isinstance(node, ast.Subscript) and _holder(node.value) == "Final":
        return _source(node.slice)
    return None if _holder(node) == "Final" else _source(node)


def _conversion(call: ast.Call, value: ast.AST) -> str | None:
    """The type `call` validates `value` into: `T(**value)`, `T.model_validate(value)`,
    `cast(T, value)`, `TypeAdapter(T).validate_python(value)`."""
    func = call.func
    if any(k.arg is None and k.value is value for k in call.keywords) and not isinstance(func, ast.Attribute):
        return _source(func)
    if value not in call.args:
        return None
    if _holder(func) == "cast" and len(call.args) == 2 and call.args[1] is value:
        return _source(call.args[0])
    if isinstance(func, ast.Attribute) and func.attr in _MODEL_METHODS:
        owner = func.value
        if isinstance(owner, ast.Call) and _holder(owner.func) == "TypeAdapter" and owner.args:
            return _source(owner.args[0])
        return _source(owner)
    return None


def _types_of(read: ast.AST, scope: ast.AST, parents: dict[ast.AST, ast.AST]) -> list[str]:
    """Annotations LiteLLM gives the value of `read` within `scope` (sources, best first)."""
    out: list[str] = []
    node = read
    parent = parents.get(node)
    while isinstance(parent, (ast.IfExp, ast.BoolOp)) or (
        isinstance(parent, ast.Call) and _holder(parent.func) in _UNWRAP_CALLS - {"cast"}
    ):
        node, parent = parent, parents.get(parent)
    if isinstance(parent, ast.keyword):
        parent = parents.get(parent)
    if isinstance(parent, ast.Call):
        converted = _conversion(parent, node if node in parent.args else read)
        if converted:
            out.append(converted)
        inner = parents.get(parent)
        if isinstance(inner, ast.Call) and parent in inner.args:  # T.model_validate(resolve(value))
            converted = _conversion(inner, parent)
            if converted:
                out.append(converted)
    if isinstance(parent, ast.AnnAssign):
        out += filter(None, [_annotation(parent.annotation)])
    if isinstance(parent, ast.Dict):
        key = next((_string(k) for k, v in zip(parent.keys, parent.values, strict=True) if v is node), None)
        holder = parents.get(parent)
        annotation = _annotation(holder.annotation) if isinstance(holder, ast.AnnAssign) else None
        if key and annotation:
            out.append(f"{annotation}::{key}")
    target = None
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name):
        target = parent.targets[0].id
    elif isinstance(parent, (ast.AnnAssign, ast.NamedExpr)) and isinstance(parent.target, ast.Name):
        target = parent.target.id
    if target:
        out += _name_types(target, scope, parents)
    return out


def _name_types(name: str, scope: ast.AST, parents: dict[ast.AST, ast.AST]) -> list[str]:
    """What a local name holding a read is annotated as, or validated into, in its scope."""
    out: list[str] = []
    for node in ast.walk(scope):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
            out += filter(None, [_annotation(node.annotation)])
        elif isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load):
            parent = parents.get(node)
            if isinstance(parent, ast.keyword):
                parent = parents.get(parent)
            if isinstance(parent, ast.Call):
                converted = _conversion(parent, node)
                inner = parents.get(parent)
                if converted is None and isinstance(inner, ast.Call) and parent in inner.args:
                    converted = _conversion(inner, parent)
                if converted:
                    out.append(converted)
    return out


def keys_read(site: Path, files: Iterable[Path], section: str) -> dict[str, Read]:
    """Every literal key LiteLLM reads from `section` in `files`, with what types it (a scope that
    does not name the section cannot read it: only those are walked)."""
    found: dict[str, Read] = {}
    for file in files:
        if section not in _text(file):
            continue
        module = module_name(site, file)
        names = constants(parse(file))
        for scope, text in _scopes(file):
            if section not in text:
                continue
            nodes = _walk(scope)
            holders = _bound_names(nodes, section)
            parents: dict[ast.AST, ast.AST] | None = None
            for node in nodes:
                hit = key_of(node, holders, names)
                if hit is None or not hit[0].isidentifier():
                    continue
                read = found.setdefault(hit[0], Read())
                read.defaults.add(hit[1])
                if parents is None:
                    parents = _parents(scope)
                for annotation in _types_of(node, scope, parents):
                    if (module, annotation) not in read.annotations:
                        read.annotations.append((module, annotation))
    return found


def read_type(defaults: set[str]) -> Any:
    """The type literal defaults imply: their one type, if they agree (int and float: float)."""
    kinds = {_DEFAULT_TYPES[d] for d in defaults if d in _DEFAULT_TYPES}
    if kinds == {int, float}:
        kinds = {float}
    if len(kinds) != 1 or not defaults <= set(_DEFAULT_TYPES) | {"none"}:
        return None
    return typing.Optional[kinds.pop()]  # noqa: UP045  (built at run time, read like LiteLLM's own hints)


class Annotations:
    """Annotation sources resolved where LiteLLM wrote them: each name of an annotation taken from
    the import that brings it into its file (at module level or inside a function), else from the
    module itself; an annotation that does not resolve (a name imported only for type checkers, a
    module that does not import here) resolves to None."""

    def __init__(self, site: Path) -> None:
        self.site = site
        self._modules: dict[str, Any] = {}

    def _module(self, name: str) -> Any:
        if name not in self._modules:
            try:
                self._modules[name] = importlib.import_module(name)
            except Exception:  # an optional dependency missing here: its names type nothing
                self._modules[name] = None
        return self._modules[name]

    def _name(self, module: str, name: str, depth: int = 0) -> Any:
        file = _module_file(self.site, module)
        tree = parse(file) if file is not None else None
        imports = [
            (node.module, alias.name)
            for node in (ast.walk(tree) if tree is not None else ())
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
            for alias in node.names
            if (alias.asname or alias.name) == name
        ]
        # followed to where it is defined (a re-export through the proxy's server would cost its import),
        # LiteLLM's types modules first
        for source_module, source_name in sorted(imports, key=lambda i: not i[0].startswith("litellm.types")):
            found = self._name(source_module, source_name, depth + 1) if depth < 4 else None
            if found is not None:
                return found
        loaded = self._module(module)
        return getattr(loaded, name, None) if loaded is not None else None

    def resolve(self, module: str, source: str) -> Any:
        field_name = None
        if "::" in source:
            source, field_name = source.split("::", 1)
        try:
            expression = ast.parse(source, mode="eval")
        except SyntaxError:
            return None
        scope: dict[str, Any] = dict(vars(typing))
        for node in ast.walk(expression):
            if isinstance(node, ast.Name) and node.id not in scope and not hasattr(builtins, node.id):
                value = self._name(module, node.id)
                if value is None:
                    return None
                scope[node.id] = value
        try:
            value = eval(compile(expression, "<annotation>", "eval"), scope)  # LiteLLM's annotation, in its names
        except Exception:
            return None
        if type(value).__name__ == "TypeAdapter":
            value = getattr(value, "_type", None)
        if field_name is not None:
            try:
                return typing.get_type_hints(value).get(field_name)
            except Exception:
                return None
        return value if _is_type(value) and value not in (object, typing.Any) else None

    def first(self, read: Read) -> Any:
        for module, source in read.annotations:
            resolved = self.resolve(module, source)
            if resolved is not None:
                return resolved
        return None


def _is_type(value: Any) -> bool:
    return isinstance(value, type) or typing.get_origin(value) is not None


def compared_strings(file: Path, function: str, variable: str) -> set[str]:
    """The string constants `variable` is compared with (==, in (...)) inside `function` of `file`."""
    tree = parse(file)
    out: set[str] = set()
    for fn in _functions(tree, function):
        for node in ast.walk(fn):
            if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) and node.left.id == variable:
                for comparator in node.comparators:
                    values = comparator.elts if isinstance(comparator, (ast.Tuple, ast.List, ast.Set)) else [comparator]
                    out |= {v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)}
    return out


def _functions(tree: ast.Module | None, name: str) -> list[FunctionNode]:
    return _functions_by_name(tree).get(name, []) if tree is not None else []


@cache
def _functions_by_name(tree: ast.Module) -> dict[str, list[FunctionNode]]:
    """Every function of a parsed module by its name, in walk order (a module is walked once, not per name)."""
    out: dict[str, list[FunctionNode]] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.setdefault(node.name, []).append(node)
    return out


@dataclass
class Branches:
    """What `load_config`'s loop over a section does per key (`if key == "X": ...`): the types its
    branch validates the value into, and the keys whose value goes to `takes_one` (a function that
    also takes a single value, not only a list)."""

    types: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    single: set[str] = field(default_factory=set)


def branches(site: Path, file: Path, function: str, key: str, value: str, takes_one: str) -> Branches:
    tree = parse(file)
    out = Branches()
    module = module_name(site, file)
    for fn in _functions(tree, function):
        parents = _parents(fn)
        for node in ast.walk(fn):
            if not isinstance(node, ast.If):
                continue
            test = node.test.values[0] if isinstance(node.test, ast.BoolOp) else node.test
            if not (
                isinstance(test, ast.Compare)
                and isinstance(test.left, ast.Name)
                and test.left.id == key
                and isinstance(test.ops[0], ast.Eq)
                and _string(test.comparators[0]) is not None
            ):
                continue
            name = str(_string(test.comparators[0]))
            body = ast.Module(body=node.body, type_ignores=[])
            for inner in ast.walk(body):
                if isinstance(inner, ast.Name) and inner.id == value and isinstance(inner.ctx, ast.Load):
                    for source in _types_of(inner, body, {**parents, **_parents(body)}):
                        out.types.setdefault(name, []).append((module, source))
                if isinstance(inner, ast.Call) and _holder(inner.func) == takes_one:
                    passed = [*inner.args, *(k.value for k in inner.keywords)]
                    if any(isinstance(a, ast.Name) and a.id == value for a in passed):
                        out.single.add(name)
    return out


@dataclass
class ConfigReads:
    """The top-level sections the proxy reads from its whole config, and the ones it reads as a
    fallback for another (`config.get("agents", config.get("agent_list"))`: agent_list -> agents)."""

    sections: set[str] = field(default_factory=set)
    fallbacks: dict[str, str] = field(default_factory=dict)


def config_sections(site: Path, file: Path) -> ConfigReads:
    """Sections read from the proxy's whole config: from the names bound to the config read
    (`config = await self.get_config(...)`) through every call that passes such a name on, into
    the functions of the proxy and of the litellm modules it imports."""
    out = ConfigReads()
    tree = parse(file)
    if tree is None:
        return out
    seen: set[tuple[Path, str, str]] = set()
    pending: list[tuple[Path, FunctionNode, str]] = []
    for fn, text in _scopes(file):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or not any(s in text for s in _CONFIG_SOURCES):
            continue
        for node in _walk(fn):
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                value = _unwrapped(node.value) if node.value is not None else None
                if isinstance(value, ast.Call) and _holder(value.func) in _CONFIG_SOURCES:
                    pending += [(file, fn, t.id) for t in targets if isinstance(t, ast.Name)]
    while pending:
        where, fn, name = pending.pop()
        if (where, fn.name, name) in seen:
            continue
        seen.add((where, fn.name, name))
        holders = {name}
        names = constants(parse(where))
        for node in _walk(fn):
            hit = key_of(node, holders, names)
            if hit is not None and hit[0].isidentifier():
                out.sections.add(hit[0])
                if isinstance(node, ast.Call) and len(node.args) > 1:
                    fallback = key_of(node.args[1], holders, names)
                    if fallback is not None:
                        out.sections.add(fallback[0])
                        out.fallbacks[fallback[0]] = hit[0]
            if isinstance(node, ast.Call):
                pending += _passed_on(site, where, node, name)
    return out


def _passed_on(site: Path, file: Path, call: ast.Call, name: str) -> list[tuple[Path, FunctionNode, str]]:
    """The (file, function, parameter) a call hands the name `name` to, where the function is the
    proxy's or a litellm module's."""
    positions = [i for i, a in enumerate(call.args) if isinstance(a, ast.Name) and a.id == name]
    keywords = [k.arg for k in call.keywords if k.arg and isinstance(k.value, ast.Name) and k.value.id == name]
    if not positions and not keywords:
        return []
    callee = _holder(call.func)
    if callee is None:
        return []
    out: list[tuple[Path, FunctionNode, str]] = []
    for target_file, fn in _definitions(site, file, callee):
        params = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args] if a.arg not in ("self", "cls")]
        every = params + [a.arg for a in fn.args.kwonlyargs]
        out += [(target_file, fn, params[i]) for i in positions if i < len(params)]
        out += [(target_file, fn, k) for k in keywords if k in every]
    return out


def _definitions(site: Path, file: Path, name: str) -> list[tuple[Path, FunctionNode]]:
    """Functions called `name` in `file`, or in the litellm module `file` imports `name` from."""
    tree = parse(file)
    local = [(file, fn) for fn in _functions(tree, name)]
    if local or tree is None:
        return local
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("litellm")
            and any((a.asname or a.name) == name for a in node.names)
        ):
            source = _module_file(site, node.module)
            if source is not None:
                return [(source, fn) for fn in _functions(parse(source), name)]
    return []


def _module_file(site: Path, module: str) -> Path | None:
    base = site.parent.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def attribute_reads(files: Iterable[Path], holder: str) -> set[str]:
    """Attributes read from a name `holder` (`litellm_params.judge_model`) in `files`."""
    out: set[str] = set()
    for file in files:
        tree = parse(file)
        if tree is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and _holder(node.value) == holder and isinstance(node.ctx, ast.Load):
                out.add(node.attr)
    return out


def string_arguments(files: Iterable[Path], function: str, position: int) -> set[str]:
    """Literal strings passed at `position` to calls of `function` in `files`
    (`_get_litellm_param(litellm_params, guardrail, "judge_model", "")`)."""
    out: set[str] = set()
    for file in files:
        tree = parse(file)
        if tree is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _holder(node.func) == function and len(node.args) > position:
                text = _string(node.args[position])
                if text is not None:
                    out.add(text)
    return out
