"""`python -m litellm_bundle import CONFIG.yaml --into DIR [--env ENV]`: an existing LiteLLM
config.yaml as bundle sources (a complete config directory).

The config becomes environment ENV (default dev); the other environments start as copies of it
with what their policies need (policies/import-environments.yaml). Literal secrets become declared
references; comments move with their keys. The result is validated with the bundle's own checks
and rendered, and the rendering must be the same configuration as the original (roundtrip.py):
anything that cannot be imported is a problem located in CONFIG.yaml (an `ImportResult` without sources:
nothing can be written).
docs/litellm-surface.md ("Import") says where each part of a LiteLLM config goes."""

from __future__ import annotations

import copy
import difflib
import re
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from litellm_bundle.checks import validate
from litellm_bundle.checks.litellm_settings import sensitive
from litellm_bundle.checks.secret_scan import matches
from litellm_bundle.core.facts import DATABASE_IMAGE_REPOSITORY, FALLBACK_KINDS, HOOKS_CALLBACK, IMAGE_REPOSITORY
from litellm_bundle.core.problems import Location, PathKey, Problem, Result, sort_key
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.core.yamlemit import Comment, comments_of, emit
from litellm_bundle.core.yamlio import YamlDocument, dump_yaml, load_yaml, parse_yaml, read_source
from litellm_bundle.importer import roundtrip
from litellm_bundle.model.configset import as_list, as_map
from litellm_bundle.model.effective import effective_config
from litellm_bundle.policy import registry
from litellm_bundle.policy.policies import Policies
from litellm_bundle.policy.schemas import check
from litellm_bundle.render.environment import DEPLOYMENT_KEYS, litellm_config

ROUTING_KEYS = {
    "routing_strategy": "strategy",
    "num_retries": "num_retries",
    "timeout": "timeout",
    "allowed_fails": "allowed_fails",
    "cooldown_time": "cooldown_time",
}
REDIS_KEYS = {"redis_host": "host", "redis_port": "port", "redis_password": "password"}
TYPO_CUTOFF = 0.85  # an unnamed litellm_params key this close to a named one is a typo, not a provider parameter
INTERPOLATION = re.compile(r"\$\{[^}]*\}|\$[A-Z_][A-Z0-9_]*")
IMPORT_SCHEMA = "litellm-config.schema.json"
BASELINE = "import-environments.yaml"


