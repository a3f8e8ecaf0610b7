"""The surface diff that touches the sources: LiteLLM's configuration surface of the current version
against the target's (two policies/litellm/<version>/ directories), read only where the bundle uses it
(upgrade/usage.py). For every key used: removed, renamed (a near miss among the keys the target adds)
or retyped (its value checked against the target's type: a break when it no longer fits); the
secret-bearing parameters that changed, and LiteLLM's sensitive-key rule for the variable names the
sources set; the callbacks, guardrail integrations and providers they name that the target dropped or
implements with another class; the keys the target adds to the sections used."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from litellm_bundle.checks.litellm_settings import sensitive
from litellm_bundle.policy.policies import LITELLM_SURFACE, Policies
from litellm_bundle.surface.convert import BASE_ID
from litellm_bundle.upgrade.usage import NAME_KINDS, KeyUse, Usage, location

NAMES = "names.schema.json"
NEAR_MISS = 0.8  # difflib ratio above which a key the target adds is taken for the removed key's new name
RULE_LISTS = ("segments", "unless_segments", "secret", "not_secret")


class SurfaceError(Exception):
    """A surface directory that cannot be read (not generated, or from another bundle)."""


@dataclass(frozen=True)
class Finding:
    """One change of the surface that touches a place of the sources; `breaks`: the upgrade breaks it."""

    where: str
    what: str  # "litellm_params.api_key", "callback prometheus", "environment_variables.FOO"
    change: str  # removed | renamed | retyped | type changed | now secret | no longer secret | class changed
    detail: str
    breaks: bool
    rendered: bool = False  # a key only the renderer writes (rendered/<env>/config.yaml)


@dataclass
class SurfaceDiff:
    current: str
    target: str
    findings: list[Finding] = field(default_factory=list)
    new_keys: dict[str, list[str]] = field(default_factory=dict)  # section -> keys the target adds
    secret_params: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)  # section -> (now, no longer)
    rule_changes: list[str] = field(default_factory=list)
    keys_checked: int = 0
    names_checked: int = 0

    @property
    def breaks(self) -> list[Finding]:
        return [f for f in self.findings if f.breaks]


def _read(folder: Path, name: str) -> Any:
    try:
        return json.loads((folder / name).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SurfaceError(f"{folder / name}: cannot read: {exc.strerror} (generate it: make litellm-schema)") from exc
    except json.JSONDecodeError as exc:
        raise SurfaceError(f"{folder / name}:{exc.lineno}: invalid JSON: {exc.msg}") from exc


class Surface:
    """One version's surface directory."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.meta = _read(folder, LITELLM_SURFACE)
        self.version = str(self.meta.get("version"))
        self._files: dict[str, Any] = {}

    def file(self, name: str) -> Any:
        if name not in self._files:
            self._files[name] = _read(self.folder, name)
        return self._files[name]

    def properties(self, section: str) -> dict[str, Any]:
        name, pointer = location(section)
        if not (self.folder / name).is_file():
            return {}  # a section this surface has no schema of
        node = self.file(name)
        for part in pointer.strip("/").split("/"):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        return node if isinstance(node, dict) else {}

    def names(self, kind: str) -> list[str]:
        return [str(v) for v in self.file(NAMES)["$defs"][kind]["enum"]]

    def secret_params(self, section: str) -> set[str]:
        return set(self.meta.get("secret_params", {}).get(section, []))

    def callback_classes(self) -> dict[str, str]:
        return dict(self.meta.get("callback_classes", {}))

    def rule(self) -> dict[str, Any]:
        return dict(self.meta.get("sensitive_key_rule", {}))


def _bare(schema: Any, top: bool = True) -> Any:
    """A property schema without its prose (a changed description is not a changed type) and, at its top, without
    the keys of an object (each key used is compared on its own, a key added is listed as new; a new required
    key shows as a value that no longer fits)."""
    if isinstance(schema, dict):
        return {
            k: _bare(v, False)
            for k, v in schema.items()
            if k not in ("description", "title", "$comment", "x-allowed") and not (top and k == "properties")
        }
    if isinstance(schema, list):
        return [_bare(v, False) for v in schema]
    return schema


def shape(schema: Any) -> str:
    """A property schema in a few words, for the report."""
    if not isinstance(schema, dict) or not _bare(schema):
        return "any value"
    if schema.get("x-secret"):
        return "a reference os.environ/NAME (secret)"
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return "os.environ/NAME" if ref.endswith("/envRef") else ref.rsplit("/", 1)[-1]
    if "enum" in schema:
        values = [json.dumps(v) for v in schema["enum"]]
        return "one of " + ", ".join(values[:6]) + (", ..." if len(values) > 6 else "")
    if "anyOf" in schema:
        return " or ".join(shape(part) for part in schema["anyOf"])
    kind = schema.get("type")
    if isinstance(kind, list):
        return "|".join(map(str, kind))
    if kind == "array" and isinstance(schema.get("items"), dict):
        return f"array of {shape(schema['items'])}"
    return str(kind) if kind else "any value"


def _near(name: str, added: list[str]) -> str | None:
    found = difflib.get_close_matches(name, added, n=1, cutoff=NEAR_MISS)
    return found[0] if found else None


def _fits(policies: Policies, section: str, key: str, value: Any) -> str | None:
    """None when `value` fits the target's type of the key, else why not."""
    name, pointer = location(section)
    validator = Draft202012Validator({"$ref": f"{BASE_ID}{name}#{pointer}/{key}"}, registry=policies.registry)
    error = best_match(validator.iter_errors(value))
    return None if error is None else error.message


