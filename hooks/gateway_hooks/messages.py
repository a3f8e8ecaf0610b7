"""Safe access to the text inside a request, whatever shape it has (None, strings, content parts, tools).

Where the text is comes from request_shapes.json next to this module: a table of paths over the request
JSON, one per place a format (OpenAI chat, completions, embeddings, Responses, Anthropic Messages,
Gemini) keeps a text, a function's arguments, a tool's description or a URL. One walker reads the table;
the guardrails scan and rewrite what it finds, routing counts its characters."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

SHAPES_FILE = Path(__file__).resolve().parent / "request_shapes.json"
DEEP = "**"
_STEP = re.compile(r"(?P<key>[A-Za-z_][A-Za-z0-9_]*)(?P<each>\[\])?|\*\*")


@dataclass(frozen=True)
class Step:
    key: str  # DEEP for '**'
    each: bool = False


@dataclass(frozen=True)
class Shape:
    path: str
    kind: str
    where: tuple[tuple[str, frozenset[Any]], ...] = ()
    skip_prefixes: tuple[str, ...] = ()

    def keeps(self, container: Any, key: Any) -> bool:
        """Whether container[key] (a str) is a slot of this shape: its holder matches `where`, and the
        text does not start with a prefix its kind skips."""
        for name, allowed in self.where:
            value = container.get(name) if isinstance(container, dict) else None
            if not isinstance(value, str | int | float | bool) or value not in allowed:
                return False
        return not container[key].startswith(self.skip_prefixes)


@dataclass
class Node:
    """The paths of the table as a trie: one walk over the request finds the slots of every path."""

    children: dict[tuple[str, bool], Node] = field(default_factory=dict)  # (key, each)
    ends: list[Shape] = field(default_factory=list)  # paths ending here
    deep: list[Shape] = field(default_factory=list)  # paths ending in '**' here


@dataclass(frozen=True)
class Table:
    root: Node
    max_depth: int
    shapes: tuple[Shape, ...]


def parse_path(path: Any) -> tuple[Step, ...]:
    """'messages[].content[].input.**' as steps; ValueError for anything else."""
    parts = path.split(".") if isinstance(path, str) and path else []
    steps = []
    for index, part in enumerate(parts):
        match = _STEP.fullmatch(part)
        if match is None or (part == DEEP and index != len(parts) - 1):
            raise ValueError(f"bad path {path!r}: keys joined by '.', 'key[]' for list items, '**' only last")
        steps.append(Step(DEEP) if part == DEEP else Step(match["key"], bool(match["each"])))
    if not steps or steps[0].key == DEEP:
        raise ValueError(f"bad path {path!r}: it must start with a key")
    return tuple(steps)


def _add(root: Node, steps: tuple[Step, ...], shape: Shape) -> None:
    node = root
    for step in steps:
        if step.key == DEEP:
            node.deep.append(shape)
            return
        node = node.children.setdefault((step.key, step.each), Node())
    node.ends.append(shape)


def build_table(raw: Any, source: str = "request_shapes.json") -> Table:
    """The table from its JSON document; ValueError naming the entry for a malformed one."""
    try:
        kinds, entries, max_depth = raw["kinds"], raw["shapes"], int(raw["max_depth"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{source}: expected an object with 'kinds', 'shapes' and 'max_depth': {exc!r}") from exc
    root, shapes = Node(), []
    for index, entry in enumerate(entries):
        try:
            kind = kinds[entry["kind"]]
            where = tuple((str(name), frozenset(values)) for name, values in (entry.get("where") or {}).items())
            shape = Shape(entry["path"], entry["kind"], where, tuple(kind.get("skip_prefixes") or ()))
            _add(root, parse_path(entry["path"]), shape)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise ValueError(f"{source}: shapes[{index}]: {exc!r}") from exc
        shapes.append(shape)
    return Table(root, max_depth, tuple(shapes))


@lru_cache(maxsize=1)
def table() -> Table:
    """request_shapes.json, read once; RuntimeError (the proxy does not start) when it is missing or bad."""
    try:
        return build_table(json.loads(SHAPES_FILE.read_text(encoding="utf-8")), str(SHAPES_FILE))
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"gateway hooks: cannot use {SHAPES_FILE}: {exc}") from exc


_NOWHERE = Node()  # under a '**': no path goes further, every string is a slot of the '**'


def _walk(
    container: Any, key: Any, node: Node, deep: Shape | None, depth: int, max_depth: int
) -> Iterator[tuple[Shape, Any, Any]]:
    """(shape, container, key) for the strings at and under container[key] that trie `node` reaches, or
    an active '**' (`deep`, with `depth` levels left), in the request's order."""
    value = container[key]
    if isinstance(value, str):
        candidates = [*node.ends, *node.deep, *([deep] if deep is not None else [])]
        kept = next((shape for shape in candidates if shape.keeps(container, key)), None)
        if kept is not None:
            yield kept, container, key
        return
    if deep is None and node.deep:
        deep, depth = node.deep[0], max_depth
    if deep is not None and depth <= 0:
        deep = None  # deeper than max_depth: not walked
    if isinstance(value, dict):
        for name in list(value):
            plain = node.children.get((name, False)) if isinstance(name, str) else None
            if plain is not None or deep is not None:
                yield from _walk(value, name, plain or _NOWHERE, deep, depth - 1, max_depth)
            each = node.children.get((name, True)) if isinstance(name, str) else None
            items = value[name]
            if each is not None and isinstance(items, list):
                for index in range(len(items)):
                    yield from _walk(items, index, each, None, 0, max_depth)
    elif isinstance(value, list) and deep is not None:
        for index in range(len(value)):
            yield from _walk(value, index, _NOWHERE, deep, depth - 1, max_depth)


def slots(data: Any, shapes: Table | None = None) -> Iterator[tuple[Shape, Any, Any]]:
    """(shape, container, key) for every string the table's paths reach in `data`, each slot once, in
    the request's order (container[key] is a str). Never raises on any JSON value; what lies deeper
    than max_depth under a '**' is not walked."""
    current = shapes or table()
    if not isinstance(data, dict):
        return
    seen: set[tuple[int, Any]] = set()
    for shape, container, key in _walk([data], 0, current.root, None, 0, current.max_depth):
        if (id(container), key) not in seen:
            seen.add((id(container), key))
            yield shape, container, key


def iter_texts(data: dict[str, Any]) -> Iterator[str]:
    """Every text of a request the table knows: prompts, messages, tool calls and results, tool
    descriptions, URLs (not inline data: URLs)."""
    for _, container, key in slots(data):
        yield container[key]


def rewrite_texts(data: dict[str, Any], fn: Callable[[str], str]) -> None:
    """Apply fn to every text in place (the same places iter_texts reads); every slot stays a string
    where it was, so the request keeps its structure."""
    for _, container, key in list(slots(data)):
        container[key] = fn(container[key])


def total_chars(data: dict[str, Any]) -> int:
    return sum(len(t) for t in iter_texts(data))


def request_headers(data: dict[str, Any]) -> dict[str, str]:
    """Lower-cased request headers as the proxy recorded them."""
    headers = (data.get("proxy_server_request") or {}).get("headers") or {}
    if not isinstance(headers, dict):
        return {}
    return {str(k).lower(): str(v) for k, v in headers.items()}


def request_metadata(data: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for key in ("litellm_metadata", "metadata"):
        value = data.get(key)
        if isinstance(value, dict):
            merged.update(value)
    return merged


table()  # read at import: a missing or broken table stops the proxy at start, not on a request
