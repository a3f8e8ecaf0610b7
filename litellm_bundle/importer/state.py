"""One import's state: the config as read (its YAML document), the problems found in it, where each of
its parts went in the sources, the references declared and the changes made (the import report).

Reading: `${VAR}` (which LiteLLM never expands) and the config against LiteLLM's types (the import
schema, extended by every top-level section the pinned version reads: policies/litellm/<version>/
config.schema.json). Unknown keys where LiteLLM ignores them are errors, or with --drop-ignored dropped
and listed. Then every value the sources hold as a reference: references stay (declared), literal
secrets and documentation placeholders become declared references, and references the bundle cannot
declare (not upper-case) are renamed; each change listed."""

from __future__ import annotations

import copy
import difflib
import json
import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing.exceptions import Unresolvable

from litellm_bundle.checks.litellm_settings import sensitive
from litellm_bundle.checks.secret_scan import matches
from litellm_bundle.core.facts import MERGED_SECTIONS
from litellm_bundle.core.problems import Location, PathKey, Problem
from litellm_bundle.core.yamlio import YamlDocument, load_yaml
from litellm_bundle.importer.report import CONFIG, DROP, SET, Change, ImportReport, at
from litellm_bundle.model.configset import as_list, as_map
from litellm_bundle.policy.policies import Policies, PolicyError
from litellm_bundle.policy.schemas import check, dotted, show

TYPO_CUTOFF = 0.85  # an unnamed litellm_params key this close to a named one is a typo, not a provider parameter
INTERPOLATION = re.compile(r"\$\{[^}]*\}|\$[A-Z_][A-Z0-9_]*")
IMPORT_SCHEMA = "litellm-config.schema.json"
SURFACE_SECTIONS = "config.schema.json"  # every top-level section a LiteLLM version reads (its `properties`)
ADJUSTMENTS = "import-adjustments.yaml"
# the sections the import takes apart; every other top-level section goes to config/litellm.yaml as it is
CLASSIC = ("model_list", *MERGED_SECTIONS)


def slug(text: str) -> str:
    """A reference name made of `text` (upper-case letters, digits and _)."""
    name = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").upper() or "VALUE"
    return name if name[0].isalpha() else f"M_{name}"


def policy_data(policies: Policies, name: str) -> dict[str, Any]:
    """A data file of policies/ the import reads (import-environments.yaml, import-adjustments.yaml)."""
    path = policies.tree.policies_dir / name
    doc, problems = load_yaml(path, policies.tree.shown(path))
    if doc is None or problems or not isinstance(doc.data, dict):
        raise PolicyError(f"{name} cannot be read: {'; '.join(str(p) for p in problems) or 'not a mapping'}")
    return doc.data


def surface_sections(policies: Policies) -> dict[str, Any]:
    """Top-level section -> its schema, of every section the pinned LiteLLM reads (config.schema.json's
    `properties`; none when the surface has no such file)."""
    schema = policies.litellm_schemas.get(SURFACE_SECTIONS) or {}
    properties = schema.get("properties")
    return dict(properties) if isinstance(properties, dict) else {}


def import_validator(policies: Policies) -> Draft202012Validator:
    """The import schema, with every top-level section of the surface it does not name itself."""
    schema = copy.deepcopy(policies.schemas[IMPORT_SCHEMA])
    surface = policies.litellm_schemas.get(SURFACE_SECTIONS) or {}
    extra = [name for name in surface_sections(policies) if name not in schema["properties"]]
    for name in extra:
        ref = surface.get("$id")
        schema["properties"][name] = (
            {"$ref": f"{ref}#/properties/{name}"} if ref else copy.deepcopy(surface["properties"][name])
        )
    if extra:
        schema["x-allowed"] = f"{schema.get('x-allowed', '')} and the sections LiteLLM reads ({', '.join(extra)})"
    return Draft202012Validator(schema, registry=policies.registry)


