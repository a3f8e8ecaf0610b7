"""`python -m litellm_bundle import CONFIG.yaml --into DIR [--env ENV] [--drop-ignored]`: an existing
LiteLLM config.yaml as bundle sources (a complete config directory) and the import report.

The config becomes environment ENV (default dev); every environment starts as a copy of it and gets
what its own policies require (environments.py). What the bundle requires beyond LiteLLM is applied and
listed in the import report with its reason (adjust.py, state.py): literal secrets and placeholders
become declared references, a master key reference is added, ... Comments move with their keys. The
result is validated with the bundle's own checks and every environment is rendered: each rendering must
be the original config changed by exactly the changes the report lists for it (roundtrip.py). A genuine
error is a problem located in CONFIG.yaml (an `ImportResult` without sources: nothing can be written).
docs/litellm-surface.md ("Import") says where each part of a LiteLLM config goes."""

from __future__ import annotations

import copy
import re
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from litellm_bundle.checks import validate
from litellm_bundle.core.facts import (
    DATABASE_IMAGE_REPOSITORY,
    FALLBACK_KINDS,
    HOOKS_CALLBACK,
    IMAGE_REPOSITORY,
    RUST_CORE_ENV,
)
from litellm_bundle.core.problems import Location, PathKey, Problem, Result, sort_key
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.core.yamlemit import Comment, comments_of, emit
from litellm_bundle.core.yamlio import YamlDocument, dump_yaml, parse_yaml, read_source
from litellm_bundle.importer import adjust, roundtrip
from litellm_bundle.importer.environments import Fix, policy_fixes
from litellm_bundle.importer.report import DROP, ENVIRONMENT, REPORT_FILE, SET, Change, ImportReport, at
from litellm_bundle.importer.state import CLASSIC, ImportState, policy_data
from litellm_bundle.model.configset import as_list, as_map
from litellm_bundle.model.effective import effective_config
from litellm_bundle.policy import registry
from litellm_bundle.policy.policies import Policies
from litellm_bundle.policy.schemas import show
from litellm_bundle.render.environment import DEPLOYMENT_KEYS, litellm_config

ROUTING_KEYS = {
    "routing_strategy": "strategy",
    "num_retries": "num_retries",
    "timeout": "timeout",
    "allowed_fails": "allowed_fails",
    "cooldown_time": "cooldown_time",
}
REDIS_KEYS = {"redis_host": "host", "redis_port": "port", "redis_password": "password"}
BASELINE = "import-environments.yaml"
# LITELLM_RUST as LiteLLM reads it (pydantic's bool, litellm/rust_bridge/configuration.py)
RUST_SWITCH = {
    **dict.fromkeys(("1", "on", "t", "true", "y", "yes"), True),
    **dict.fromkeys(("0", "off", "f", "false", "n", "no"), False),
}
FIX_ROUNDS = 5  # a fix can make another rule apply (two replicas need Redis): check again, this often at most


