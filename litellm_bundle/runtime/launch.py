"""Assemble and start a native runtime: rendered config + hooks module side by side, the real proxy,
the fake provider and a throwaway Redis."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from litellm_bundle.core.facts import CONFIG_MOUNT, HOOKS_PACKAGE, NO_DOTENV, PROXY_VENV_ENV, RENDERED_AREA
from litellm_bundle.core.tree import BundleTree, TreeError, find_root
from litellm_bundle.core.yamlio import dump_yaml
from litellm_bundle.model import team_code
from litellm_bundle.render.proxy_args import chart_default_env, chart_defaults
from litellm_bundle.runtime import processes, sandbox
from litellm_bundle.runtime.pod import PodSandbox

# the files the image mounts at /etc/litellm besides the hooks package
RUNTIME_FILES = ("config.yaml", "hooks.json")
# what a staging wrote of the team's code (config/code/), removed again by the next one
STAGED_CODE = ".team-code"


@dataclass
class Staged:
    config: Path
    notes: list[str]
    code: list[str] = field(default_factory=list)  # the team's files staged next to config.yaml


# general_settings that only mean something with a database (left out of local runs without one)
DATABASE_SETTINGS = ("database_url", "database_connection_pool_limit", "proxy_batch_write_at", "store_model_in_db")


def localize(
    config: dict[str, Any], environ: Mapping[str, str], with_redis: bool, env_ref: re.Pattern[str]
) -> tuple[dict[str, Any], list[str]]:
    """Adapt a rendered config to a local machine: drop deployments whose references are unset
    (e.g. real provider keys not in .env), the database when its URL is unset and, without a Redis
    server, the Redis settings."""
    notes = []
    kept = []
    for entry in config.get("model_list", []):
        refs = {
            m.group(1)
            for value in entry["litellm_params"].values()
            if isinstance(value, str) and (m := env_ref.match(value))
        }
        missing = sorted(name for name in refs if not environ.get(name))
        if missing:
            deployment = f"{entry['model_info']['id']} of {entry['model_name']}"
            notes.append(f"skipping deployment {deployment}: {', '.join(missing)} not set")
        else:
            kept.append(entry)
    config = {**config, "model_list": kept}
    general = config.get("general_settings") or {}
    url = env_ref.match(str(general.get("database_url", "")))
    if url and not environ.get(url.group(1)):
        notes.append(f"no database ({url.group(1)} not set): virtual keys, teams and spend tracking are off")
        config = {**config, "general_settings": {k: v for k, v in general.items() if k not in DATABASE_SETTINGS}}
    if not with_redis:
        router = {k: v for k, v in config.get("router_settings", {}).items() if not k.startswith("redis_")}
        router.pop("cache_kwargs", None)  # the single node's pool limit (redis_settings.router_settings)
        settings = {k: v for k, v in config.get("litellm_settings", {}).items() if k not in ("cache", "cache_params")}
        general = {k: v for k, v in config.get("general_settings", {}).items() if k != "coordination_redis"}
        if (router, settings, general) != tuple(
            config.get(s) or {} for s in ("router_settings", "litellm_settings", "general_settings")
        ):
            notes.append("no Redis: router state (rpm/tpm, cooldowns) and cache stay in this process")
        config = {**config, "router_settings": router, "litellm_settings": settings, "general_settings": general}
    return config, notes


def stage_files(
    tree: BundleTree,
    files: Mapping[str, str],
    dest: Path,
    environ: Mapping[str, str],
    env_ref: re.Pattern[str],
    with_redis: bool = True,
) -> Staged:
    """dest/config.yaml, dest/hooks.json, dest/gateway_hooks/ and the team's code (config/code/): the layout
    the image mounts at /etc/litellm, from one environment's rendered files (name -> text). The paths the
    config names under /etc/litellm/ (the team's prompt files) become dest's."""
    dest = dest.resolve()
    dest.mkdir(parents=True, exist_ok=True)
    config, notes = localize(YAML(typ="safe").load(files["config.yaml"]), environ, with_redis, env_ref)
    config = at_mount(config, dest)
    (dest / "config.yaml").write_text(
        "# Staged for a local run from a rendered config.yaml\n" + dump_yaml(config), encoding="utf-8"
    )
    (dest / "hooks.json").write_text(files["hooks.json"], encoding="utf-8")
    target = dest / HOOKS_PACKAGE
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(tree.hooks_package, target, ignore=shutil.ignore_patterns("__pycache__"))
    staged_code = stage_team_code(tree, dest)
    if staged_code:
        notes.append(f"the team's code next to config.yaml: {len(staged_code)} files of config/code/")
    return Staged(dest / "config.yaml", notes, staged_code)


def at_mount(node: Any, dest: Path) -> Any:
    """`node` with every path under the image's mount (CONFIG_MOUNT/...) under `dest` instead."""
    if isinstance(node, dict):
        return {k: at_mount(v, dest) for k, v in node.items()}
    if isinstance(node, list):
        return [at_mount(v, dest) for v in node]
    if isinstance(node, str) and node.startswith(f"{CONFIG_MOUNT}/"):
        return str(dest / node[len(CONFIG_MOUNT) + 1 :])
    return node


def stage_team_code(tree: BundleTree, dest: Path) -> list[str]:
    """The team's code (config/code/, as the chart ships it) written into `dest` next to config.yaml, after
    removing what the previous staging wrote there (listed in dest/.team-code); the paths written."""
    manifest = dest / STAGED_CODE
    if manifest.is_file():
        for path in manifest.read_text(encoding="utf-8").splitlines():
            (dest / path).unlink(missing_ok=True)
            for parent in (dest / path).parents:
                if parent == dest or not parent.is_dir() or any(parent.iterdir()):
                    break
                parent.rmdir()
    # validation refuses the names the bundle writes there itself; never overwrite them
    files = {p: t for p, t in team_code.load(tree).files.items() if p.split("/")[0] not in team_code.RESERVED}
    for path, text in files.items():
        (dest / path).parent.mkdir(parents=True, exist_ok=True)
        (dest / path).write_text(text, encoding="utf-8", newline="")
    manifest.write_text("".join(f"{path}\n" for path in files), encoding="utf-8")
    return list(files)


def committed_files(tree: BundleTree, env: str) -> dict[str, str]:
    """One environment's rendered files as committed under <out>/rendered/<env>/."""
    return {name: (tree.out_dir / RENDERED_AREA / env / name).read_text(encoding="utf-8") for name in RUNTIME_FILES}


def committed_values(tree: BundleTree, env: str) -> dict[str, Any]:
    """The values the chart renders one environment with: its rendered values.yaml as committed under
    <out>/rendered/<env>/, over the chart's own defaults (merged as Helm merges them)."""
    rendered = YAML(typ="safe").load((tree.out_dir / RENDERED_AREA / env / "values.yaml").read_text(encoding="utf-8"))
    return dict(_helm_merged(chart_defaults(tree.chart_dir), rendered))


def _helm_merged(defaults: Any, values: Any) -> Any:
    """`values` over `defaults`: mappings key by key, anything else replaced (Helm's coalescing of values)."""
    if isinstance(defaults, dict) and isinstance(values, dict):
        return {**defaults, **{k: _helm_merged(defaults.get(k), v) for k, v in values.items()}}
    return values


def bin_path(name: str) -> str:
    """A console script of this interpreter's environment (the .venv), else the name for PATH lookup."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def proxy_binary() -> str:
    """The `litellm` proxy to run: the venv named by PROXY_VENV_ENV (another LiteLLM version, see
    BundleTree.litellm_venv), else this environment's."""
    venv = os.environ.get(PROXY_VENV_ENV)
    return venv_proxy(Path(venv)) if venv else bin_path("litellm")


def venv_proxy(venv: Path) -> str:
    """The `litellm` proxy of another LiteLLM version's venv (BundleTree.litellm_venv)."""
    binary = venv / "bin" / "litellm"
    if not binary.exists():
        raise FileNotFoundError(f"no {binary}: create that version's venv with `make upgrade TO=<version>`")
    return str(binary)


def proxy_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment for a proxy: offline, quiet, no `.env` loaded (facts.NO_DOTENV)."""
    env = dict(os.environ)
    env.update(
        {
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            **NO_DOTENV,
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONFAULTHANDLER": "1",  # as the chart's Deployment: a native crash logs every thread's stack
            "LITELLM_LOG": env.get("LITELLM_LOG", "WARNING"),
            "DISABLE_ADMIN_UI": "True",
            **chart_proxy_env(),
        }
    )
    env.update(extra or {})
    return env


@functools.cache
def chart_proxy_env() -> dict[str, str]:
    """What the chart's Deployment sets for every proxy by default, from the checkout's chart values (not
    repeated here): LiteLLM's garbage collector thresholds. Outside a checkout, nothing (LiteLLM's defaults)."""
    try:
        return chart_default_env(BundleTree.at(find_root(Path(__file__).parent)).chart_dir)
    except TreeError:
        return {}


def start_proxy(
    config: Path,
    port: int,
    env: dict[str, str],
    log: Path,
    workers: int = 1,
    extra_args: Sequence[str] = (),
    binary: str | None = None,
    pod: PodSandbox | None = None,
    keep: Sequence[str] = (),
    visible: Sequence[Path] = (),
) -> subprocess.Popen[bytes]:
    """`binary`: another environment's `litellm` (e.g. the image's Python for `make bench`), else this one's.
    `pod`: run it in that pod's sandbox (runtime/sandbox.py; its emptyDirs fresh under `<log>-pod/`, the
    staged config, the interpreter's environment and `visible` (e.g. the checkout: its Prisma engines)
    visible read-only) with the pod's environment over `env` except the names in `keep`."""
    cmd = [
        binary or proxy_binary(),
        "--config",
        str(config),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--num_workers",
        str(workers),
        *extra_args,
    ]
    if pod is not None:
        needed = [
            *visible,
            config.parent,
            Path(sys.prefix),
            Path(shutil.which(cmd[0]) or cmd[0]).resolve().parent.parent,
        ]
        sources = {CONFIG_MOUNT: config.parent}  # the staged files stand for the config's configMap
        cmd = sandbox.pod_command(cmd, pod, pod_scratch(log), visible=needed, sources=sources)
        env = pod.environment(env, keep)
    return processes.spawn(cmd, log, env=env)


def pod_scratch(log: Path) -> Path:
    """Where a sandboxed process logging to `log` has its emptyDirs (runtime/sandbox.py host_dir)."""
    return log.with_name(f"{log.stem}-pod")


def start_fake_provider(tree: BundleTree, port: int, log: Path, *args: str) -> subprocess.Popen[bytes]:
    return processes.spawn([sys.executable, str(tree.fake_provider), "--port", str(port), *args], log)


def start_redis(port: int, log: Path) -> subprocess.Popen[bytes] | None:
    """A throwaway redis-server on loopback (no persistence), or None when redis-server is not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    cmd = [
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--protected-mode",
        "yes",
    ]
    return processes.spawn(cmd, log)
