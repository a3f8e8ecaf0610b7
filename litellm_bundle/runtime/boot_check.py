"""`make check-config` (`python -m litellm_bundle check-config`): start the pinned LiteLLM proxy on a rendered
config and check that it boots.

No provider is called and nothing leaves the machine: every reference the config uses gets a
placeholder from its declaration (endpoints point at 127.0.0.1:9, where nothing listens; keys are
made-up text), Redis is a throwaway local redis-server, and the database is left out (connecting
and migrating is the database tests' part). One start per config, then:

- it starts (liveliness answers);
- /v1/models lists every model group and alias;
- /active/callbacks shows every callback of the config loaded;
- /guardrails/list shows every guardrail;
- /v1/mcp/server lists every MCP server of `mcp_servers`;
- it stops on SIGTERM (the proxy has no handler of its own: the signal ends it) with nothing of
  its process group left, and its log holds no traceback (LiteLLM logs a callback or guardrail
  that fails to initialise and starts anyway).

The config is staged as the image mounts it: hooks.json, the hooks package and the team's own code
(config/code/, docs/team-code.md) next to config.yaml, so LiteLLM imports the team's modules for real.

This catches what a schema cannot: an import path that fails, a provider string or a guardrail
LiteLLM rejects at load, a callback that needs a setting at start."""

from __future__ import annotations

import re
import secrets
import shutil
import signal
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from litellm_bundle.build.generate import render_one
from litellm_bundle.core.facts import ACTIVE_CALLBACK_KEYS, LIVENESS_PATH, METRICS_PATH, RENDERED_AREA
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.core.yamlio import dump_yaml, parse_yaml
from litellm_bundle.model.configset import load_config_set
from litellm_bundle.model.versions import env_version
from litellm_bundle.policy.policies import Policies
from litellm_bundle.render import proxy_args
from litellm_bundle.runtime import launch, processes

UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens, every connection is refused at once
START_TIMEOUT = 120.0


@dataclass
class Boot:
    """What one boot found: `failures` empty means it booted."""

    name: str
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    surfaces: list[str] = field(default_factory=list)  # what was checked besides the API (surface_failures)
    log: Path | None = None

    def __str__(self) -> str:
        if not self.failures:
            return f"{self.name}: booted ({len(self.models)} model groups){''.join(f'; {n}' for n in self.notes)}"
        return (
            f"{self.name}: "
            + "\n  ".join(["did not boot cleanly", *self.failures])
            + (f"\n  log: {self.log}" if self.log else "")
        )