class ImportFailed(Exception):
    """The config cannot be imported (build stops at the first stage with problems); carries them."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        super().__init__(f"{len(self.problems)} problem(s)")


@dataclass
class Imported:
    files: dict[str, str]  # path inside the config directory -> text (IMPORT-REPORT.md once checked)
    env: str
    references: dict[str, str]  # declared NAME -> where it is used
    literal: dict[str, str]  # NAME -> the x path of a literal secret it replaced
    original: dict[str, Any]  # the config as read
    report: ImportReport = field(kw_only=True)


@dataclass
class ImportResult(Result):
    """The imported sources (None when a problem keeps the config from being imported: nothing may be
    written), with every problem located in the imported config.yaml."""

    imported: Imported | None = None


def _id(text: str) -> str:
    return (re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._") or "deployment")[:60]


# --- building the sources ------------------------------------------------------------------------


def _split_model(model: Any, providers: set[str]) -> dict[str, Any]:
    """provider and model of a LiteLLM model string (no provider when its prefix is not one)."""
    if isinstance(model, str) and "/" in model and model.split("/", 1)[0] in providers:
        provider, rest = model.split("/", 1)
        return {"provider": provider, "model": rest}
    return {"model": model}


def _models(imp: ImportState, x: dict[str, Any]) -> dict[str, Any]:
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
            imp.report.notes.append(
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


def _routing(imp: ImportState, router: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
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
        imp.change(
            SET,
            ("router_settings", "optional_pre_call_checks"),
            [],
            "LiteLLM routes by rpm/tpm without enforcing them, the bundle enforces them unless told otherwise: "
            "this keeps LiteLLM's behaviour (remove it from litellm.yaml to enforce them)",
            "required",
        )
    return routing


def _deployments(models: dict[str, Any]) -> list[dict[str, Any]]:
    return [d for body in models["model_groups"].values() for d in body["deployments"]]


def _environment(
    imp: ImportState,
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
    env["master_key"] = general.pop("master_key")  # adjust.py adds a reference where the config has none
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
        for extra in sorted(set(params) - {"type", "host", "port", "password", "ttl"}):
            imp.change(
                DROP,
                ("litellm_settings", "cache_params", extra),
                None,
                "the environment's Redis cache (`cache`) holds the ttl only; LiteLLM's default applies now",
                "required",
                shown=show(params[extra]),
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
            switch = settings.pop("require_auth_for_metrics_endpoint")
            env["require_auth_for_metrics_endpoint"] = switch is not False
            if not isinstance(switch, bool):
                imp.problem(
                    ("litellm_settings", "require_auth_for_metrics_endpoint"),
                    f"require_auth_for_metrics_endpoint is {show(switch)}: with prometheus it is the environment's "
                    "switch, true or false",
                    value=True,
                )
        if not settings["callbacks"]:
            settings.pop("callbacks")
    _rust_core(imp, x, env, file)
    limits: dict[str, Any] = {}
    if "request_timeout" in settings:
        limits["request_timeout"] = settings.pop("request_timeout")
        imp.place(("litellm_settings", "request_timeout"), file, ("limits", "request_timeout"))
    if "global_max_parallel_requests" in general:
        limits["max_parallel_requests"] = general.pop("global_max_parallel_requests")
        imp.place(("general_settings", "global_max_parallel_requests"), file, ("limits", "max_parallel_requests"))
    if limits:
        env["limits"] = limits
    env.update(imp.environment)
    env["model_groups"] = groups
    names = list(
        dict.fromkeys(str(g.get("guardrail_name")) for g in as_list(x.get("guardrails")) if isinstance(g, dict))
    )
    if names:
        env["guardrails"] = names
    return env


def _rust_core(imp: ImportState, x: dict[str, Any], env: dict[str, Any], file: str) -> None:
    """environment_variables.LITELLM_RUST is the environment's `rust_core` (the bundle renders it back)."""
    variables = x.get("environment_variables")
    if not isinstance(variables, dict) or RUST_CORE_ENV not in variables:
        return
    path = ("environment_variables", RUST_CORE_ENV)
    value = variables.pop(RUST_CORE_ENV)
    if not variables:
        x.pop("environment_variables")
    switch = RUST_SWITCH.get(str(value).strip().lower())
    if switch is None:
        imp.problem(path, f"{RUST_CORE_ENV} {show(value)} is not a boolean LiteLLM reads (true or false)", value=True)
        return
    env["rust_core"] = switch
    imp.place(path, file, ("rust_core",))
    rendered = str(switch).lower()
    if value != rendered:
        imp.change(
            SET,
            path,
            rendered,
            f"LiteLLM reads {show(value)} as {rendered}; the bundle writes `rust_core` so",
            "required",
        )


