"""Booting many rendered configs in few proxy starts (starts are the expensive part of the boot check):
configs share a start when nothing of theirs collides (model groups, deployment ids, named items, the
team's code, the hooks' config, proxy-wide settings), so each one boots exactly as rendered, joined only
with configs whose names and settings are distinct. Used by tests/integration/test_boot_check.py (the
import corpus and the wheel's example configs, in one pool of starts)."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from litellm_bundle.core.tree import BundleTree
from litellm_bundle.runtime import boot_check
from tests.helpers import ROOT

# settings that act on every other config's deployments or on the boot check's own requests: a config that
# turns one on is never booted with another's (background health checks call every deployment; custom auth
# decides the boot check's requests). Off (absent, null or false, as LiteLLM reads them) is off in both.
PROXY_WIDE = {"general_settings": ("background_health_checks", "health_check_interval", "custom_auth")}
TRACEBACK = "a traceback in the log:"  # how the boot check reports one (boot_check.boot)


def _on(section: Any, key: str) -> bool:
    """Whether a section turns a proxy-wide setting on."""
    return isinstance(section, dict) and section.get(key) not in (None, False)


class Collides(Exception):
    """Two configs cannot share one proxy start."""


def _union(mine: list[Any], theirs: list[Any]) -> list[Any]:
    return mine + [item for item in theirs if item not in mine]


def _named(items: list[Any]) -> dict[str, Any]:
    """A list's items by what names them: a *_name key (deployments also by their id), else the item."""
    out: dict[str, Any] = {}
    for item in items:
        keys = [f"{k}={item[k]}" for k in item if k.endswith("_name")] if isinstance(item, dict) else []
        if isinstance(item, dict) and isinstance(item.get("model_info"), dict) and "id" in item["model_info"]:
            keys.append(f"id={item['model_info']['id']}")
        for key in keys or [repr(item)]:
            out[key] = item
    return out


def merge(into: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """`into` and `config` as one config, or Collides: lists of named items joined when no name is taken
    by a different item (model groups are names too: two configs never share a group); settings
    sections joined key by key when a key is the other's or the same (lists of a setting, such as
    callbacks, are joined), a proxy-wide setting only when both set it the same or both leave it off; any
    other section must be the same in both."""
    out = copy.deepcopy(into)
    for section, value in config.items():
        wide = [k for k in PROXY_WIDE.get(section, ()) if _on(value, k) != _on(out.get(section), k)]
        if wide:
            raise Collides(f"{section}: {', '.join(wide)}")
        if section not in out:
            out[section] = copy.deepcopy(value)
        elif isinstance(value, list) and isinstance(out[section], list):
            mine, theirs = _named(out[section]), _named(value)
            taken = [k for k in theirs if k in mine and (mine[k] != theirs[k] or k.startswith("model_name="))]
            if taken:
                raise Collides(f"{section}: {', '.join(taken)}")
            out[section] = _union(out[section], value)
        elif isinstance(value, dict) and isinstance(out[section], dict):
            for key, setting in value.items():
                current = out[section].get(key, setting)
                if isinstance(current, list) and isinstance(setting, list):
                    out[section][key] = _union(current, setting)
                elif current != setting:
                    raise Collides(f"{section}.{key}")
                else:
                    out[section][key] = setting
        elif out[section] != value:
            raise Collides(section)
    return out


@dataclass
class Rendered:
    """One config as the boot check starts it: the rendered config.yaml, hooks.json and the team's code
    (path -> text, config/code/)."""

    config: dict[str, Any]
    hooks: str
    code: dict[str, str] = field(default_factory=dict)


def _same_or_joined(mine: Any, theirs: Any, where: str) -> Any:
    """Two JSON values as one: mappings key by key, anything else only when equal."""
    if isinstance(mine, dict) and isinstance(theirs, dict):
        return {k: _same_or_joined(mine[k], v, f"{where}.{k}") if k in mine else v for k, v in theirs.items()} | {
            k: v for k, v in mine.items() if k not in theirs
        }
    if mine != theirs:
        raise Collides(where)
    return mine


def join(group: Rendered, other: Rendered) -> Rendered:
    """Two rendered configs as one proxy start, or Collides: the config by merge, the hooks' config
    (hooks.json: the model groups the hooks know) key by key, the team's code file by file."""
    hooks = _same_or_joined(json.loads(group.hooks), json.loads(other.hooks), "hooks.json")
    taken = [path for path, text in other.code.items() if group.code.get(path, text) != text]
    if taken:
        raise Collides(f"code: {', '.join(taken)}")
    return Rendered(merge(group.config, other.config), json.dumps(hooks, indent=2), {**group.code, **other.code})


def pack(rendered: dict[str, Rendered]) -> list[tuple[list[str], Rendered]]:
    """The configs in as few proxy starts as fit, first fit in order: (config names, what is booted)."""
    groups: list[tuple[list[str], Rendered]] = []
    for config_name, one in rendered.items():
        for index, (names, group) in enumerate(groups):
            try:
                groups[index] = ([*names, config_name], join(group, one))
                break
            except Collides:
                continue
        else:
            groups.append(([config_name], one))
    return groups


def boot(label: str, one: Rendered, work: Path) -> boot_check.Boot:
    """The boot check of one proxy start, the team's code staged from a config directory of its own."""
    (work / "config").mkdir(parents=True)
    code_dir = BundleTree.at(ROOT, config_dir=work / "config").code_dir
    for path, text in one.code.items():
        (code_dir / path).parent.mkdir(parents=True, exist_ok=True)
        (code_dir / path).write_text(text, encoding="utf-8")
    return boot_check.boot(label, one.config, one.hooks, BundleTree.at(ROOT, config_dir=work / "config"), work)


def said(result: boot_check.Boot) -> list[str]:
    """What a boot check said, as the data file lists it: each failure's first line, a traceback by the
    exception it ends in (its file paths are the machine's)."""
    out = []
    for failure in result.failures:
        lines = [line.strip() for line in failure.splitlines()]
        raised = [line for line in lines if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Exit): ", line)]
        out.append(f"{lines[0]} {raised[-1]}" if lines[0] == TRACEBACK and raised else lines[0])
    return out
