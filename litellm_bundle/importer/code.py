"""`import CONFIG.yaml --code DIR`: the team's own code an imported config names, brought into config/code/
(docs/team-code.md).

Every dotted path LiteLLM loads (callbacks, guardrail classes, custom auth, custom providers, ...: the
places of checks/loaded_code.yaml) and every file it opens (prompt files, the global prompt directory) is
looked up where LiteLLM would find it when run from the config's directory: in DIR first (--code), then
next to CONFIG.yaml. A module comes with the packages around it (their __init__.py) and, transitively,
with the modules of the same directory it imports; a directory with its files. What the hooks package or
LiteLLM's own package defines stays where it is. A reference found nowhere is an error at CONFIG.yaml's line.
A relative file path becomes the path the proxy has the file at (`mount_paths`, a change of the import report).

Files a module opens by itself are not followed: copy them into config/code/ of the import."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from litellm_bundle.checks import team_code as checks
from litellm_bundle.checks.hooks_index import HooksIndex
from litellm_bundle.checks.litellm_settings import DOTTED
from litellm_bundle.core.facts import CALLBACK_KEYS, CONFIG_MOUNT, HOOKS_PACKAGE
from litellm_bundle.core.problems import PathKey, Problem, Result, sort_key
from litellm_bundle.core.yamlio import YamlDocument, parse_yaml, read_source
from litellm_bundle.importer.report import SET
from litellm_bundle.importer.state import ImportState
from litellm_bundle.model import team_code
from litellm_bundle.model.configset import as_list, as_map
from litellm_bundle.policy import registry
from litellm_bundle.policy.policies import Policies
from litellm_bundle.policy.schemas import show

CODE_DIR = "code"  # config/code/ inside the imported config directory (BundleTree.code_dir)
# what the validation of the import says about a reference this module already reported
SAME_PLACE = ("hooks-unresolved", "code-file-missing", "unknown-callback")
ImportResult = TypeVar("ImportResult", bound=Result)  # convert.ImportResult (which imports this module's caller)


@dataclass
class Brought:
    """The team's code for config/code/ (path -> text), what was brought from where, and what was not found."""

    files: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class _Reference:
    path: PathKey
    value: str
    names: str  # module, file or directory
    by_file: bool = False


def references(config: dict[str, Any]) -> list[_Reference]:
    """Every module path and file a LiteLLM config names (values that are not a dotted path or a string
    are LiteLLM's own names or left to the import's other checks)."""
    found: list[_Reference] = []
    settings = as_map(config.get("litellm_settings"))
    for key in CALLBACK_KEYS:
        value = settings.get(key)
        items: list[tuple[PathKey, Any]] = [(("litellm_settings", key), value)] if isinstance(value, str) else []
        items += [(("litellm_settings", key, i), v) for i, v in enumerate(as_list(value))]
        found += [_Reference(p, v, "module") for p, v in items if isinstance(v, str) and DOTTED.match(v)]
    for index, guardrail in enumerate(as_list(config.get("guardrails"))):
        kind = as_map(as_map(guardrail).get("litellm_params")).get("guardrail")
        if isinstance(kind, str) and DOTTED.match(kind):
            found.append(_Reference(("guardrails", index, "litellm_params", "guardrail"), kind, "module"))
    for place in checks.loaded_places():
        for path, value in checks.walk(config, place.at):
            if not isinstance(value, str) or value.startswith("os.environ/"):
                continue
            if place.names == "module" and (not DOTTED.match(value) or "://" in value):
                continue
            found.append(_Reference(path, value, place.names, place.by_file))
    return found


def _module_file(root: Path, parts: tuple[str, ...], by_file: bool = False) -> Path | None:
    """Where LiteLLM (run from `root`) finds module `parts`: root/<parts>.py, else the package's __init__.py."""
    candidates = [root.joinpath(*parts).with_suffix(".py")]
    if not by_file:
        candidates.append(root.joinpath(*parts) / "__init__.py")
    return next((c for c in candidates if c.is_file()), None)