def _litellm(
    imp: ImportState, x: dict[str, Any], settings: dict[str, Any], general: dict[str, Any], router: dict[str, Any]
) -> dict[str, Any]:
    """config/litellm.yaml: LiteLLM's own sections under LiteLLM's names, every top-level section the pinned
    LiteLLM reads beyond the classic ones included as it is."""
    out: dict[str, Any] = {}
    for section, body in (("litellm_settings", settings), ("general_settings", general), ("router_settings", router)):
        if body:
            out[section] = body
            imp.place((section,), "litellm.yaml", (section,))
    rest = [k for k in CLASSIC[4:] if k in x] + [k for k in x if k not in CLASSIC]
    for section in rest:
        out[section] = x[section]
        imp.place((section,), "litellm.yaml", (section,))
    return out


def _overlays(imp: ImportState, env: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every environment's overlay: a copy of the imported one (environments.py adds what each needs)."""
    out: dict[str, dict[str, Any]] = {}
    for name in imp.policies.environments:
        overlay = copy.deepcopy(env)
        if name != imp.env:
            overlay["description"] = (
                f"Starts as a copy of {imp.env} (imported), with what the policies of {name} require "
                "(IMPORT-REPORT.md)."
            )
        out[name] = overlay
    return out


def _apply_fix(imp: ImportState, fix: Fix, sources: dict[str, Any], overlays: dict[str, dict[str, Any]]) -> None:
    """One environment's fix in the sources, listed in the report. A LiteLLM setting dropped from one
    environment moves from config/litellm.yaml to the overlays of the environments that keep it."""
    reason = f"{fix.env}'s policy: {fix.reason}"
    overlay = overlays[fix.env]
    if fix.op == "set":
        key = str(fix.path[0])
        value = copy.deepcopy(fix.value)
        if key == "guardrails":
            value = list(dict.fromkeys([*as_list(overlay.get("guardrails")), *as_list(value)]))
        elif isinstance(value, dict) and isinstance(overlay.get(key), dict):  # e.g. image: what it adds
            value = {**overlay[key], **value}
        overlay[key] = value
        imp.change(SET, fix.path, value, reason, "policy", envs=(fix.env,), space=ENVIRONMENT, where=fix.where)
        return
    section, key = str(fix.path[0]), str(fix.path[1])
    imp.dropped.add((fix.env, section, key))
    mine = as_map(as_map(overlay.get("litellm")).get(section))
    shared = sources["litellm"].get(section)
    if key in mine:
        del mine[key]
        if not mine:
            del overlay["litellm"][section]
        if not overlay["litellm"]:
            del overlay["litellm"]
    elif isinstance(shared, dict) and key in shared:
        value = shared.pop(key)
        if not shared:
            del sources["litellm"][section]
        for other, body in overlays.items():
            if (other, section, key) not in imp.dropped:
                body.setdefault("litellm", {}).setdefault(section, {})[key] = copy.deepcopy(value)
                imp.place((section, key), f"environments/{other}.yaml", ("litellm", section, key))
    imp.change(DROP, fix.path, None, reason, "policy", envs=(fix.env,), where=imp.doc.locate(fix.path))


def _references(imp: ImportState, baseline: dict[str, Any], used: set[str]) -> dict[str, Any]:
    defaults = as_map(baseline.get("references"))
    declared = {
        **{
            k: {"where": [], "secret": v.get("secret", True), "description": v.get("description")}
            for k, v in defaults.items()
            if k in used
        },
        **{k: v for k, v in imp.declared.items() if k in used},
    }
    out: dict[str, Any] = {}
    for name in sorted(declared):
        entry = declared[name]
        description = entry.get("description") or (
            f"Imported: {', '.join(entry['where'])}"
            + (f" (was {', '.join(show(w) for w in entry['was'])})" if entry.get("was") else "")
            + "."
        )
        ref: dict[str, Any] = {"description": description}
        if not entry.get("secret", True):
            ref["secret"] = False
        ref["sources"] = {env: {"env": name} for env in imp.policies.environments}
        out[name] = ref
    return {"references": out}


def _refs_in(node: Any, pattern: re.Pattern[str]) -> set[str]:
    if isinstance(node, dict):
        return set().union(*(_refs_in(v, pattern) for v in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(_refs_in(v, pattern) for v in node)) if node else set()
    match = pattern.match(node) if isinstance(node, str) else None
    return {match.group(1)} if match else set()


def _read(policies: Policies, source: Path) -> YamlDocument:
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
    return doc


def build(policies: Policies, source: Path, env: str, drop_ignored: bool = False) -> tuple[Imported, ImportState]:
    """The bundle sources of a LiteLLM config; raises ImportFailed with every problem, located in it."""
    doc = _read(policies, source)
    report = ImportReport(doc.file, env, policies.environments)
    imp = ImportState(policies, doc, env, report, drop_ignored)
    x = copy.deepcopy(doc.data)
    adjust.normalize(imp, x)
    imp.drop_ignored_keys(x)
    imp.check_text(x)
    x = imp.secured(x)
    imp.check_shape(x)
    if imp.problems:
        raise ImportFailed(imp.problems)
    adjust.adjust(imp, x)
    if imp.problems:
        raise ImportFailed(imp.problems)
    models = _models(imp, x)
    settings = dict(as_map(x.get("litellm_settings")))
    general = dict(as_map(x.get("general_settings")))
    router = dict(as_map(x.get("router_settings")))
    routing = _routing(imp, router, models)
    env_overlay = _environment(imp, x, settings, general, router, list(models["model_groups"]))
    litellm = _litellm(imp, x, settings, general, router)
    if imp.problems:
        raise ImportFailed(imp.problems)
    baseline = policy_data(policies, BASELINE)
    overlays = _overlays(imp, env_overlay)
    sources: dict[str, Any] = {
        "models": models,
        "routing": routing,
        "guardrails": {"guardrails": []},
        "transforms": {"transforms": []},
        "litellm": litellm,
    }
    header, comments = comments_of(doc)

    def files(plain: bool = False) -> dict[str, str]:
        """The sources as files; `plain`: without comments (what the policies are checked on)."""
        named = {n for o in overlays.values() for n in as_list(o.get("guardrails"))}
        sources["guardrails"] = {"guardrails": [g for g in as_list(baseline.get("guardrails")) if g["name"] in named]}
        used = set().union(*(_refs_in(data, policies.env_ref) for data in [*sources.values(), *overlays.values()]))
        sources["secrets"] = _references(imp, baseline, used)
        every = {
            **{f"{n}.yaml": d for n, d in sources.items()},
            **{f"environments/{n}.yaml": o for n, o in overlays.items()},
        }
        if plain:
            return {name: dump_yaml(data) for name, data in every.items()}
        return {
            name: _text(imp, name, data, comments, header if name == "litellm.yaml" else [], source.name)
            for name, data in every.items()
        }

    applied: set[tuple[str, str, PathKey]] = set()
    for _ in range(FIX_ROUNDS):
        with tempfile.TemporaryDirectory(prefix="litellm-import-") as tmp:
            write_files(Path(tmp) / "config", files(plain=True))
            fixes = policy_fixes(policies, Path(tmp) / "config", as_map(baseline.get("fixes")))
        new = [f for f in fixes or [] if (f.env, f.op, f.path) not in applied]
        if not new:
            break
        for fix in new:
            applied.add((fix.env, fix.op, fix.path))
            _apply_fix(imp, fix, sources, overlays)
    references = {name: ", ".join(entry["where"]) for name, entry in imp.declared.items()}
    return Imported(files(), env, references, dict(imp.literal), doc.data, report=report), imp


def _text(
    imp: ImportState, file: str, data: dict[str, Any], comments: dict[PathKey, Comment], header: list[str], source: str
) -> str:
    placed: dict[PathKey, Comment] = {
        path: Comment([text]) for (said_file, path), text in imp.said.items() if said_file == file
    }
    for path, comment in comments.items():
        for x_path, placed_file, dest in imp.places:
            if placed_file == file and tuple(path[: len(x_path)]) == x_path:
                placed.setdefault(dest + tuple(path[len(x_path) :]), comment)
    intro = [f"Imported from {source} by `python -m litellm_bundle import` (IMPORT-REPORT.md: what changed)."] + (
        [""] + header if header else []
    )
    return emit(data, placed, intro)


def _located(imp: ImportState, problem: Problem, shown_dir: str) -> Problem:
    """A problem of the generated sources, located in the original config where it came from."""
    subject = problem.subject
    file = subject[0] if subject else problem.location.file
    relative = file.split(shown_dir.rstrip("/") + "/", 1)[-1] if shown_dir in file else file
    relative = relative.removeprefix("config/")
    source = imp.source_of(relative, subject[1]) if subject else None
    message = problem.message.replace(shown_dir.rstrip("/") + "/", "").replace("config/", "")
    if source is not None:
        where = imp.doc.locate(source)
    else:
        where = Location(imp.doc.file, 1, 1)
        message = f"{message} (in the imported {relative}:{problem.location.line})"
    scope = f"[{problem.env}] " if problem.env else ""
    return replace(problem, location=where, message=f"{scope}{message}", env=None, subject=None, because=())


def import_config(
    tree: BundleTree, source: Path, env: str, drop_ignored: bool = False, *, code: dict[str, str] | None = None
) -> ImportResult:
    """Import, validate the result with the bundle's checks, and render every environment: each rendering
    must be the original changed by exactly the report's changes for it (the report then also lists
    what the bundle adds). Writes nothing; with errors, the result has no sources. `code`: the team's
    code the config names, as files of the config directory (importer/code.py)."""
    policies = Policies(tree)
    checks = registry.load()
    try:
        imported, imp = build(policies, source, env, drop_ignored)
    except ImportFailed as exc:
        return ImportResult(sorted(checks.classified(exc.problems), key=sort_key))
    imported.files.update(code or {})
    report = imported.report
    wrong: list[str] = []
    with tempfile.TemporaryDirectory(prefix="litellm-import-") as tmp:
        config_dir = Path(tmp) / "config"
        write_files(config_dir, imported.files)
        checked = Policies(BundleTree.at(tree.root, config_dir=config_dir, tools_dir=tree.tools_dir))
        result = validate.run(checked)
        shown_dir = checked.tree.shown(config_dir)
        problems = [_located(imp, p, shown_dir) for p in result.problems]
        if result.errors:
            return ImportResult(problems)
        cs = result.config_set
        for name in policies.environments:
            rendered = _plain(litellm_config(effective_config(cs, name)))
            added, found = roundtrip.verify(
                imported.original, rendered, report.for_env(name), report.for_env(name, ENVIRONMENT)
            )
            wrong += [f"[{name}] {w}" for w in found]
            for difference, reason, kind in added:
                report.add(
                    Change(
                        difference.op,
                        difference.path,
                        difference.after,
                        reason,
                        imp.doc.locate(difference.path),
                        kind,
                        (name,),
                    )
                )
            overlay = cs.env_doc(name).data  # as written (data() has the schema's defaults filled in)
            wrong += [
                f"[{name}] environment {'.'.join(map(str, c.path))}: the listed change does not show in "
                f"environments/{name}.yaml"
                for c in report.for_env(name, ENVIRONMENT)
                if at(overlay, c.path) != c.value
            ]
    if wrong:
        failed = [
            Problem(
                Location(imp.doc.file, 1, 1),
                f"the rendering is not the config changed by the import report's changes (an import bug): {w}",
                check="import-roundtrip",
            )
            for w in wrong
        ]
        return ImportResult(checks.classified(failed))
    imported.files[REPORT_FILE] = report.markdown()
    return ImportResult(problems, imported=imported)


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