def _references(node: Any, env_ref: re.Pattern[str], key: str = "") -> Iterator[tuple[str, str]]:
    """(reference NAME, the key it is the value of) for every os.environ/NAME in a config."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _references(v, env_ref, str(k))
    elif isinstance(node, list):
        for v in node:
            yield from _references(v, env_ref, key)
    elif isinstance(node, str) and (match := env_ref.match(node)):
        yield match.group(1), key


def placeholder(name: str, key: str, redis_port: int, redis_password: str) -> str:
    """A value for a reference the proxy can start with: by the key it fills (or its name)."""
    words = f"{key} {name}".lower()
    if "redis" in words or (key in ("host", "port", "password") and name.startswith("REDIS")):
        if "host" in words:
            return "127.0.0.1"
        if "port" in words:
            return str(redis_port)
        if "password" in words:
            return redis_password
    if "port" in words:
        return "9"
    if any(word in words for word in ("api_base", "base_url", "endpoint", "url", "host")):
        return UNREACHABLE
    return f"boot-check-{name.lower().replace('_', '-')}"


@dataclass
class Redis:
    port: int
    password: str
    proc: Any


def _start_redis(work: Path, with_password: bool) -> Redis | None:
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    port, password = processes.free_port(), secrets.token_hex(12) if with_password else ""
    log = work / "redis.log"
    cmd = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"] + (
        ["--requirepass", password] if password else []
    )
    proc = processes.spawn(cmd, log)
    processes.wait_port(port, 20, proc, log)
    return Redis(port, password, proc)


def expected(config: Mapping[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """What a config should show once booted: model groups and aliases, callbacks, guardrails."""
    models = list(dict.fromkeys(str(e["model_name"]) for e in config.get("model_list") or []))
    aliases = config.get("router_settings", {}).get("model_group_alias") or {}
    models += [a for a, target in aliases.items() if not (isinstance(target, dict) and target.get("hidden"))]
    settings = config.get("litellm_settings") or {}
    # what /active/callbacks can show: the callbacks of LiteLLM's service and audit-log settings it does not list
    callbacks = list(dict.fromkeys(str(c) for key in ACTIVE_CALLBACK_KEYS for c in settings.get(key) or []))
    guardrails = [str(g["guardrail_name"]) for g in config.get("guardrails") or []]
    return models, callbacks, guardrails


def _loaded(callback: str, active: list[str], classes: Mapping[str, str]) -> bool:
    if callback in active:
        return True
    if "." in callback:  # module.instance: the object's repr names its module
        module = callback.rsplit(".", 1)[0].split(".")[0]
        return any(module in entry for entry in active)
    cls = classes.get(callback)
    return bool(cls) and any(f".{cls} object" in entry or entry == cls for entry in active)


def _listed(model: str, ids: list[str], named: list[str]) -> bool:
    """Whether /v1/models lists a model group: itself, or for a wildcard group (LiteLLM lists the
    provider's models it matches) any model no named group or alias accounts for."""
    if model in ids:
        return True
    return "*" in model and any(i not in named for i in ids)


PROBE_ORIGIN = "https://not-an-allowed-origin.invalid"


def surface_failures(
    url: str, master: str, config: Mapping[str, Any], surface: Mapping[str, str], checked: list[str] | None = None
) -> list[str]:
    """What the proxy serves besides the API, against what the environment declares: /metrics/ behind a
    key, the admin UI and the API docs off, browser origins limited (`surface`: proxy_args.surface_env).
    Appends the name of each check it makes to `checked`."""
    failures: list[str] = []
    checked = checked if checked is not None else []
    settings = config.get("litellm_settings") or {}
    if "prometheus" in (settings.get("callbacks") or []) and settings.get("require_auth_for_metrics_endpoint"):
        checked.append("metrics")
        anonymous = httpx.get(f"{url}{METRICS_PATH}", timeout=30).status_code
        keyed = httpx.get(f"{url}{METRICS_PATH}", headers={"Authorization": f"Bearer {master}"}, timeout=30).status_code
        if (anonymous, keyed) != (401, 200):
            failures.append(
                f"{METRICS_PATH} should refuse a scrape without a key and serve one with it: "
                f"{anonymous} without, {keyed} with"
            )
    if surface.get("DISABLE_ADMIN_UI") == "True":
        checked.append("admin_ui")
        page = httpx.get(f"{url}/ui/", timeout=30).status_code
        login = httpx.post(f"{url}/login", data={"username": "admin", "password": master}, timeout=30).status_code
        if page != 404 or login != 404:
            failures.append(
                "the admin UI is served although the environment turns it off: "
                f"/ui/ {page}, /login {login} (expected 404)"
            )
    if surface.get("NO_DOCS") == "True":
        checked.append("api_docs")
        swagger = httpx.get(f"{url}/", timeout=30)  # LiteLLM serves its Swagger UI at the root
        if swagger.status_code == 200 and "swagger-ui" in swagger.text:
            failures.append("/ serves the Swagger UI although the environment turns the API docs off")
        docs = {path: httpx.get(f"{url}{path}", timeout=30).status_code for path in ("/redoc", "/openapi.json")}
        failures += [
            f"{path} answers {code} although the environment turns the API docs off"
            for path, code in docs.items()
            if code != 404
        ]
    if surface.get("LITELLM_CORS_ORIGINS"):
        checked.append("cors")
        allowed = surface["LITELLM_CORS_ORIGINS"].split(",")[0]
        for origin, want in ((allowed, allowed), (PROBE_ORIGIN, None)):
            answer = httpx.options(
                f"{url}/v1/chat/completions",
                timeout=30,
                headers={
                    "Origin": origin,
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "authorization,content-type",
                },
            )
            got = answer.headers.get("access-control-allow-origin")
            if got != want:
                failures.append(
                    f"a browser preflight from {origin} got Access-Control-Allow-Origin {got!r}, expected {want!r}"
                )
    return failures


def _mcp_failures(url: str, headers: Mapping[str, str], config: Mapping[str, Any]) -> list[str]:
    """Every server of the config's `mcp_servers` registered with the proxy's MCP gateway (/v1/mcp/server
    lists them by name; connecting to them is the MCP tests' part, tests/database/test_mcp.py)."""
    servers = config.get("mcp_servers") or {}
    if not servers:
        return []
    answer = httpx.get(f"{url}/v1/mcp/server", headers=headers, timeout=30).json()
    registered = [str(s.get("server_name")) for s in answer] if isinstance(answer, list) else []
    return [
        f"MCP server {name} is not registered (registered: {', '.join(sorted(registered)) or 'none'})"
        for name in servers
        if name not in registered
    ]


def boot(
    name: str,
    config: dict[str, Any],
    hooks_json: str,
    tree: BundleTree,
    work: Path,
    surface: Mapping[str, str] | None = None,
    binary: str | None = None,
) -> Boot:
    """Start the proxy once on `config` (a rendered LiteLLM config) and check what it loaded; with
    `surface` (the environment's admin UI, docs and CORS switches as environment variables) run it
    with them and check what it serves besides the API. `binary`: another LiteLLM version's `litellm`
    (the environment's litellm_version), else the one launch.proxy_binary picks."""
    policies = Policies(tree)
    result = Boot(name)
    work.mkdir(parents=True, exist_ok=True)
    general = config.get("general_settings") or {}
    if any(k in general for k in launch.DATABASE_SETTINGS):
        config = {**config, "general_settings": {k: v for k, v in general.items() if k not in launch.DATABASE_SETTINGS}}
        result.notes.append("database left out")
    refs = dict(_references(config, policies.env_ref))
    needs_redis = any("REDIS" in ref or "redis" in key for ref, key in refs.items())
    redis = (
        _start_redis(
            work,
            any(
                "PASSWORD" in ref or "password" in key for ref, key in refs.items() if "REDIS" in ref or "redis" in key
            ),
        )
        if needs_redis
        else None
    )
    if needs_redis and redis is None:
        result.failures.append("the config uses Redis and redis-server is not installed (apt-get install redis-server)")
        return result
    master = f"sk-boot-{secrets.token_hex(16)}"
    environ = {
        ref: placeholder(ref, key, redis.port if redis else 9, redis.password if redis else "")
        for ref, key in refs.items()
    }
    master_ref = policies.env_ref.match(str(general.get("master_key", "")))
    if master_ref:
        environ[master_ref.group(1)] = master
    files = {"config.yaml": dump_yaml(config), "hooks.json": hooks_json}
    staged = launch.stage_files(tree, files, work / "etc", environ, policies.env_ref, with_redis=True)
    if staged.code:  # config/code/ next to config.yaml, as the chart mounts it: the proxy imports it
        result.notes.append(f"the team's code: {len(staged.code)} files of config/code/")
    log = work / "proxy.log"
    result.log = log
    env = launch.proxy_env({**environ, **(surface or {}), "LITELLM_LOG": "WARNING"})
    for unset in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "DATABASE_URL"):
        if unset not in environ:
            env.pop(unset, None)
    port = processes.free_port()
    proc = launch.start_proxy(staged.config, port, env, log, binary=binary)
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {master}"}
    models, callbacks, guardrails = expected(config)
    start_log: int | None = None  # where the surface checks begin in the log
    try:
        processes.wait_healthy(f"{url}{LIVENESS_PATH}", START_TIMEOUT, proc, log)
        ids = [m["id"] for m in httpx.get(f"{url}/v1/models", headers=headers, timeout=30).json().get("data", [])]
        result.models = models
        named = [m for m in models if "*" not in m]
        result.failures += [
            f"model group {m} is not listed on /v1/models (listed: {', '.join(sorted(ids)) or 'none'})"
            for m in models
            if not _listed(m, ids, named)
        ]
        active = (
            httpx.get(f"{url}/active/callbacks", headers=headers, timeout=30).json().get("all_litellm_callbacks", [])
        )
        classes = policies.litellm_surface.get("callback_classes", {})
        result.failures += [
            f"callback {c} is not loaded (active: {', '.join(sorted(set(active)))})"
            for c in callbacks
            if not _loaded(c, active, classes)
        ]
        listed = [
            g.get("guardrail_name")
            for g in httpx.get(f"{url}/guardrails/list", headers=headers, timeout=30).json().get("guardrails", [])
        ]
        result.failures += [
            f"guardrail {g} is not loaded (loaded: {', '.join(sorted(map(str, listed))) or 'none'})"
            for g in guardrails
            if g not in listed
        ]
        result.failures += _mcp_failures(url, headers, config)
        start_log = log.stat().st_size if log.exists() else 0  # a refused request logs LiteLLM's traceback
        result.failures += surface_failures(url, master, config, surface or {}, result.surfaces)
    except (RuntimeError, httpx.HTTPError, ValueError) as exc:
        result.failures.append(
            f"did not start: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}"
        )
    finally:
        processes.stop(proc)
        if redis is not None:
            processes.stop(redis.proc)
    if proc.returncode not in (0, -signal.SIGTERM) or processes.group_alive(proc.pid):
        result.failures.append(
            f"did not stop on SIGTERM (exit {proc.returncode}; processes left: {processes.group_alive(proc.pid)})"
        )
    raw = log.read_bytes() if log.exists() else b""
    text = (raw[:start_log] if start_log is not None else raw).decode(errors="replace")
    if "Traceback (most recent call last)" in text:
        first = text.index("Traceback (most recent call last)")
        result.failures.append("a traceback in the log:\n    " + "\n    ".join(text[first:].splitlines()[:12]))
    return result