def _unknown_keys(validator: Draft202012Validator, errors: list[ValidationError]) -> set[PathKey]:
    """The keys a schema refused because it does not name them (additional or unevaluated properties)."""
    out: set[PathKey] = set()
    pending = list(errors)
    while pending:
        error = pending.pop()
        pending += list(error.context or [])
        schema, instance = error.schema, error.instance
        if not isinstance(schema, dict) or not isinstance(instance, dict):
            continue
        path = tuple(error.absolute_path)
        if error.validator == "additionalProperties":
            named = schema.get("properties") or {}
            patterns = list(schema.get("patternProperties") or {})
            out |= {
                path + (key,)
                for key in instance
                if key not in named and not any(re.search(p, str(key)) for p in patterns)
            }
        elif error.validator == "unevaluatedProperties":
            alone = validator.evolve(schema=schema)
            out |= {
                path + (key,)
                for key, value in instance.items()
                if any(e.validator == "unevaluatedProperties" for e in alone.iter_errors({key: value}))
            }
    return out


Secrets = tuple[tuple[PathKey, frozenset[str]], ...]


def _types(schema: Any, resolver: Any, depth: int = 0) -> set[str]:
    """The JSON types a schema allows, through $ref, anyOf and oneOf (null aside)."""
    if not isinstance(schema, dict) or depth > 8:
        return set()
    if "$ref" in schema:
        try:
            resolved = resolver.lookup(schema["$ref"])
        except Unresolvable:  # an unresolvable reference says nothing about the type
            return set()
        return _types(resolved.contents, resolved.resolver, depth + 1)
    kind = schema.get("type")
    found = set(kind if isinstance(kind, list) else [kind] if isinstance(kind, str) else [])
    for key in ("anyOf", "oneOf"):
        for sub in schema.get(key) or []:
            found |= _types(sub, resolver, depth + 1)
    return found - {"null"}


def _secret_at(path: PathKey, secrets: Secrets) -> bool:
    """Whether the value at `path` (a section's) is a secret-bearing parameter: its key is listed for the
    path it sits at inside the section, list positions and the entry's own name (a mapping of entries)
    aside."""
    if len(path) < 2:
        return False
    inside = tuple(p for p in path[1:-1] if not isinstance(p, int))
    return any(path[-1] in keys and where in (inside, inside[1:]) for where, keys in secrets)


def _ignorable(parent: PathKey, patterns: list[str]) -> bool:
    shown = ".".join("*" if isinstance(p, int) else str(p) for p in parent)
    return shown in patterns


