"""What the bundle requires of a LiteLLM config beyond LiteLLM, applied to the config before it is taken
apart (policies/import-adjustments.yaml holds the data). Each adjustment is a change of the import report:

- `normalize` (before the config is checked): a section without a value is an empty one; one callback
  name is a list of one (the bundle adds its own); the router's quoted Redis port a number; a
  litellm_params key without a value is not set; `rpm`/`tpm` beside a deployment's litellm_params move
  into them.
- `adjust` (after the secrets became references): the environment variables the bundle renders from an
  environment key move there; a master key reference where the config has none; the endpoint variable
  LiteLLM falls back to for providers without one; Redis hosts and ports as declared references; Redis
  cache params of a cache that is off dropped."""

from __future__ import annotations

from typing import Any

from litellm_bundle.core.facts import CALLBACK_KEYS
from litellm_bundle.core.problems import PathKey
from litellm_bundle.importer import code as team_code
from litellm_bundle.importer.report import DROP, ENVIRONMENT, MISSING, SET, at
from litellm_bundle.importer.state import ImportState, slug
from litellm_bundle.model.configset import as_list, as_map
from litellm_bundle.policy.schemas import dotted, show

MASTER_KEY = "LITELLM_MASTER_KEY"
REDIS_NAMES = {"host": "REDIS_HOST", "port": "REDIS_PORT"}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def normalize(state: ImportState, x: dict[str, Any]) -> None:
    """Shapes LiteLLM reads as the bundle writes them (in place)."""
    for key in [k for k, v in x.items() if v is None and state.section_kind(str(k)) is not None]:
        x[key] = [] if state.section_kind(str(key)) == "array" else {}
        state.change(SET, (key,), x[key], "a section without a value: LiteLLM reads it as an empty one", "required")
    settings = x.get("litellm_settings")
    if isinstance(settings, dict):
        for key in CALLBACK_KEYS:
            if isinstance(settings.get(key), str):
                settings[key] = [settings[key]]
                state.change(
                    SET,
                    ("litellm_settings", key),
                    settings[key],
                    "a list of one: LiteLLM reads one name as such a list, and the bundle adds its own callback",
                    "required",
                    shown=show(settings[key][0]),
                )
    _ports(state, x)
    for index, entry in enumerate(as_list(x.get("model_list"))):
        if not isinstance(entry, dict) or not isinstance(entry.get("litellm_params"), dict):
            continue
        params = entry["litellm_params"]
        for key in [k for k, v in params.items() if v is None]:
            del params[key]
            reason = "written without a value: LiteLLM reads it as not set, and the bundle writes no such key"
            state.change(DROP, ("model_list", index, "litellm_params", key), None, reason, "required")
        for key in as_list(state.adjustments.get("entry_limits")):
            if key not in entry:
                continue
            value = entry.pop(key)
            path: PathKey = ("model_list", index, key)
            if key in params:
                state.change(
                    DROP, path, None, f"litellm_params.{key} is set too, and the bundle keeps that one", "required"
                )
                continue
            params[key] = value
            state.change(
                SET,
                ("model_list", index, "litellm_params", key),
                value,
                "moved from beside litellm_params, where the router reads it too: the bundle keeps a "
                "deployment's limits in its litellm_params",
                "required",
            )
            state.change(DROP, path, None, f"moved into litellm_params.{key}", "required", shown=show(value))


def _ports(state: ImportState, x: dict[str, Any]) -> None:
    """The router's Redis port written as text is a number (LiteLLM types it so and hands either to the Redis
    client); the cache's, typed as text, is turned when it moves to the environment (_redis)."""
    for path in (("router_settings", "redis_port"),):
        value = _get(x, path)
        if isinstance(value, str) and value.strip().isdigit():
            _set(x, path, int(value))
            state.change(SET, path, int(value), "a port is a number in the bundle", "required", shown=show(value))


def adjust(state: ImportState, x: dict[str, Any]) -> None:
    """What the bundle requires beyond LiteLLM (in place, after the secrets became references)."""
    _owned_variables(state, x)
    _master_key(state, x)
    _endpoints(state, x)
    _redis(state, x)
    team_code.mount_paths(state, x)  # the team's prompt files where the proxy has them (importer/code.py)