class ImportFailed(Exception):
    """The config cannot be imported (build stops at the first stage with problems); carries them."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        super().__init__(f"{len(self.problems)} problem(s)")


@dataclass
class Imported:
    files: dict[str, str]  # path inside the config directory -> text
    env: str
    references: dict[str, str]  # declared NAME -> where it is used
    literal: dict[str, str]  # NAME -> the x path of a literal secret it replaced
    original: dict[str, Any]  # the original config with its literal secrets as references


@dataclass
class ImportResult(Result):
    """The imported sources (None when a problem keeps the config from being imported: nothing may be
    written), with every problem located in the imported config.yaml."""

    imported: Imported | None = None


def _slug(text: str) -> str:
    name = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").upper() or "VALUE"
    return name if name[0].isalpha() else f"M_{name}"


def _id(text: str) -> str:
    return (re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._") or "deployment")[:60]


@dataclass
class _Import:
    policies: Policies
    doc: YamlDocument
    env: str
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    declared: dict[str, dict[str, Any]] = field(default_factory=dict)  # NAME -> {description, secret}
    literal: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)  # literal secret value -> NAME
    places: list[tuple[PathKey, str, PathKey]] = field(default_factory=list)  # x path -> (file, path)
    said: dict[tuple[str, PathKey], str] = field(default_factory=dict)  # comments the import adds: (file, path) -> text

    # --- problems and places ---------------------------------------------------------------

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

    # --- secrets -----------------------------------------------------------------------------

    def reference(self, name: str, where: str, secret: bool = True) -> str:
        where = re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", where)
        entry = self.declared.setdefault(name, {"where": [], "secret": False})
        if where not in entry["where"]:
            entry["where"].append(where)
        entry["secret"] = entry["secret"] or secret
        return f"os.environ/{name}"

    def secure(self, value: Any, path: PathKey, name: str, secret: bool) -> Any:
        """A value as the sources hold it: a reference stays one (declared), a literal secret
        becomes a declared reference, anything else stays."""
        where = ".".join(str(p) for p in path)
        if isinstance(value, str) and (match := self.policies.env_ref.match(value)):
            return self.reference(match.group(1), where, secret)
        if isinstance(value, str) and value.startswith("os.environ/"):
            self.problem(
                path,
                f"reference {value} is not one the bundle can declare: names are upper-case letters, digits and _ "
                f"(e.g. os.environ/{_slug(value[11:])})",
                value=True,
            )
            return value
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
            base, number = _slug(name), 1
            candidate = base
            while candidate in self.declared:
                number += 1
                candidate = f"{base}_{number}"
            self.values[value] = candidate
            self.literal[candidate] = where
        return self.reference(self.values[value], where, True)

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
            return self.scan(data, path)
        out = {}
        named = self.policies.litellm_surface["sensitive_key_rule"]
        for key, value in data.items():
            secret = key in (secret_keys or []) or (rule and sensitive(str(key), named)) or key in (names or {})
            if isinstance(value, (dict, list)) and not secret:
                out[key] = self.scan(value, path + (key,))
            else:
                out[key] = self.secure(
                    value, path + (key,), (names or {}).get(key) or (f"{prefix}_{key}" if prefix else str(key)), secret
                )
        return out

    def scan(self, data: Any, path: PathKey) -> Any:
        """References declared and literal secrets replaced anywhere below `path` (detectors only)."""
        if isinstance(data, dict):
            return {k: self.scan(v, path + (k,)) for k, v in data.items()}
        if isinstance(data, list):
            return [self.scan(v, path + (i,)) for i, v in enumerate(data)]
        return self.secure(data, path, "_".join(str(p) for p in path), False)

    # --- the config ----------------------------------------------------------------------------

    def secured(self, x: dict[str, Any]) -> dict[str, Any]:
        """The original config with references declared and literal secrets made references."""
        params = self.policies.litellm_surface["secret_params"]
        out: dict[str, Any] = {}
        for key, value in x.items():
            path: PathKey = (key,)
            if key == "model_list":
                out[key] = []
                for i, entry in enumerate(as_list(value)):
                    entry = dict(as_map(entry)) if isinstance(entry, dict) else entry
                    if isinstance(entry, dict):
                        group = str(entry.get("model_name", f"model {i}"))
                        entry["litellm_params"] = self.secure_map(
                            entry.get("litellm_params"),
                            path + (i, "litellm_params"),
                            group,
                            params.get("litellm_params"),
                        )
                        entry = {
                            k: (v if k == "litellm_params" else self.scan(v, path + (i, k))) for k, v in entry.items()
                        }
                    out[key].append(entry)
            elif key == "credential_list":
                out[key] = []
                for i, item in enumerate(as_list(value)):
                    item = dict(item) if isinstance(item, dict) else item
                    if isinstance(item, dict):
                        name = str(item.get("credential_name", f"credential {i}"))
                        item["credential_values"] = self.secure_map(
                            item.get("credential_values"),
                            path + (i, "credential_values"),
                            name,
                            params.get("credential_values"),
                        )
                        item = {
                            k: (v if k == "credential_values" else self.scan(v, path + (i, k))) for k, v in item.items()
                        }
                    out[key].append(item)
            elif key == "guardrails":
                out[key] = []
                for i, item in enumerate(as_list(value)):
                    item = dict(item) if isinstance(item, dict) else item
                    if isinstance(item, dict):
                        name = str(item.get("guardrail_name", f"guardrail {i}"))
                        item["litellm_params"] = self.secure_map(
                            item.get("litellm_params"),
                            path + (i, "litellm_params"),
                            name,
                            params.get("guardrail_litellm_params"),
                        )
                        item = {
                            k: (v if k == "litellm_params" else self.scan(v, path + (i, k))) for k, v in item.items()
                        }
                    out[key].append(item)
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
            else:
                out[key] = self.scan(value, path)
        return out

    def check_text(self, x: Any, path: PathKey = ()) -> None:
        """Syntax LiteLLM does not support: ${VAR} (it only resolves whole values os.environ/NAME)."""
        if isinstance(x, dict):
            for key, value in x.items():
                self.check_text(value, path + (key,))
        elif isinstance(x, list):
            for index, value in enumerate(x):
                self.check_text(value, path + (index,))
        elif isinstance(x, str) and INTERPOLATION.search(x):
            found = INTERPOLATION.search(x).group(0)  # type: ignore[union-attr]
            name = found.strip("${}")
            self.problem(
                path,
                f"{found} is not expanded by LiteLLM, which reads the text as written; for a value from the "
                f"environment write the whole value as os.environ/{name}",
                value=True,
            )

    def check_shape(self, x: dict[str, Any]) -> None:
        """The config against LiteLLM's types (policies/schemas/litellm-config.schema.json)."""
        validator = self.policies.validator(self.policies.source_schema(IMPORT_SCHEMA))
        self.problems += check(validator, x, self.doc, check="import-schema")
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

    def litellm_params_keys(self) -> list[str]:
        return sorted(self.policies.litellm_schemas["litellm_params.schema.json"]["properties"])


