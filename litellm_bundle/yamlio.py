"""YAML in (round-trip, with positions) and out (deterministic)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError

from .problems import Location, Problem

PathKey = tuple[str | int, ...]


class YamlDocument:
    """A loaded YAML file: its data (ruamel round-trip nodes) and where each node sits."""

    def __init__(self, file: str, data: Any):
        self.file = file
        self.data = data

    def locate(self, path: PathKey) -> Location:
        """Position of the deepest node along `path` (key position for mapping entries)."""
        node = self.data
        line, col = 0, 0
        if isinstance(node, (CommentedMap, CommentedSeq)):
            line, col = node.lc.line, node.lc.col
        for part in path:
            if isinstance(node, CommentedMap) and part in node:
                line, col = node.lc.key(part)
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                line, col = node.lc.item(part)
                node = node[part]
            else:
                break
        return Location(self.file, line + 1, col + 1)

    def locate_value(self, path: PathKey) -> Location:
        """Position of the value at `path` when it is a mapping value, else as locate()."""
        if path:
            parent = self.node_at(path[:-1])
            if isinstance(parent, CommentedMap) and path[-1] in parent:
                line, col = parent.lc.value(path[-1])
                return Location(self.file, line + 1, col + 1)
        return self.locate(path)

    def node_at(self, path: PathKey) -> Any:
        node = self.data
        for part in path:
            node = node[part]
        return node


def _loader() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml


def load_yaml(path: Path, shown_as: str) -> tuple[YamlDocument | None, list[Problem]]:
    """Load a YAML file; syntax errors and duplicate keys come back as problems."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return None, [Problem(Location(shown_as, 1, 1), f"cannot read file: {exc.strerror}")]
    try:
        data = _loader().load(text)
    except DuplicateKeyError as exc:
        mark = exc.problem_mark
        first = exc.context_mark
        key = str(exc.problem).split('"')[1] if '"' in str(exc.problem) else "?"
        where = f" (first defined at line {first.line + 1})" if first is not None else ""
        message = f"duplicate key '{key}'{where}; each key may appear once in a mapping"
        return None, [Problem(Location(shown_as, mark.line + 1, mark.column + 1), message)]
    except MarkedYAMLError as exc:
        # the construct that was left open (context) is where the edit went wrong; else where parsing stopped
        mark = exc.context_mark or exc.problem_mark
        stopped = f" (parser stopped at line {exc.problem_mark.line + 1})" if exc.context_mark and exc.problem_mark else ""
        what = " ".join(filter(None, [exc.context, exc.problem])) + stopped
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        return None, [Problem(Location(shown_as, line, col), f"YAML syntax error: {what}")]
    if data is None:
        data = CommentedMap()
    return YamlDocument(shown_as, data), []


def plain(data: Any) -> Any:
    """ruamel round-trip nodes -> plain dicts/lists/scalars (for jsonschema and rendering)."""
    if isinstance(data, dict):
        return {str(k): plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [plain(v) for v in data]
    if isinstance(data, bool) or data is None:
        return data
    if isinstance(data, int):
        return int(data)
    if isinstance(data, float):
        return float(data)
    if isinstance(data, str):
        return str(data)
    return data


def dump_yaml(data: Any) -> str:
    """Deterministic block-style YAML of plain data (key order as given)."""
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.representer.add_representer(str, _represent_str)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _represent_str(representer: Any, value: str) -> Any:
    style = "|" if "\n" in value else None
    return representer.represent_scalar("tag:yaml.org,2002:str", value, style=style)