def _set(x: dict[str, Any], path: PathKey, value: Any) -> None:
    node: Any = x
    for part in path[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[path[-1]] = value


def _get(x: dict[str, Any], path: PathKey) -> Any:
    found = at(x, path)
    return None if found is MISSING else found


def _as_reference(state: ImportState, name: str, value: Any, where: str, secret: bool) -> Any:
    """`value` where the bundle needs a reference: a reference as it is, anything else os.environ/NAME
    (declared, with the value it replaces noted)."""
    if isinstance(value, str) and state.policies.env_ref.match(value):
        return value
    return state.reference(name, where, secret, was=None if secret else str(value))


def _owned_variables(state: ImportState, x: dict[str, Any]) -> None:
    variables = x.get("environment_variables")
    if not isinstance(variables, dict):
        return
    for name, spec in as_map(state.adjustments.get("owned_variables")).items():
        if name not in variables:
            continue
        value = variables.pop(name)
        path: PathKey = ("environment_variables", name)
        env_key = tuple(spec["environment"])
        secret = bool(spec.get("secret", False))
        config = tuple(spec.get("config") or ())
        owner = f"the environment's `{'.'.join(env_key)}`"
        if config and _get(x, config) is not None:
            state.change(
                DROP,
                path,
                None,
                f"{dotted(config)} is set too, and it is what LiteLLM uses; the bundle renders it from {owner}",
                "required",
            )
            continue
        if env_key == ("log_level",):
            level = str(value).upper()
            if level not in LOG_LEVELS:
                state.problem(
                    path,
                    f"LITELLM_LOG {show(value)} is not a level the bundle knows (allowed: {', '.join(LOG_LEVELS)})",
                    value=True,
                )
                continue
            new: Any = level
        elif env_key == ("redis", "port") and (isinstance(value, int) or str(value).isdigit()):
            new = int(value)
        else:
            new = _as_reference(state, name, value, f"environment {'.'.join(env_key)}", secret)
        shown = None if secret else show(value)
        if config:
            _set(x, config, new)
            state.change(
                SET,
                config,
                new,
                f"from environment_variables.{name}: the bundle renders it from {owner} (litellm.policy.json)",
                "required",
                where=state.doc.locate(path),
                shown=shown if new != value else None,
            )
        else:
            state.environment[env_key[0]] = new
            state.change(
                SET,
                env_key,
                new,
                f"from environment_variables.{name}: the bundle renders it from {owner}",
                "required",
                space=ENVIRONMENT,
                where=state.doc.locate(path),
            )
        state.change(DROP, path, None, f"moved to {owner}, which renders it (litellm.policy.json)", "required")


def _master_key(state: ImportState, x: dict[str, Any]) -> None:
    general = x.get("general_settings")
    if isinstance(general, dict) and general.get("master_key") is not None:
        return
    if not isinstance(general, dict):
        general = x["general_settings"] = {}
    general["master_key"] = state.reference(MASTER_KEY, "environment master_key", True)
    state.change(
        SET,
        ("general_settings", "master_key"),
        general["master_key"],
        f"the bundle requires a master key (LiteLLM without one lets every request in): set {MASTER_KEY}",
        "required",
    )


def _endpoints(state: ImportState, x: dict[str, Any]) -> None:
    providers = set(state.policies.litellm_schemas["names.schema.json"]["$defs"]["provider"]["enum"])
    variables = as_map(state.adjustments.get("provider_endpoints"))
    for index, entry in enumerate(as_list(x.get("model_list"))):
        params = as_map(entry).get("litellm_params")
        model = params.get("model") if isinstance(params, dict) else None
        if not isinstance(params, dict) or not isinstance(model, str) or "/" not in model:
            continue
        provider = model.split("/", 1)[0]
        if provider not in providers or provider not in variables:
            continue
        if params.get("api_base") or params.get("litellm_credential_name"):
            continue
        variable = str(variables[provider])
        path: PathKey = ("model_list", index, "litellm_params", "api_base")
        params["api_base"] = state.reference(variable, dotted(path), False)
        state.change(
            SET,
            path,
            params["api_base"],
            f"the bundle needs the endpoint of every {provider} deployment; LiteLLM reads {variable} from the "
            "environment when none is named: the same variable, as a declared reference",
            "required",
        )


def _redis(state: ImportState, x: dict[str, Any]) -> None:
    """Redis hosts and ports as the environment holds them: references (a port may be a number)."""
    router = x.get("router_settings")
    settings = x.get("litellm_settings")
    params = settings.get("cache_params") if isinstance(settings, dict) else None
    places: list[tuple[PathKey, str]] = []
    if isinstance(router, dict):
        places += [(("router_settings", f"redis_{part}"), part) for part in REDIS_NAMES]
    redis_cache = isinstance(params, dict) and params.get("type", "redis") == "redis"
    if redis_cache and isinstance(settings, dict) and settings.get("cache") is not True:
        state.change(
            DROP,
            ("litellm_settings", "cache_params"),
            None,
            "the cache is off, so LiteLLM does not use them; the bundle holds a Redis cache in the environment "
            "(`cache` with `redis`)",
            "required",
        )
        del settings["cache_params"]
    elif redis_cache:
        places += [(("litellm_settings", "cache_params", part), part) for part in REDIS_NAMES]
    for path, part in places:
        value = _get(x, path)
        if value is None or (isinstance(value, str) and state.policies.env_ref.match(value)):
            continue
        if part == "port" and isinstance(value, int):
            continue
        if part == "port" and isinstance(value, str) and value.strip().isdigit():
            _set(x, path, int(value))
            state.change(SET, path, int(value), "a port is a number in the bundle", "required", shown=show(value))
            continue
        name = REDIS_NAMES[part] if part in REDIS_NAMES else slug(dotted(path))
        reference = state.reference(name, f"environment redis.{part}", False, was=str(value))
        _set(x, path, reference)
        state.change(
            SET,
            path,
            reference,
            f"the bundle takes Redis from a declared reference (environment `redis.{part}`): set {name}",
            "required",
            shown=show(value),
        )