def _imported_modules(file: Path, root: Path) -> list[tuple[str, ...]]:
    """The modules `file` (under `root`) may import: every prefix of an imported name, relative ones made absolute."""
    try:
        tree = ast.parse(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return []  # the import's validation reports a module that does not parse
    package = file.parent.relative_to(root).parts
    wanted: list[tuple[str, ...]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = tuple(alias.name.split("."))
                wanted += [parts[:i] for i in range(1, len(parts) + 1)]
        elif isinstance(node, ast.ImportFrom):
            base: tuple[str, ...] = ()
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level - 1 <= len(package) else ()
            parts = base + tuple((node.module or "").split(".") if node.module else ())
            wanted += [parts[:i] for i in range(1, len(parts) + 1)]
            wanted += [(*parts, alias.name) for alias in node.names if alias.name != "*"]
    return [parts for parts in dict.fromkeys(wanted) if parts]


def _packages(file: Path, root: Path) -> list[Path]:
    """The __init__.py of every package around `file` under root."""
    inits = []
    for parent in file.parents:
        if parent == root or root not in parent.parents:
            break
        if (parent / "__init__.py").is_file():
            inits.append(parent / "__init__.py")
    return inits


def _shipped(directory: Path) -> list[Path]:
    return [directory / p for p in team_code.walk_files(directory)]


@dataclass
class _Collect:
    doc: YamlDocument
    roots: list[tuple[Path, str]]  # where to look, and how to name it
    brought: Brought = field(default_factory=Brought)
    sources: dict[str, Path] = field(default_factory=dict)  # path in config/code -> the file it came from

    def bring(self, file: Path, root: Path) -> None:
        relative = file.relative_to(root).as_posix()
        if relative in self.sources:
            return
        self.sources[relative] = file
        try:
            self.brought.files[relative] = file.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.brought.problems.append(
                Problem(
                    self.doc.locate(()),
                    f"{file} cannot be brought into config/code/{relative}: "
                    f"{'it is not UTF-8 text' if isinstance(exc, UnicodeDecodeError) else exc}",
                    check="import-code-missing",
                )
            )
            return
        if file.suffix != ".py":
            return
        for package in _packages(file, root):
            self.bring(package, root)
        for parts in _imported_modules(file, root):  # all of it lands in one directory: the first root wins
            found = next(((f, r) for r, _ in self.roots if (f := _module_file(r, parts)) is not None), None)
            if found is not None:
                self.bring(*found)

    def missing(self, ref: _Reference, what: str) -> None:
        places = " nor ".join(f"{shown} ({root / what})" for root, shown in self.roots)
        shown = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in ref.path).replace(".[", "[")
        self.brought.problems.append(
            Problem(
                self.doc.locate(ref.path),
                f"{shown} names {ref.value}: found neither {places}; pass --code DIR with the team's code, or "
                "remove the reference",
                check="import-code-missing",
            )
        )

    def module(self, ref: _Reference, installed: checks.CodePaths) -> None:
        parts = tuple(ref.value.split("."))[:-1]
        if parts[0] == HOOKS_PACKAGE:
            return
        for root, _ in self.roots:
            file = _module_file(root, parts, ref.by_file)
            if file is not None:
                self.bring(file, root)
                return
        if parts[0] in checks.INSTALLED and installed.why_not(ref.value, callable_needed=False) is None:
            return  # LiteLLM's own
        self.missing(ref, "/".join(parts) + ".py")

    def file(self, ref: _Reference) -> None:
        value = ref.value
        if value.startswith("/") and not value.startswith(f"{CONFIG_MOUNT}/"):
            return  # the image's own: the boot check tries it
        relative = value.removeprefix(f"{CONFIG_MOUNT}/").removeprefix("./").strip("/")
        for root, _ in self.roots:
            target = root / relative
            if ref.names == "directory" and target.is_dir():
                for file in _shipped(target):
                    self.bring(file, root)
                return
            if ref.names == "file" and target.is_file():
                self.bring(target, root)
                return
        self.missing(ref, relative)


def collect(policies: Policies, source: Path, code_dir: Path | None) -> Brought:
    """The team's code CONFIG.yaml (`source`) names, from `code_dir` (--code) and the config's directory.
    A config that does not read as YAML brings nothing (the import reports why)."""
    text, _ = read_source(source, str(source))
    doc, problems = parse_yaml(text, str(source)) if text is not None else (None, [])
    if doc is None or problems or not isinstance(doc.data, dict):
        return Brought()
    roots = [(code_dir.resolve(), f"in {code_dir}")] if code_dir is not None else []
    roots.append((source.resolve().parent, f"next to {source.name}"))
    work = _Collect(doc, roots)
    installed = checks.CodePaths(HooksIndex(policies.tree.hooks_package), team_code.TeamCode(Path(), ""))
    for ref in references(doc.data):
        if ref.names == "module":
            work.module(ref, installed)
        else:
            work.file(ref)
    for relative, file in sorted(work.sources.items()):
        work.brought.notes.append(f"brought {file} into config/{CODE_DIR}/{relative}")
    work.brought.files = dict(sorted(work.brought.files.items()))
    return work.brought


def mount_paths(state: ImportState, x: dict[str, Any]) -> None:
    """A relative path of a file LiteLLM opens (a prompt file, the global prompt directory) as the proxy has
    it: under the directory the team's code is mounted at (in place; a change of the import report). LiteLLM
    opens a relative path from its working directory, which is the config's where the config was run, and
    the image's (not the config's) in the bundle's targets."""
    for place in checks.loaded_places():
        if place.names == "module":
            continue
        for path, value in list(checks.walk(x, place.at)):
            if not isinstance(value, str) or not value or value.startswith(("/", "os.environ/")):
                continue
            relative = value.removeprefix("./").strip("/")
            node: Any = x
            for part in path[:-1]:
                node = node[part]
            node[path[-1]] = f"{CONFIG_MOUNT}/{relative}"
            state.change(
                SET,
                path,
                node[path[-1]],
                f"the team's file config/{CODE_DIR}/{relative} where the proxy has it: LiteLLM opens a relative "
                "path from its working directory, the image's, not the config's (docs/team-code.md)",
                "required",
                shown=show(value),
            )


def merged(result: ImportResult, brought: Brought) -> ImportResult:
    """The import's result with the team's code: its problems (what the validation of the import says about
    the same reference dropped), and nothing imported when a reference was found nowhere."""
    if not brought.problems:
        return replace(result, notes=[*result.notes, *(f"note: {n}" for n in brought.notes)])
    lines = {(p.location.file, p.location.line) for p in brought.problems}
    kept = [p for p in result.problems if not (p.check in SAME_PLACE and (p.location.file, p.location.line) in lines)]
    problems = registry.load().classified([*brought.problems, *kept])
    changes: dict[str, Any] = {"problems": sorted(problems, key=sort_key), "imported": None}
    return replace(result, **changes)


def code_files(brought: Brought) -> dict[str, str]:
    """The brought files as files of the imported config directory."""
    return {f"{CODE_DIR}/{path}": text for path, text in brought.files.items()}