@dataclass
class ImportState:
    policies: Policies
    doc: YamlDocument
    env: str
    report: ImportReport
    drop_ignored: bool = False
    problems: list[Problem] = field(default_factory=list)
    declared: dict[str, dict[str, Any]] = field(default_factory=dict)  # NAME -> {where, secret, was}
    literal: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)  # literal secret value -> NAME
    places: list[tuple[PathKey, str, PathKey]] = field(default_factory=list)  # x path -> (file, path)
    said: dict[tuple[str, PathKey], str] = field(default_factory=dict)  # comments the import adds
    environment: dict[str, Any] = field(default_factory=dict)  # environment keys a config.yaml cannot hold
    dropped: set[tuple[str, str, str]] = field(default_factory=set)  # (env, section, key) a policy dropped

    @cached_property
    def adjustments(self) -> dict[str, Any]:
        """policies/import-adjustments.yaml: placeholders, provider endpoints, owned variables, ..."""
        return policy_data(self.policies, ADJUSTMENTS)

    # --- problems, places and changes ------------------------------------------------------

    def problem(self, path: PathKey, message: str, value: bool = False, check: str = "import-unsupported") -> None:
        where = self.doc.locate_value(path) if value else self.doc.locate(path)
        self.problems.append(Problem(where, message, check=check, subject=(self.doc.file, path)))

    def place(self, source: PathKey, file: str, dest: PathKey) -> None:
        self.places.append((tuple(source), file, tuple(dest)))

    def source_of(self, file: str, dest: PathKey) -> PathKey | None:
        """The x path a generated place came from (the longest placement that covers it)."""
        best: tuple[int, PathKey] | None = None
        for source, placed_file, prefix in self.places:
            if placed_file == file and tuple(dest[: len(prefix)]) == prefix and (best is None or len(prefix) > best[0]):
                best = (len(prefix), source + tuple(dest[len(prefix) :]))
        return best[1] if best else None

    def change(
        self,
        op: str,
        path: PathKey,
        value: Any,
        reason: str,
        kind: str,
        *,
        envs: tuple[str, ...] | None = None,
        space: str = CONFIG,
        shown: str | None = None,
        where: Location | None = None,
    ) -> None:
        """A change to the config (listed in the report), located at its key in the config."""
        self.report.add(
            Change(
                op,
                tuple(path),
                copy.deepcopy(value),
                reason,
                where or self.doc.locate(path),
                kind,
                envs or self.policies.environments,
                space,
                shown,
            )
        )

    # --- references ----------------------------------------------------------------------------

    def reference(self, name: str, where: str, secret: bool = True, was: str | None = None) -> str:
        where = re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", where)
        entry = self.declared.setdefault(name, {"where": [], "secret": False, "was": []})
        if where not in entry["where"]:
            entry["where"].append(where)
        if was and was not in entry["was"]:
            entry["was"].append(was)
        entry["secret"] = entry["secret"] or secret
        return f"os.environ/{name}"

    def _placeholder(self, key: str, value: str) -> str | None:
        """What documentation placeholder `value` is, at an endpoint-like key (import-adjustments.yaml)."""
        words = set(re.split(r"[_.\-]", key.lower()))
        if not words & set(self.adjustments.get("placeholder_keys", [])):
            return None
        for entry in self.adjustments.get("placeholders", []):
            if re.search(entry["pattern"], value):
                return str(entry["description"])
        return None

    def secure(self, value: Any, path: PathKey, name: str, secret: bool) -> Any:
        """A value as the sources hold it: a reference stays one (declared; renamed when the bundle
        cannot declare its name), a literal secret or a placeholder becomes a declared reference."""
        where = dotted(path)
        if isinstance(value, str) and (match := self.policies.env_ref.match(value)):
            return self.reference(match.group(1), where, secret)
        if isinstance(value, str) and value.startswith("os.environ/"):
            renamed = slug(value[len("os.environ/") :])
            self.change(
                SET,
                path,
                f"os.environ/{renamed}",
                f"the bundle declares references by upper-case names (config/secrets.yaml): the proxy reads "
                f"{renamed} instead of {value[len('os.environ/') :]}; set it where the reference comes from",
                "placeholder",
                shown=value,
            )
            return self.reference(renamed, where, secret)
        key = str(path[-1]) if path else ""
        placeholder = self._placeholder(key, value) if isinstance(value, str) and not secret else None
        if placeholder is not None:
            reference = self.reference(slug(name), where, False, was=str(value))
            self.change(
                SET,
                path,
                reference,
                f"{show(value)} is {placeholder}: a declared reference now, set {slug(name)} to the real value",
                "placeholder",
                shown=show(value),
            )
            return reference
        detected = isinstance(value, str) and bool(matches(value, self.policies.compiled_detectors))
        if not (secret or detected) or value in (None, "", True, False):
            return value
        if not isinstance(value, str):
            self.problem(
                path,
                f"{where} holds a secret written inline ({type(value).__name__}); put it in a secret and write "
                "os.environ/NAME",
                value=True,
            )
            return value
        if value not in self.values:
            base, number = slug(name), 1
            candidate = base
            while candidate in self.declared:
                number += 1
                candidate = f"{base}_{number}"
            self.values[value] = candidate
            self.literal[candidate] = where
        reference = self.reference(self.values[value], where, True)
        self.change(
            SET,
            path,
            reference,
            "a literal secret: the bundle holds secrets as declared references (config/secrets.yaml); set "
            f"{self.values[value]} where the reference comes from",
            "secret",
        )
        return reference

    def secure_map(
        self,
        data: Any,
        path: PathKey,
        prefix: str,
        secret_keys: list[str] | None,
        rule: bool = False,
        names: dict[str, str] | None = None,
    ) -> Any:
        """Every value of a mapping secured: keys named secret (or, with `rule`, sensitive by
        LiteLLM's rule) by their place, the rest by the detectors. A new reference is named
        PREFIX_KEY, or as `names` says."""
        if not isinstance(data, dict):
            return self.scan(data, path, prefix)
        out = {}
        named = self.policies.litellm_surface["sensitive_key_rule"]
        for key, value in data.items():
            secret = key in (secret_keys or []) or (rule and sensitive(str(key), named)) or key in (names or {})
            new_name = (names or {}).get(key) or (f"{prefix}_{key}" if prefix else str(key))
            if isinstance(value, (dict, list)) and not secret:
                out[key] = self.scan(value, path + (key,), new_name)
            else:
                out[key] = self.secure(value, path + (key,), new_name, secret)
        return out

    def scan(self, data: Any, path: PathKey, name: str | None = None, secrets: Secrets = ()) -> Any:
        """References declared, literal secrets and placeholders replaced anywhere below `path`; `secrets`:
        where a section's secret-bearing parameters are (_section_secrets)."""
        name = name if name is not None else "_".join(str(p) for p in path)
        if isinstance(data, dict):
            return {k: self.scan(v, path + (k,), f"{name}_{k}", secrets) for k, v in data.items()}
        if isinstance(data, list):
            return [self.scan(v, path + (i,), name, secrets) for i, v in enumerate(data)]
        return self.secure(data, path, name, _secret_at(path, secrets))

    def _section_secrets(self, section: str) -> Secrets:
        """(path inside an entry of the section, its secret-bearing keys) from the surface's secret
        parameters (`mcp_servers`, `search_tools.litellm_params`, ...)."""
        table = as_map(self.policies.litellm_surface["secret_params"])
        found = [(tuple(k.split(".")[1:]), frozenset(v)) for k, v in table.items() if k.split(".")[0] == section]
        return tuple(found)

    # --- reading the config ----------------------------------------------------------------------

    def secured(self, x: dict[str, Any]) -> dict[str, Any]:
        """The config with references declared and literal secrets and placeholders made references."""
        params = self.policies.litellm_surface["secret_params"]
        out: dict[str, Any] = {}
        item_params = {
            "model_list": ("model_name", "litellm_params", "litellm_params"),
            "credential_list": ("credential_name", "credential_values", "credential_values"),
            "guardrails": ("guardrail_name", "litellm_params", "guardrail_litellm_params"),
        }
        for key, value in x.items():
            path: PathKey = (key,)
            if key in item_params and isinstance(value, list):
                label, body, kind = item_params[key]
                out[key] = []
                for i, entry in enumerate(value):
                    if isinstance(entry, dict):
                        name = str(entry.get(label, f"{key} {i}"))
                        entry = {
                            k: (
                                self.secure_map(v, path + (i, k), name, params.get(kind))
                                if k == body
                                else self.scan(v, path + (i, k), f"{name}_{k}")
                            )
                            for k, v in entry.items()
                        }
                    out[key].append(entry)
            elif key == "general_settings" and isinstance(value, dict):
                out[key] = self.secure_map(
                    value,
                    path,
                    "",
                    params.get("general_settings"),
                    names={"master_key": "LITELLM_MASTER_KEY", "database_url": "DATABASE_URL"},
                )
            elif key == "router_settings" and isinstance(value, dict):
                out[key] = self.secure_map(
                    value, path, "", params.get("router_settings"), names={"redis_password": "REDIS_PASSWORD"}
                )
            elif key == "litellm_settings" and isinstance(value, dict):
                settings = self.secure_map(
                    {k: v for k, v in value.items() if k != "cache_params"}, path, "", params.get("litellm_settings")
                )
                if "cache_params" in value:
                    redis = as_map(value["cache_params"]).get("type", "redis") == "redis"
                    settings["cache_params"] = self.secure_map(
                        value["cache_params"],
                        path + ("cache_params",),
                        "CACHE",
                        params.get("cache_params"),
                        names={"password": "REDIS_PASSWORD"} if redis else None,
                    )
                out[key] = {k: settings[k] for k in value}
            elif key == "environment_variables" and isinstance(value, dict):
                out[key] = {}
                for name, item in value.items():
                    secret = sensitive(str(name), self.policies.litellm_surface["sensitive_key_rule"])
                    out[key][name] = self.secure(item, path + (name,), str(name), secret)
            elif key == "callback_settings" and isinstance(value, dict):
                out[key] = {
                    cb: self.secure_map(body, path + (cb,), str(cb), None, rule=True) for cb, body in value.items()
                }
            else:  # every other section: where the surface names its secrets, the rest by the detectors
                out[key] = self.scan(value, path, None, self._section_secrets(str(key)))
        return out

    def check_text(self, x: Any, path: PathKey = ()) -> None:
        """Syntax LiteLLM does not support: ${VAR} (it only resolves whole values os.environ/NAME)."""
        if isinstance(x, dict):
            for key, value in x.items():
                self.check_text(value, path + (key,))
        elif isinstance(x, list):
            for index, value in enumerate(x):
                self.check_text(value, path + (index,))
        elif isinstance(x, str) and (found := INTERPOLATION.search(x)):
            name = found.group(0).strip("${}")
            self.problem(
                path,
                f"{found.group(0)} is not expanded by LiteLLM, which reads the text as written; for a value from the "
                f"environment write the whole value as os.environ/{name}",
                value=True,
            )

    def _ignored(self, x: dict[str, Any]) -> list[tuple[Problem, PathKey]]:
        """The schema's problems with the config, each with the unknown key it is about where LiteLLM
        ignores unknown keys (else ())."""
        validator = import_validator(self.policies)
        unknown = _unknown_keys(validator, list(validator.iter_errors(x)))
        ignorable = [str(p) for p in as_list(self.adjustments.get("ignores_unknown_keys"))]
        out: list[tuple[Problem, PathKey]] = []
        for problem in check(validator, x, self.doc, check="import-schema"):
            path = problem.subject[1] if problem.subject else ()
            ignored = path in unknown and _ignorable(path[:-1], ignorable)
            out.append((problem, path if ignored else ()))
        return out

    def drop_ignored_keys(self, x: dict[str, Any]) -> None:
        """With --drop-ignored: the unknown keys LiteLLM ignores dropped from the config (in place), listed."""
        if not self.drop_ignored:
            return
        for problem, path in self._ignored(x):
            if path:
                parent = at(x, path[:-1])
                value = parent.pop(path[-1])
                shown = None if self._secret_looking(str(path[-1]), value) else show(value)
                self.change(DROP, path, None, f"LiteLLM ignores it: {problem.message}", "ignored", shown=shown)

    def _secret_looking(self, key: str, value: Any) -> bool:
        """Whether a value the report would show may be a secret (by LiteLLM's rule for its key, or the
        detectors anywhere in it): then the report does not show it."""
        rule = self.policies.litellm_surface["sensitive_key_rule"]
        text = json.dumps(value, default=str)
        return sensitive(key, rule) or bool(matches(text, self.policies.compiled_detectors))

    def check_shape(self, x: dict[str, Any]) -> None:
        """The config against LiteLLM's types (after its secrets became references)."""
        for problem, path in self._ignored(x):
            if path:
                problem = replace(
                    problem,
                    message=f"{problem.message}; LiteLLM ignores it (import --drop-ignored drops it and lists it)",
                )
            self.problems.append(problem)
        known = self.litellm_params_keys()
        for i, entry in enumerate(as_list(x.get("model_list"))):
            for key in as_map(as_map(entry).get("litellm_params")):
                if key in known:
                    continue
                hint = difflib.get_close_matches(key, known, n=1, cutoff=TYPO_CUTOFF)
                if hint:
                    self.problem(
                        ("model_list", i, "litellm_params", key),
                        f"unknown key '{key}' in model_list[{i}].litellm_params; did you mean '{hint[0]}'? (LiteLLM "
                        "would pass it to the provider as a request parameter)",
                        check="import-schema",
                    )

    def section_kind(self, name: str) -> str | None:
        """ "array" or "object": what a top-level section LiteLLM reads holds (None: not a section it reads)."""
        surface = self.policies.litellm_schemas.get(SURFACE_SECTIONS) or {}
        own = self.policies.schemas[IMPORT_SCHEMA]
        for schema, base in (
            (surface_sections(self.policies).get(name), surface.get("$id")),
            (own["properties"].get(name), own["$id"]),
        ):
            kinds = _types(schema, self.policies.registry.resolver(base_uri=str(base or "")))
            if kinds:
                return "array" if "array" in kinds else "object"
        return None

    def litellm_params_keys(self) -> list[str]:
        return sorted(self.policies.litellm_schemas["litellm_params.schema.json"]["properties"])