# --- building the sources ------------------------------------------------------------------------


def _split_model(model: Any, providers: set[str]) -> dict[str, Any]:
    """provider and model of a LiteLLM model string (no provider when its prefix is not one)."""
    if isinstance(model, str) and "/" in model and model.split("/", 1)[0] in providers:
        provider, rest = model.split("/", 1)
        return {"provider": provider, "model": rest}
    return {"model": model}


def _models(imp: _Import, x: dict[str, Any]) -> dict[str, Any]:
    providers = set(imp.policies.litellm_schemas["names.schema.json"]["$defs"]["provider"]["enum"])
    known = set(imp.litellm_params_keys())
    groups: dict[str, dict[str, Any]] = {}
    ids: set[str] = set()
    for i, entry in enumerate(as_list(x.get("model_list"))):
        entry = as_map(entry)
        name = str(entry.get("model_name"))
        group = groups.setdefault(name, {"deployments": []})
        index = len(group["deployments"])
        dest: PathKey = ("model_groups", name, "deployments", index)
        params = dict(as_map(entry.get("litellm_params")))
        info = dict(as_map(entry.get("model_info")))
        dep_id = info.pop("id", None)
        if dep_id is None:
            base = _id(f"{name}-{index + 1}")
            dep_id, number = base, 1
            while dep_id in ids:
                number += 1
                dep_id = f"{base}-{number}"
        ids.add(str(dep_id))
        deployment: dict[str, Any] = {"id": dep_id}
        imp.place(("model_list", i), "models.yaml", dest)
        imp.place(("model_list", i, "model_info", "id"), "models.yaml", dest + ("id",))
        split = _split_model(params.pop("model", None), providers)
        deployment.update(split)
        imp.place(
            ("model_list", i, "litellm_params", "model"),
            "models.yaml",
            dest + (("provider",) if "provider" in split else ("model",)),
        )
        passthrough = {}
        for key, value in params.items():
            if key in known and key not in DEPLOYMENT_KEYS:
                deployment[key] = value
                imp.place(("model_list", i, "litellm_params", key), "models.yaml", dest + (key,))
            else:
                passthrough[key] = value
                imp.place(("model_list", i, "litellm_params", key), "models.yaml", dest + ("provider_params", key))
        if passthrough:
            deployment["provider_params"] = passthrough
            imp.notes.append(
                f"model_list[{i}] ({name}): {', '.join(passthrough)} moved to provider_params (provider parameters "
                "LiteLLM's types do not name)"
            )
        group["deployments"].append((deployment, info, i))
    out: dict[str, Any] = {}
    for name, group in groups.items():
        deployments = group["deployments"]
        modes = {str(info.get("mode")) for _, info, _ in deployments if "mode" in info}
        with_mode = [i for _, info, i in deployments if "mode" in info]
        body: dict[str, Any] = {}
        if len(modes) > 1 or (with_mode and len(with_mode) != len(deployments)):
            first = with_mode[0] if with_mode else deployments[0][2]
            imp.problem(
                ("model_list", first, "model_info", "mode"),
                f"the deployments of model group '{name}' state different modes "
                f"({', '.join(sorted(modes | {'none'} if len(with_mode) != len(deployments) else modes))}); a group "
                "serves one kind of calls: give every deployment the same model_info.mode",
            )
        elif modes:
            body["mode"] = modes.pop()
            imp.place(("model_list", with_mode[0], "model_info", "mode"), "models.yaml", ("model_groups", name, "mode"))
        windows = [info.get("max_input_tokens") for _, info, _ in deployments]
        if windows and all(w is not None for w in windows) and len(set(map(str, windows))) == 1:
            body["max_input_tokens"] = windows[0]
            imp.place(
                ("model_list", deployments[0][2], "model_info", "max_input_tokens"),
                "models.yaml",
                ("model_groups", name, "max_input_tokens"),
            )
        body["deployments"] = []
        for index, (deployment, info, i) in enumerate(deployments):
            info.pop("mode", None)
            if "max_input_tokens" in body:
                info.pop("max_input_tokens", None)
            if info:
                deployment["model_info"] = info
                for key in info:
                    imp.place(
                        ("model_list", i, "model_info", key),
                        "models.yaml",
                        ("model_groups", name, "deployments", index, "model_info", key),
                    )
            body["deployments"].append(deployment)
        out[name] = body
    return {"model_groups": out}