class _Differ:
    def __init__(self, old: Surface, new: Surface, policies: Policies):
        self.old, self.new, self.policies = old, new, policies
        self.diff = SurfaceDiff(old.version, new.version)

    def add(self, use: KeyUse, change: str, detail: str, breaks: bool) -> None:
        finding = Finding(use.where, f"{use.section}.{use.key}", change, detail, breaks, use.rendered)
        self.diff.findings.append(finding)

    def key(self, use: KeyUse) -> None:
        old, new = self.old.properties(use.section), self.new.properties(use.section)
        if use.key not in old:
            return  # not a LiteLLM key of the current version (the bundle's own, or already refused)
        self.diff.keys_checked += 1
        if use.key not in new:
            renamed = _near(use.key, sorted(set(new) - set(old)))
            if renamed:
                self.add(use, "renamed", f"LiteLLM {self.new.version} has no `{use.key}`; it adds `{renamed}`", True)
            else:
                self.add(use, "removed", f"LiteLLM {self.new.version} has no `{use.key}` in {use.section}", True)
            return
        was_secret = use.key in self.old.secret_params(use.section)
        is_secret = use.key in self.new.secret_params(use.section)
        misfit = _fits(self.policies, use.section, use.key, use.value)
        if is_secret and not was_secret:
            detail = "secret-bearing now: its value must be a reference os.environ/NAME"
            self.add(use, "now secret", detail + (f" ({misfit})" if misfit else ""), misfit is not None)
        elif _bare(old[use.key]) != _bare(new[use.key]):
            change = f"{shape(old[use.key])} -> {shape(new[use.key])}"
            if misfit:
                self.add(use, "retyped", f"{change}; the value no longer fits: {misfit}", True)
            else:
                self.add(use, "type changed", f"{change}; the value still fits", False)
        elif was_secret and not is_secret:
            self.add(use, "no longer secret", "LiteLLM no longer treats it as secret-bearing", False)

    def names(self, usage: Usage) -> None:
        classes_old, classes_new = self.old.callback_classes(), self.new.callback_classes()
        for kind in NAME_KINDS:
            old, new = self.old.names(kind), self.new.names(kind)
            for use in (u for u in usage.names if u.kind == kind and u.name in old):
                self.diff.names_checked += 1
                what = f"{kind} {use.name}"
                if use.name not in new:
                    renamed = _near(use.name, sorted(set(new) - set(old)))
                    hint = f"; it adds `{renamed}`" if renamed else ""
                    self.diff.findings.append(
                        Finding(
                            use.where,
                            what,
                            "removed",
                            f"LiteLLM {self.new.version} has no {kind} `{use.name}`" + hint,
                            True,
                        )
                    )
                elif kind == "callback" and classes_old.get(use.name) != classes_new.get(use.name):
                    detail = f"implemented by {classes_old.get(use.name) or 'no class'} -> " + (
                        classes_new.get(use.name) or "no class"
                    )
                    self.diff.findings.append(Finding(use.where, what, "class changed", detail, False))

    def secret_names(self, usage: Usage) -> None:
        old, new = self.old.rule(), self.new.rule()
        for part in RULE_LISTS:
            added = sorted(set(new.get(part, [])) - set(old.get(part, [])))
            gone = sorted(set(old.get(part, [])) - set(new.get(part, [])))
            if added or gone:
                self.diff.rule_changes.append(
                    f"{part}: " + ", ".join([*(f"+{s}" for s in added), *(f"-{s}" for s in gone)])
                )
        for use in usage.secret_names:
            before, after = sensitive(use.name, old), sensitive(use.name, new)
            if before == after:
                continue
            what = f"name {use.name}"
            if after:
                literal = not (isinstance(use.value, str) and self.policies.env_ref.match(use.value))
                detail = "LiteLLM's sensitive-key rule now covers it: its value must be a reference os.environ/NAME"
                self.diff.findings.append(Finding(use.where, what, "now secret", detail, literal))
            else:
                detail = "LiteLLM's sensitive-key rule no longer covers it"
                self.diff.findings.append(Finding(use.where, what, "no longer secret", detail, False))

    def sections(self, usage: Usage) -> None:
        for section in usage.sections():
            old, new = self.old.properties(section), self.new.properties(section)
            added = sorted(set(new) - set(old))
            if added:
                self.diff.new_keys[section] = added
            now = sorted(self.new.secret_params(section) - self.old.secret_params(section))
            gone = sorted(self.old.secret_params(section) - self.new.secret_params(section))
            if now or gone:
                self.diff.secret_params[section] = (now, gone)


def surface_diff(old_dir: Path, new_dir: Path, usage: Usage, policies: Policies) -> SurfaceDiff:
    """The changes from `old_dir`'s surface to `new_dir`'s that touch `usage`; `policies`: the bundle's,
    checked against `new_dir` (Policies(tree, surface_dir=new_dir))."""
    differ = _Differ(Surface(old_dir), Surface(new_dir), policies)
    for use in usage.keys:
        differ.key(use)
    differ.names(usage)
    differ.secret_names(usage)
    differ.sections(usage)
    differ.diff.findings.sort(key=_order)
    return differ.diff


def _order(finding: Finding) -> tuple[bool, bool, str, int, str]:
    """Breaks first, the sources' places before the rendered ones, then by file and line."""
    file, _, line = finding.where.rpartition(":")
    return (not finding.breaks, finding.rendered, file, int(line) if line.isdigit() else 0, finding.what)
