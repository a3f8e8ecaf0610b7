"""The team's own code (config/code/) as `validate` sees it: what keeps it from being shipped, and every
dotted path and file a LiteLLM setting names resolved against it, statically (docs/team-code.md).

The proxy finds code three ways, and so does `CodePaths.why_not`: the hooks package
(gateway_hooks.<module>.<name>), the team's code mounted next to config.yaml (LiteLLM's
get_instance_fn loads <config dir>/<module path>.py, else imports the module; the hooks put the
config's directory on the import path, so a package's __init__.py and sibling imports work too), and
LiteLLM's own package. Files a setting names are opened from the proxy's working directory, which is
the image's, not the config's: the team names them by where the proxy mounts config/code/
(facts.CONFIG_MOUNT)."""

from __future__ import annotations

import ast
import functools
import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from litellm_bundle.checks import secret_scan
from litellm_bundle.checks.hooks_index import HooksIndex, Module, ModuleIndex, attribute_why_not
from litellm_bundle.checks.litellm_settings import DOTTED
from litellm_bundle.checks.references import model_groups
from litellm_bundle.core.facts import CONFIG_MOUNT, HOOKS_PACKAGE
from litellm_bundle.core.problems import Found, Location, PathKey, Problem
from litellm_bundle.core.yamlio import YamlDocument
from litellm_bundle.model import team_code
from litellm_bundle.model.configset import ConfigSet, as_list, as_map
from litellm_bundle.model.team_code import TeamCode
from litellm_bundle.policy.policies import Policies

LOADED_FILE = Path(__file__).with_name("loaded_code.yaml")
# packages of the image a path may name besides the hooks and the team's code (read from this environment)
INSTALLED = ("litellm", "litellm_enterprise")
MODEL_LIST = ("model_list", "*", "litellm_params")


@dataclass(frozen=True)
class Loaded:
    """One place of LiteLLM's config that names code or a file (loaded_code.yaml)."""

    at: tuple[str, ...]
    names: str  # module, file or directory
    callable: bool = False
    by_file: bool = False
    dotted_only: bool = False


@functools.cache
def loaded_places() -> tuple[Loaded, ...]:
    data = YAML(typ="safe").load(LOADED_FILE.read_text(encoding="utf-8"))
    return tuple(
        Loaded(
            tuple(str(p) for p in entry["at"]),
            str(entry["names"]),
            bool(entry.get("callable", False)),
            bool(entry.get("by_file", False)),
            bool(entry.get("dotted_only", False)),
        )
        for entry in data["loaded"]
    )


def _installed(name: str) -> ModuleIndex | None:
    """The directory of an installed package, found without importing it."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    locations = list(spec.submodule_search_locations or []) if spec else []
    return ModuleIndex(Path(locations[0]), name) if locations else None


@dataclass
class CodePaths:
    """Resolves what LiteLLM's settings and custom transforms name: the hooks package, the team's code,
    LiteLLM's own package (a `hooks_index.Resolver`)."""

    hooks: HooksIndex
    team: TeamCode
    installed: dict[str, ModuleIndex | None] = field(default_factory=dict)
    _modules: ModuleIndex | None = None

    @property
    def modules(self) -> ModuleIndex:
        if self._modules is None:
            self._modules = ModuleIndex(self.team.root, self.team.shown)
        return self._modules

    def _package(self, name: str) -> ModuleIndex | None:
        if name not in self.installed:
            self.installed[name] = _installed(name)
        return self.installed[name]

    def _in_team(self, top: str) -> bool:
        return any(path == f"{top}.py" or path.startswith(f"{top}/") for path in self.team.files)

    def _nowhere(self, module: str) -> str:
        modules = ", ".join(self.team.top_level()) or "none"
        return (
            f"no module {module}: the proxy finds code in the team's code ({self.team.shown}/, modules: {modules}), "
            f"the hooks package ({HOOKS_PACKAGE}.<module>) and LiteLLM's own package; put it in "
            f"{self.team.shown}/{module.replace('.', '/')}.py"
        )

    def why_not(self, dotted: str, callable_needed: bool = True, by_file: bool = False) -> str | None:
        """None when `dotted` (module.name) resolves to something defined (callable when asked), else why
        not. `by_file`: LiteLLM loads only <config dir>/<module>.py (module.Class, one dot)."""
        parts = dotted.split(".")
        if len(parts) < 2 or not all(parts):
            return "a path to code names a module and what it defines: module.name"
        module_parts, name = tuple(parts[:-1]), parts[-1]
        module: Module | str
        if by_file:
            if len(parts) != 2:
                return (
                    f"LiteLLM loads it as <module>.<Class> from <module>.py next to config.yaml (one dot), not {dotted}"
                )
            module = self.modules.module(module_parts, package_allowed=False)
        elif parts[0] == HOOKS_PACKAGE:
            return self.hooks.why_not(dotted, callable_needed)
        elif self._in_team(parts[0]):
            module = self.modules.module(module_parts)
        elif (package := self._package(parts[0]) if parts[0] in INSTALLED else None) is not None:
            module = package.module(module_parts[1:])
        else:
            return self._nowhere(".".join(module_parts))
        if isinstance(module, str):
            return module
        return attribute_why_not(module, name, callable_needed)

    def file_why_not(self, value: str, directory: bool) -> str | None:
        """None when `value` (a path the proxy opens) is a file (or directory) of the team's code as the proxy
        sees it, or an absolute path outside the bundle (the image's own: the boot check tries it)."""
        mount = f"{CONFIG_MOUNT}/"
        kind = "directory" if directory else "file"
        if value.startswith(mount):
            relative = value[len(mount) :].strip("/")
            if (self.team.has_dir(relative) if directory else relative in self.team.files) or not relative:
                return None
            return f"{self.team.shown}/{relative} is no {kind} of the team's code ({mount} is where the proxy has it)"
        if value.startswith("/"):
            return None
        relative = value.removeprefix("./").strip("/")
        there = self.team.has_dir(relative) if directory else relative in self.team.files
        fix = (
            f"write {mount}{relative} for {self.team.shown}/{relative}"
            if there
            else f"put the {kind} in {self.team.shown}/ and write {mount}<its path there>"
        )
        return (
            "a relative path is opened from the proxy's working directory (the image's), not from config.yaml's "
            f"directory; {fix}"
        )