def _routing(imp: _Import, router: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    routing: dict[str, Any] = {}
    for key, target in ROUTING_KEYS.items():
        if key in router:
            routing[target] = router.pop(key)
            imp.place(("router_settings", key), "routing.yaml", (target,))
    for kind in FALLBACK_KINDS:
        if kind not in router:
            continue
        mapping: dict[str, Any] = {}
        for index, item in enumerate(as_list(router.pop(kind))):
            for source, targets in as_map(item).items():
                if source in mapping:
                    imp.problem(
                        ("router_settings", kind, index, source),
                        f"{kind}: '{source}' is listed twice; the bundle keeps one list of fallbacks per group",
                    )
                mapping[source] = targets
                imp.place(("router_settings", kind, index, source), "routing.yaml", (kind, source))
        if mapping:
            routing[kind] = mapping
    routing.update({"labels": {}, "rules": [], "default_label": None})
    if "optional_pre_call_checks" not in router and any(d.get("rpm") or d.get("tpm") for d in _deployments(params)):
        router["optional_pre_call_checks"] = []
        imp.said[("litellm.yaml", ("router_settings", "optional_pre_call_checks"))] = (
            "as imported: LiteLLM routes by rpm/tpm without enforcing them; remove this to let the bundle enforce them"
        )
    return routing


def _deployments(models: dict[str, Any]) -> list[dict[str, Any]]:
    return [d for body in models["model_groups"].values() for d in body["deployments"]]


def _environment(
    imp: _Import,
    x: dict[str, Any],
    settings: dict[str, Any],
    general: dict[str, Any],
    router: dict[str, Any],
    groups: list[str],
) -> dict[str, Any]:
    """The imported environment's overlay: what the config says about the keys the bundle owns."""
    env: dict[str, Any] = {
        "description": "Imported from a LiteLLM config.yaml.",
        "image": {"repository": IMAGE_REPOSITORY},
        "replicas": 1,
    }
    file = f"environments/{imp.env}.yaml"
    master = general.pop("master_key", None)
    env["master_key"] = master or imp.reference("LITELLM_MASTER_KEY", "environment master_key", True)
    if master is None:
        imp.notes.append(
            "general_settings has no master_key: the bundle requires one; master_key: os.environ/LITELLM_MASTER_KEY "
            "added"
        )
    imp.place(("general_settings", "master_key"), file, ("master_key",))
    redis: dict[str, Any] = {}
    for key, target in REDIS_KEYS.items():
        if key in router:
            redis[target] = router.pop(key)
            imp.place(("router_settings", key), file, ("redis", target))
    if "redis_url" in router:
        imp.problem(
            ("router_settings", "redis_url"),
            "redis_url cannot be imported: the bundle configures Redis by host, port and password (LiteLLM's advice); "
            "write redis_host, redis_port and redis_password",
        )
    cache = settings.get("cache")
    params = as_map(settings.get("cache_params"))
    if cache is True and params.get("type", "redis") == "redis":
        extra = sorted(set(params) - {"type", "host", "port", "password", "ttl"})
        if extra:
            imp.problem(
                ("litellm_settings", "cache_params", extra[0]),
                f"cache_params.{extra[0]} cannot be imported: the environment's Redis cache takes host, port, "
                "password and ttl",
            )
        for key in ("host", "port", "password"):
            if key in params and key in redis and redis[key] != params[key]:
                imp.problem(
                    ("litellm_settings", "cache_params", key),
                    f"cache_params.{key} differs from router_settings.redis_{key}; the bundle has one Redis for the "
                    "router and the cache",
                )
            elif key in params:
                redis[key] = params[key]
                imp.place(("litellm_settings", "cache_params", key), file, ("redis", key))
        if "host" not in redis:  # LiteLLM then reads REDIS_HOST / REDIS_PORT itself
            redis["host"] = imp.reference("REDIS_HOST", "environment redis.host", False)
            redis["port"] = imp.reference("REDIS_PORT", "environment redis.port", False)
        env["cache"] = {"ttl": params["ttl"]} if "ttl" in params else {}
        imp.place(("litellm_settings", "cache"), file, ("cache",))
        imp.place(("litellm_settings", "cache_params", "ttl"), file, ("cache", "ttl"))
        settings.pop("cache", None)
        settings.pop("cache_params", None)
    elif cache is False:
        settings.pop("cache")
    if redis:
        if "port" not in redis:
            redis["port"] = 6379
        env["redis"] = redis
    database = {k: general.pop(k) for k in ("database_url", "database_connection_pool_limit") if k in general}
    if database:
        env["database"] = {"url": database.get("database_url")} if "database_url" in database else {}
        if "database_connection_pool_limit" in database:
            env["database"]["connection_pool_limit"] = database["database_connection_pool_limit"]
        env["image"]["repository"] = DATABASE_IMAGE_REPOSITORY
        imp.place(("general_settings", "database_url"), file, ("database", "url"))
        imp.place(("general_settings", "database_connection_pool_limit"), file, ("database", "connection_pool_limit"))
    callbacks = settings.get("callbacks")
    if isinstance(callbacks, list) and "prometheus" in callbacks:
        env["prometheus"] = True
        settings["callbacks"] = [c for c in callbacks if c not in ("prometheus", HOOKS_CALLBACK)]
        if "require_auth_for_metrics_endpoint" in settings:  # the environment's switch (the bundle renders it)
            env["require_auth_for_metrics_endpoint"] = settings.pop("require_auth_for_metrics_endpoint") is not False
        if not settings["callbacks"]:
            settings.pop("callbacks")
    limits: dict[str, Any] = {}
    if "request_timeout" in settings:
        limits["request_timeout"] = settings.pop("request_timeout")
        imp.place(("litellm_settings", "request_timeout"), file, ("limits", "request_timeout"))
    if "global_max_parallel_requests" in general:
        limits["max_parallel_requests"] = general.pop("global_max_parallel_requests")
        imp.place(("general_settings", "global_max_parallel_requests"), file, ("limits", "max_parallel_requests"))
    if limits:
        env["limits"] = limits
    env["model_groups"] = groups
    names = [str(g.get("guardrail_name")) for g in as_list(x.get("guardrails")) if isinstance(g, dict)]
    if names:
        env["guardrails"] = names
    return env


def _litellm(
    imp: _Import, x: dict[str, Any], settings: dict[str, Any], general: dict[str, Any], router: dict[str, Any]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for section, body in (("litellm_settings", settings), ("general_settings", general), ("router_settings", router)):
        if body:
            out[section] = body
            imp.place((section,), "litellm.yaml", (section,))
    for section in ("environment_variables", "callback_settings", "credential_list", "guardrails"):
        if section in x:
            out[section] = x[section]
            imp.place((section,), "litellm.yaml", (section,))
    return out


def _baseline(policies: Policies) -> dict[str, Any]:
    doc, problems = load_yaml(
        policies.tree.policies_dir / BASELINE, policies.tree.shown(policies.tree.policies_dir / BASELINE)
    )
    if doc is None or problems:
        raise RuntimeError(f"{BASELINE} cannot be read: {'; '.join(str(p) for p in problems)}")
    return as_map(doc.data)


def _overlays(imp: _Import, env: dict[str, Any], baseline: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every environment's overlay: the imported one, and copies of it with the baseline."""
    settings = as_map(baseline.get("environments"))
    only = set(as_list(baseline.get("bundle_only")))
    enforced = set(as_list(baseline.get("enforced")))
    out: dict[str, dict[str, Any]] = {}
    for name in imp.policies.environments:
        overlay = copy.deepcopy(env)
        for key, value in as_map(settings.get(name)).items():
            if name == imp.env and key not in only:
                continue
            if key == "guardrails":
                overlay["guardrails"] = list(dict.fromkeys([*as_list(overlay.get("guardrails")), *value]))
            elif key in enforced or key not in overlay:
                overlay[key] = copy.deepcopy(value)
        if name != imp.env:
            overlay["description"] = (
                f"Starts as a copy of {imp.env} (imported); policies/import-environments.yaml added what {name} needs."
            )
        out[name] = overlay
    return out


def _references(
    cs_refs: dict[str, dict[str, Any]], baseline: dict[str, Any], used: set[str], envs: tuple[str, ...]
) -> dict[str, Any]:
    declared = {
        **{
            k: {"where": [], "secret": v.get("secret", True), "description": v.get("description")}
            for k, v in as_map(baseline.get("references")).items()
            if k in used
        },
        **cs_refs,
    }
    out: dict[str, Any] = {}
    for name in sorted(declared):
        entry = declared[name]
        description = entry.get("description") or f"Imported: {', '.join(entry['where'])}."
        ref: dict[str, Any] = {"description": description}
        if not entry.get("secret", True):
            ref["secret"] = False
        ref["sources"] = {env: {"env": name} for env in envs}
        out[name] = ref
    return {"references": out}


def _refs_in(node: Any, pattern: re.Pattern[str]) -> set[str]:
    if isinstance(node, dict):
        return set().union(*(_refs_in(v, pattern) for v in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(_refs_in(v, pattern) for v in node)) if node else set()
    match = pattern.match(node) if isinstance(node, str) else None
    return {match.group(1)} if match else set()


def build(policies: Policies, source: Path, env: str) -> tuple[Imported, _Import]:
    """The bundle sources of a LiteLLM config; raises ImportFailed with every problem, located in it."""
    shown = policies.tree.shown(source) if source.is_absolute() else str(source)
    text, problems = read_source(source, shown)
    if text is None:
        raise ImportFailed(problems)
    doc, more = parse_yaml(text, shown)
    if doc is None or more:
        raise ImportFailed(problems + more)
    if not isinstance(doc.data, dict):
        raise ImportFailed(
            [
                Problem(
                    doc.locate(()),
                    "a LiteLLM config.yaml holds a mapping at the top level (model_list, litellm_settings, ...)",
                    check="import-schema",
                )
            ]
        )
    imp = _Import(policies, doc, env)
    imp.check_text(doc.data)
    original = imp.secured(doc.data)
    imp.check_shape(original)
    if imp.problems:
        raise ImportFailed(imp.problems)
    x = copy.deepcopy(original)
    models = _models(imp, x)
    settings = dict(as_map(x.get("litellm_settings")))
    general = dict(as_map(x.get("general_settings")))
    router = dict(as_map(x.get("router_settings")))
    routing = _routing(imp, router, models)
    env_overlay = _environment(imp, x, settings, general, router, list(models["model_groups"]))
    litellm = _litellm(imp, x, settings, general, router)
    baseline = _baseline(policies)
    overlays = _overlays(imp, env_overlay, baseline)
    hooks_guardrails = [
        g
        for g in as_list(baseline.get("guardrails"))
        if any(as_map(g).get("name") in as_list(o.get("guardrails")) for o in overlays.values())
    ]
    sources: dict[str, Any] = {
        "models": models,
        "routing": routing,
        "guardrails": {"guardrails": hooks_guardrails},
        "transforms": {"transforms": []},
        "litellm": litellm,
    }
    used = set().union(*(_refs_in(data, policies.env_ref) for data in [*sources.values(), *overlays.values()]))
    sources["secrets"] = _references(
        {k: v for k, v in imp.declared.items() if k in used}, baseline, used, policies.environments
    )
    if imp.problems:
        raise ImportFailed(imp.problems)
    header, comments = comments_of(doc)
    files = {
        f"{name}.yaml": _text(imp, f"{name}.yaml", data, comments, header if name == "litellm" else [], source.name)
        for name, data in sources.items()
    }
    for name, overlay in overlays.items():
        files[f"environments/{name}.yaml"] = _text(imp, f"environments/{name}.yaml", overlay, comments, [], source.name)
    references = {name: ", ".join(entry["where"]) for name, entry in imp.declared.items()}
    return Imported(files, env, references, dict(imp.literal), original), imp


def _text(
    imp: _Import, file: str, data: dict[str, Any], comments: dict[PathKey, Comment], header: list[str], source: str
) -> str:
    placed: dict[PathKey, Comment] = {
        path: Comment([text]) for (said_file, path), text in imp.said.items() if said_file == file
    }
    for path, comment in comments.items():
        for x_path, placed_file, dest in imp.places:
            if placed_file == file and tuple(path[: len(x_path)]) == x_path:
                placed.setdefault(dest + tuple(path[len(x_path) :]), comment)
    intro = [f"Imported from {source} by `python -m litellm_bundle import`."] + ([""] + header if header else [])
    return emit(data, placed, intro)


def _located(imp: _Import, problem: Problem, shown_dir: str) -> Problem:
    """A problem of the generated sources, located in the original config where it came from."""
    subject = problem.subject
    file = subject[0] if subject else problem.location.file
    relative = file.split(shown_dir.rstrip("/") + "/", 1)[-1] if shown_dir in file else file
    relative = relative.removeprefix("config/")
    source = imp.source_of(relative, subject[1]) if subject else None
    message = problem.message.replace("config/", "")
    if source is not None:
        where = imp.doc.locate(source)
    else:
        where = Location(imp.doc.file, 1, 1)
        message = f"{message} (in the imported {relative}:{problem.location.line})"
    scope = f"[{problem.env}] " if problem.env else ""
    return replace(problem, location=where, message=f"{scope}{message}", env=None, subject=None, because=())


def import_config(tree: BundleTree, source: Path, env: str) -> ImportResult:
    """Import, validate the result with the bundle's checks, and render it: the rendering of `env`
    must be the original configuration. Writes nothing; with errors, the result has no sources."""
    policies = Policies(tree)
    checks = registry.load()
    try:
        imported, imp = build(policies, source, env)
    except ImportFailed as exc:
        return ImportResult(sorted(checks.classified(exc.problems), key=sort_key))
    notes = [f"note: {note}" for note in imp.notes]
    with tempfile.TemporaryDirectory(prefix="litellm-import-") as tmp:
        config_dir = Path(tmp) / "config"
        write_files(config_dir, imported.files)
        checked = Policies(BundleTree.at(tree.root, config_dir=config_dir, tools_dir=tree.tools_dir))
        result = validate.run(checked)
        shown_dir = checked.tree.shown(config_dir)
        problems = [_located(imp, p, shown_dir) for p in result.problems]
        if result.errors:
            return ImportResult(problems, notes)
        rendered = litellm_config(effective_config(result.config_set, env))
    changed = roundtrip.differences(imported.original, _plain(rendered))
    if changed:
        failed = [
            Problem(
                Location(imp.doc.file, 1, 1),
                f"the import would not render the same configuration: {change}",
                check="import-roundtrip",
            )
            for change in changed
        ]
        return ImportResult(checks.classified(failed), notes)
    return ImportResult(problems, notes, imported=imported)


def _plain(data: Any) -> Any:
    parsed, _ = parse_yaml(dump_yaml(data), "rendered")
    return parsed.data if parsed else data


def write_files(config_dir: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = config_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def write(into: Path, imported: Imported) -> None:
    """The sources into `into` (which must not exist or be empty): written next to it, then renamed."""
    if into.exists() and (not into.is_dir() or any(into.iterdir())):
        raise FileExistsError(f"{into} exists and is not empty; import into a new directory")
    into.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{into.name}-", dir=into.parent))
    try:
        write_files(staging, imported.files)
        if into.exists():
            into.rmdir()
        staging.rename(into)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