def rendered(tree: BundleTree, env: str) -> tuple[dict[str, Any], str, dict[str, str]]:
    """An environment's freshly rendered config (parsed), hooks.json and the admin UI, docs and CORS
    switches its values give the Deployment (as environment variables)."""
    files = render_one(tree, env)
    doc, _ = parse_yaml(files["config.yaml"], f"{RENDERED_AREA}{env}/config.yaml")
    values, _ = parse_yaml(files["values.yaml"], f"{RENDERED_AREA}{env}/values.yaml")
    surface = proxy_args.surface_env(values.data["proxy"]) if values is not None else {}
    return (doc.data if doc else {}), files["hooks.json"], surface


def check_environments(tree: BundleTree, envs: list[str], work: Path) -> list[Boot]:
    """One boot per environment on the LiteLLM version it runs (its litellm_version's venv, see
    BundleTree.litellm_venv), its staged files and logs under work/<env>/."""
    results = []
    cs = load_config_set(tree, Policies(tree).environments)
    for env in envs:
        config, hooks, surface = rendered(tree, env)
        version = env_version(cs, env)
        binary = None if version == tree.pinned_version() else launch.venv_proxy(tree.litellm_venv(version))
        results.append(boot(env, config, hooks, tree, work / env, surface, binary))
    return results