def code_paths(policies: Policies, hooks: HooksIndex) -> CodePaths:
    """The resolver of a bundle tree: its hooks package, its team's code (config/code/), LiteLLM's package."""
    return CodePaths(hooks, team_code.load(policies.tree))


def check_team_code(paths: CodePaths, policies: Policies) -> list[Problem]:
    """What keeps config/code/ from being shipped (model/team_code.py), literal secrets (the team's code is
    committed like the YAML sources), and Python files that do not parse (a warning: nothing can import
    them; a path that names one is an error of its own)."""
    code = paths.team
    problems = list(code.problems)
    for path, text in code.files.items():
        problems += secret_scan.scan(f"{code.shown}/{path}", text, None, policies.compiled_detectors)
        if not path.endswith(".py"):
            continue
        try:
            ast.parse(text, filename=path)
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", None) or 1
            problems.append(
                Problem(
                    Location(f"{code.shown}/{path}", line, getattr(exc, "offset", None) or 1),
                    f"does not parse ({getattr(exc, 'msg', str(exc))}); the proxy cannot import it",
                    check="team-code-syntax",
                )
            )
    return problems


def walk(node: Any, at: tuple[str, ...], path: PathKey = ()) -> Iterator[tuple[PathKey, Any]]:
    """(path, value) of every value at `at` under `node` ('*': every item or value)."""
    if not at:
        yield path, node
        return
    head, rest = at[0], at[1:]
    if head == "*":
        items: list[tuple[str | int, Any]] = (
            list(enumerate(node)) if isinstance(node, list) else list(as_map(node).items())
        )
        for key, value in items:
            yield from walk(value, rest, (*path, key))
    elif isinstance(node, dict) and head in node:
        yield from walk(node[head], rest, (*path, head))


def _settings(cs: ConfigSet, policies: Policies) -> Iterator[tuple[str, PathKey, dict[str, Any]]]:
    """(document key, where LiteLLM's sections start, the sections): config/litellm.yaml and every overlay."""
    yield "litellm", (), cs.data("litellm")
    for env in policies.environments:
        key = f"env:{env}"
        if cs.usable(key):
            yield key, ("litellm",), as_map(cs.data(key).get("litellm"))


def _deployments(cs: ConfigSet) -> Iterator[tuple[PathKey, dict[str, Any]]]:
    """Where a deployment's litellm_params keys are written: the deployment and its provider_params."""
    for group, body in model_groups(cs).items():
        for index, dep in enumerate(as_list(as_map(body).get("deployments"))):
            base: PathKey = ("model_groups", group, "deployments", index)
            yield base, as_map(dep)
            yield (*base, "provider_params"), as_map(as_map(dep).get("provider_params"))


def _check(found: Found, where: YamlDocument, path: PathKey, paths: CodePaths, place: Loaded, value: Any) -> None:
    """A problem at `path` when `value` at `place` does not resolve."""
    if not isinstance(value, str) or value.startswith("os.environ/"):
        return
    shown = "".join("[]" if part == "*" else f".{part}" for part in place.at).lstrip(".")
    if place.names != "module":
        why = paths.file_why_not(value, place.names == "directory")
        if why:
            found.add(where, path, f"{shown} names {value}: {why}", value=True, check="code-file-missing")
        return
    if place.dotted_only and (not DOTTED.match(value) or "://" in value):
        return
    why = paths.why_not(value, place.callable, place.by_file)
    if why:
        found.add(
            where, path, f"{shown} names {value}, which does not resolve: {why}", value=True, check="hooks-unresolved"
        )


def check_loaded_code(cs: ConfigSet, policies: Policies, paths: CodePaths) -> list[Problem]:
    """Every module path and file LiteLLM's settings name (loaded_code.yaml) resolves (see CodePaths)."""
    found = Found()
    places = loaded_places()
    for key, base, settings in _settings(cs, policies):
        for place in (p for p in places if p.at[: len(MODEL_LIST)] != MODEL_LIST):
            for path, value in walk(settings, place.at):
                _check(found, cs.docs[key], base + path, paths, place, value)
    if not cs.usable("models"):
        return found.problems
    for place in (p for p in places if p.at[: len(MODEL_LIST)] == MODEL_LIST):
        for base, params in _deployments(cs):
            for path, value in walk(params, place.at[len(MODEL_LIST) :]):
                _check(found, cs.docs["models"], base + path, paths, place, value)
    return found.problems
