"""The example configs the pinned LiteLLM wheel ships, read from the installed package at test time (never
copied into the repo), and the data file of the genuine errors some of them have
(tests/corpus/wheel/known-errors.yaml). Used by tests/unit/test_wheel_corpus.py (import, validate,
render) and tests/integration/test_boot_check.py (boot in the real proxy)."""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from litellm_bundle.cli.main import main
from tests.helpers import ROOT

KNOWN_ERRORS = ROOT / "tests" / "corpus" / "wheel" / "known-errors.yaml"


def litellm_proxy_dir() -> Path:
    """litellm/proxy/ of the installed litellm (found without importing it)."""
    spec = importlib.util.find_spec("litellm")
    assert spec is not None and spec.submodule_search_locations, "litellm is not installed"
    return Path(next(iter(spec.submodule_search_locations))) / "proxy"


PROXY_DIR = litellm_proxy_dir()


def known() -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(KNOWN_ERRORS.read_text(encoding="utf-8"))
    return data


def name(path: Path) -> str:
    """A wheel file as the data file names it: its path under litellm/proxy/."""
    return path.relative_to(PROXY_DIR).as_posix()


def yaml_files() -> list[Path]:
    """Every YAML file of the directories the data file names (the wheel's example configs)."""
    return sorted(
        path
        for directory in known()["directories"]
        for pattern in ("*.yaml", "*.yml")
        for path in (PROXY_DIR / directory).glob(pattern)
    )


def is_config(path: Path) -> bool:
    """The data file's rule: a LiteLLM proxy config is a YAML mapping with one of the sections it names
    at its top level."""
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except (YAMLError, UnicodeDecodeError):
        return False
    return isinstance(data, dict) and any(section in data for section in known()["config_rule"]["sections"])


def configs() -> list[Path]:
    not_configs = known().get("not_configs") or {}
    return [path for path in yaml_files() if name(path) not in not_configs]


def listed(path: Path, stage: str) -> list[dict[str, Any]] | None:
    """The genuine errors the data file lists for a config at a stage (import or boot), or None."""
    entry = (known().get("errors") or {}).get(name(path))
    if entry is None or entry["stage"] != stage:
        return None
    problems: list[dict[str, Any]] = entry["problems"]
    return problems


@dataclass
class Ran:
    """One command of the bundle's command line, run in-process: its exit code and JSON report."""

    code: int
    report: dict[str, Any]

    def problems(self) -> list[dict[str, Any]]:
        return [
            {"line": p["line"], "check": p["check"], "message": p["message"]}
            for p in self.report.get("problems", [])
            if p["severity"] == "error"
        ]


def run(*argv: str) -> Ran:
    """`python -m litellm_bundle --root ROOT ARGV...` in this process (with `--format json` in ARGV, its report)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--root", str(ROOT), *argv])
    text = out.getvalue()
    try:
        return Ran(code, json.loads(text) if "--format" in argv else {"output": text})
    except json.JSONDecodeError:
        return Ran(code, {"output": text, "errors": err.getvalue()})


def path_of(config: Any, dotted: str) -> list[str | int]:
    """A report's dotted path (`model_list[0].model_info.id`) as keys and indices, read against the
    config it is about (a key may itself hold a dot: the longest key of the mapping that fits wins)."""
    parts: list[str | int] = []
    node, rest = config, dotted
    while rest:
        index = re.match(r"\[(\d+)\]\.?", rest)
        if index:
            parts.append(int(index.group(1)))
            node = node[int(index.group(1))] if isinstance(node, list) and int(index.group(1)) < len(node) else None
            rest = rest[index.end() :]
            continue
        keys = [str(k) for k in node] if isinstance(node, dict) else []
        fits = [k for k in keys if rest == k or rest.startswith((f"{k}.", f"{k}["))]
        match = re.match(r"[^.\[]+", rest)
        key = max(fits, key=len) if fits else (match.group(0) if match else rest)
        parts.append(key)
        node = node.get(key) if isinstance(node, dict) else None
        rest = rest[len(key) :].removeprefix(".")
    return parts


def changed(original: dict[str, Any], changes: list[dict[str, Any]]) -> tuple[dict[str, Any], set[tuple[Any, ...]]]:
    """The original config with the import report's changes made (set, drop, add_item), and the paths of
    the lists items were added to (the report says an item is added, not where)."""
    out = copy.deepcopy(original)
    added: set[tuple[Any, ...]] = set()
    for change in changes:
        *parents, last = path_of(out, change["path"])
        node: Any = out
        for part in parents:
            node = node.setdefault(part, {}) if isinstance(node, dict) else node[part]
        if change["op"] == "set":
            node[last] = copy.deepcopy(change["value"])
        elif change["op"] == "drop":
            node.pop(last, None)
        elif change["op"] == "add_item":
            node[last] = [*(node.get(last) or []), copy.deepcopy(change["value"])]
            added.add((*parents, last))
    return out, added


def differences(expected: Any, rendered: Any, added: set[tuple[Any, ...]], path: tuple[Any, ...] = ()) -> list[str]:
    """Where a rendering is not the expected config: deployments compared group by group in order (the
    rendering writes a group's deployments together), a list items were added to as a multiset."""
    if path == ("model_list",) and isinstance(expected, list) and isinstance(rendered, list):
        expected, rendered = _groups(expected), _groups(rendered)
    if isinstance(expected, dict) and isinstance(rendered, dict):
        return [
            d
            for key in [*expected, *(k for k in rendered if k not in expected)]
            for d in differences(expected.get(key, ABSENT), rendered.get(key, ABSENT), added, (*path, key))
        ]
    if path in added and isinstance(expected, list) and isinstance(rendered, list):
        expected, rendered = sorted(map(_canonical, expected)), sorted(map(_canonical, rendered))
    elif isinstance(expected, list) and isinstance(rendered, list) and len(expected) == len(rendered):
        return [
            d
            for i, (a, b) in enumerate(zip(expected, rendered, strict=True))
            for d in differences(a, b, added, (*path, i))
        ]
    if expected == rendered:
        return []
    return [f"{'.'.join(map(str, path))}: expected {_canonical(expected)[:200]}, rendered {_canonical(rendered)[:200]}"]


ABSENT = "(absent)"


def _groups(model_list: list[Any]) -> dict[str, list[Any]]:
    groups: dict[str, list[Any]] = {}
    for entry in model_list:
        groups.setdefault(str(entry.get("model_name")), []).append(entry)
    return groups


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)
