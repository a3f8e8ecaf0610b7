"""YAML in (with a position for every key and value) and out (deterministic).

Reading never raises on bad input: any file (empty, binary, huge, not UTF-8, deeply nested, with
several documents, duplicate keys, tags, aliases or merge keys) gives data or located problems.
Values are plain JSON data (dict, list, str, int, float, bool, None); a YAML value that is not
(a date, a binary, a set, a custom tag, .inf) is a problem at its place, and kept as the text
written so that later checks do not trip over it."""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import ComposerError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from litellm_bundle.core.problems import Location, PathKey, Problem

MAX_BYTES = 1024 * 1024  # a config file is a few KB; anything near this is not a config file
MAX_DEPTH = 64  # nesting levels (the deepest shipped file has 8)
MAX_NODES = 200_000  # values after expanding aliases (guards against alias bombs)

_TAG = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL, MERGE = (_TAG + t for t in ("str", "int", "float", "bool", "null", "merge"))
_KINDS = {
    _TAG + "timestamp": "a date",
    _TAG + "binary": "binary data",
    _TAG + "set": "a set",
    _TAG + "omap": "an ordered map",
    _TAG + "pairs": "a list of pairs",
    _TAG + "value": "a value key",
}
_BOMS = {b"\x00\x00\xfe\xff": "UTF-32", b"\xff\xfe\x00\x00": "UTF-32", b"\xfe\xff": "UTF-16", b"\xff\xfe": "UTF-16"}

Pos = tuple[int, int]  # 1-based line, column


class YamlDocument:
    """A loaded YAML file: plain data and where each key and value sits in the file."""

    def __init__(
        self,
        file: str,
        data: Any,
        keys: dict[PathKey, Pos] | None = None,
        values: dict[PathKey, Pos] | None = None,
        spans: dict[PathKey, tuple[int, int]] | None = None,
        text: str = "",
    ):
        self.file = file
        self.data = data
        self.text = text
        self._keys = keys or {}
        self._values = values or {}
        self._spans = spans or {}

    def _existing(self, path: PathKey) -> PathKey:
        """The longest prefix of `path` that exists in the data."""
        node = self.data
        for index, part in enumerate(path):
            if (isinstance(node, dict) and isinstance(part, str) and part in node) or (
                isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
            ):
                node = node[part]  # type: ignore[index]  # str parts meet dicts only (checked above)
            else:
                return path[:index]
        return path

    def locate(self, path: PathKey) -> Location:
        """Position of the deepest existing entry along `path`: its key (a mapping entry) or
        its item (a list entry); the top of the file for the root."""
        found = self._existing(tuple(path))
        line, col = self._keys.get(found) or self._values.get(found) or (1, 1)
        return Location(self.file, line, col)

    def locate_value(self, path: PathKey) -> Location:
        """Position of the value at `path` when it exists, else as locate()."""
        path = tuple(path)
        found = self._existing(path)
        if found == path and path in self._values:
            line, col = self._values[path]
            return Location(self.file, line, col)
        return self.locate(path)

    def subject(self, path: PathKey) -> tuple[str, PathKey]:
        """What a problem at `path` is about (this file, that path)."""
        return (self.file, tuple(path))

    def because(self, path: PathKey) -> tuple[tuple[str, PathKey], ...]:
        return ()

    def span(self, path: PathKey) -> tuple[int, int] | None:
        """First and last line of the value at `path` (as written)."""
        return self._spans.get(tuple(path))

    def node_at(self, path: PathKey) -> Any:
        node = self.data
        for part in path:
            node = node[part]
        return node


def _pos(mark: Any) -> Pos:
    return (mark.line + 1, mark.column + 1)


def _span(node: Node) -> tuple[int, int]:
    """First and last line (1-based) of a node; an end at column 0 belongs to the line before."""
    last = max(node.start_mark.line, node.end_mark.line - (node.end_mark.column == 0))
    return (node.start_mark.line + 1, last + 1)


class _Fatal(Exception):
    """The document cannot be turned into data at all (a root problem)."""

    def __init__(self, pos: Pos, message: str):
        super().__init__(message)
        self.pos = pos
        self.message = message


@dataclass
class _Builder:
    """Turns composed YAML nodes into plain data, recording positions and problems."""

    file: str
    construct: Any  # ruamel's SafeConstructor of the YAML instance that composed the nodes
    keys: dict[PathKey, Pos] = field(default_factory=dict)
    values: dict[PathKey, Pos] = field(default_factory=dict)
    spans: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    duplicates: list[Problem] = field(default_factory=list)
    count: int = 0
    active: set[int] = field(default_factory=set)

    def problem(self, pos: Pos, message: str, path: PathKey) -> None:
        self.problems.append(Problem(Location(self.file, *pos), message, check="yaml-value", subject=(self.file, path)))

    def build(self, node: Node, path: PathKey, depth: int = 0) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _Fatal(
                _pos(node.start_mark),
                f"the document expands to more than {MAX_NODES} values (aliases); a config file is far smaller",
            )
        if depth > MAX_DEPTH:
            raise _Fatal(
                _pos(node.start_mark), f"nesting deeper than {MAX_DEPTH} levels; config files nest a few levels"
            )
        self.values[path] = _pos(node.start_mark)
        self.spans[path] = _span(node)
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        if id(node) in self.active:
            raise _Fatal(
                _pos(node.start_mark), "an alias refers to the mapping or list that contains it (a recursive alias)"
            )
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return self.sequence(node, path, depth)
            if isinstance(node, MappingNode):
                return self.mapping(node, path, depth)
        finally:
            self.active.discard(id(node))
        raise _Fatal(_pos(node.start_mark), f"unsupported YAML node {type(node).__name__}")

    def scalar(self, node: ScalarNode, path: PathKey) -> Any:
        text = str(node.value)
        tag = node.tag
        if tag == STR:
            return text
        if tag == NULL:
            return None
        if tag in (INT, FLOAT, BOOL):
            try:
                value = {
                    INT: self.construct.construct_yaml_int,
                    FLOAT: self.construct.construct_yaml_float,
                    BOOL: self.construct.construct_yaml_bool,
                }[tag](node)
            except (ValueError, KeyError, OverflowError):
                self.problem(
                    _pos(node.start_mark),
                    f"{text[:20]}... is too large a number to read ({len(text)} characters); quote it if it is text",
                    path,
                )
                return text
            if isinstance(value, float) and not math.isfinite(value):
                self.problem(_pos(node.start_mark), f"{text} is not a finite number; config numbers are finite", path)
                return text
            return value
        kind = _KINDS.get(tag or "", f"a value tagged {tag}")
        shown = text if len(text) <= 40 else text[:37] + "..."
        hint = (
            f'; quote it to mean the text: "{shown}"'
            if tag == _TAG + "timestamp"
            else "; remove the tag (config values are text, numbers, booleans, lists and mappings)"
        )
        self.problem(_pos(node.start_mark), f"{shown} is read as {kind}{hint}", path)
        return text

    def sequence(self, node: SequenceNode, path: PathKey, depth: int) -> list[Any]:
        out = []
        for index, item in enumerate(node.value):
            self.keys[path + (index,)] = _pos(item.start_mark)
            out.append(self.build(item, path + (index,), depth + 1))
        return out

    def mapping(self, node: MappingNode, path: PathKey, depth: int) -> dict[str, Any]:
        explicit: dict[str, Any] = {}
        first: dict[str, Pos] = {}
        merged: dict[str, Any] = {}
        merge_pos: dict[str, Pos] = {}
        entries = []
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.tag == MERGE:
                for source in self.merge_sources(value_node, path):
                    sub = self.build(source, path, depth + 1)
                    for key, value in sub.items():
                        if key not in merged:
                            merged[key] = value
                            merge_pos[key] = _pos(key_node.start_mark)
                continue
            if not isinstance(key_node, ScalarNode):
                self.problem(_pos(key_node.start_mark), "a mapping key must be plain text, not a list or mapping", path)
                continue
            key = str(key_node.value)
            if key in first:
                line, _ = first[key]
                self.duplicates.append(
                    Problem(
                        Location(self.file, *_pos(key_node.start_mark)),
                        f"duplicate key '{key}' (first defined at line {line}); each key may appear once in a mapping",
                        check="yaml-duplicate-key",
                        subject=(self.file, ()),
                    )
                )
                continue
            first[key] = _pos(key_node.start_mark)
            entries.append((key, key_node, value_node))
        for key, key_node, value_node in entries:
            self.keys[path + (key,)] = _pos(key_node.start_mark)
            explicit[key] = self.build(value_node, path + (key,), depth + 1)
        for key, pos in merge_pos.items():
            if key not in explicit:
                self.keys[path + (key,)] = pos  # a merged key sits where it is merged in
        self.values[path] = _pos(node.start_mark)  # merged mappings were built at this path too
        self.spans[path] = _span(node)
        return {**explicit, **{k: v for k, v in merged.items() if k not in explicit}}

    def merge_sources(self, value: Node, path: PathKey) -> list[MappingNode]:
        """The mappings a merge key (`<<: *anchor` or `<<: [*a, *b]`) merges in."""
        if isinstance(value, MappingNode):
            return [value]
        if isinstance(value, SequenceNode) and all(isinstance(v, MappingNode) for v in value.value):
            return list(value.value)
        self.problem(
            _pos(value.start_mark), "a merge key `<<` takes a mapping or a list of mappings (e.g. <<: *defaults)", path
        )
        return []


def _line_col(text: str, index: int) -> Pos:
    before = text[:index]
    return (before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1)


def _fatal(file: str, pos: Pos, message: str, check: str = "yaml-syntax") -> Problem:
    return Problem(Location(file, *pos), message, check=check, subject=(file, ()))


def _unreadable(file: str, pos: Pos, message: str) -> Problem:
    return _fatal(file, pos, message, check="file-unreadable")


def read_source(path: Path, shown_as: str) -> tuple[str | None, list[Problem]]:
    """The text of a source file, or the problem that keeps it from being YAML text at all."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return None, [
                _unreadable(
                    shown_as,
                    (1, 1),
                    f"file is {size / 1e6:.1f} MB; a config file may be at most {MAX_BYTES // 1024} KB",
                )
            ]
        raw = path.read_bytes()
    except OSError as exc:
        return None, [_unreadable(shown_as, (1, 1), f"cannot read file: {exc.strerror or exc}")]
    for bom, name in _BOMS.items():
        if raw.startswith(bom):
            return None, [_unreadable(shown_as, (1, 1), f"file is {name} text; save it as UTF-8")]
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        return None, [
            _unreadable(
                shown_as,
                (line, nul - (raw.rfind(b"\n", 0, nul) + 1) + 1),
                "file is binary (it contains a NUL byte); config files are UTF-8 YAML text",
            )
        ]
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        start = exc.start
        line = raw.count(b"\n", 0, start) + 1
        line_start = raw.rfind(b"\n", 0, start) + 1
        col = len(raw[line_start:start].decode("utf-8", errors="replace")) + 1
        return None, [
            _unreadable(
                shown_as,
                (line, col),
                f"file is not UTF-8 text (byte 0x{raw[start]:02x} is not valid UTF-8 here); save it as UTF-8",
            )
        ]


def _parser() -> YAML:
    return YAML(typ="safe", pure=True)


SECOND_DOCUMENT = (
    "a second YAML document starts here; a config file holds one document "
    "(remove this `---` and what follows, or merge it into the first)"
)


def _too_deep(text: str, shown_as: str) -> Problem:
    """Where nesting first gets too deep, from the parser's events (no recursion: the composer's
    recursion is what gave up)."""
    depth = 0
    for event in _parser().parse(text):
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return _fatal(
                    shown_as,
                    _pos(event.start_mark),
                    f"nesting deeper than {MAX_DEPTH} levels; config files nest a few levels",
                )
        elif isinstance(event, CollectionEndEvent):
            depth -= 1
    return _fatal(shown_as, (1, 1), f"nesting deeper than {MAX_DEPTH} levels; config files nest a few levels")


def _syntax_problem(exc: MarkedYAMLError, shown_as: str) -> Problem:
    if isinstance(exc, ComposerError) and "single document" in str(exc.context or "") and exc.problem_mark is not None:
        return _fatal(shown_as, _pos(exc.problem_mark), SECOND_DOCUMENT)
    # the construct that was left open (context) is where the edit went wrong; else where parsing stopped
    mark = exc.context_mark or exc.problem_mark
    stopped = f" (parser stopped at line {exc.problem_mark.line + 1})" if exc.context_mark and exc.problem_mark else ""
    what = " ".join(filter(None, [exc.context, exc.problem])) + stopped
    pos = _pos(mark) if mark is not None else (1, 1)
    return _fatal(shown_as, pos, f"YAML syntax error: {what}")


@lru_cache(maxsize=64)
def _composed(text: str) -> tuple[YAML, Node | None]:
    """The node tree of a text and the parser that composed it (its constructor reads the scalars). The same text
    composes to the same tree, which the builder only reads: a process that validates one tree many times (the
    tests, `diff`) composes each unchanged file once. A text that fails to compose raises, every time."""
    yaml = _parser()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. a reused anchor: legal YAML
        return yaml, yaml.compose(text)


def parse_yaml(text: str, shown_as: str) -> tuple[YamlDocument | None, list[Problem]]:
    """Parse YAML text. A document that cannot be read as data at all comes back as None with
    its root problem(s); otherwise the document, and problems about single values."""
    try:
        yaml, root = _composed(text)
    except RecursionError:
        return None, [_too_deep(text, shown_as)]
    except ReaderError as exc:
        char = f"#x{exc.character:04x}" if isinstance(exc.character, int) else repr(exc.character)
        return None, [
            _fatal(
                shown_as, _line_col(text, int(exc.position)), f"character {char} is not allowed in YAML ({exc.reason})"
            )
        ]
    except MarkedYAMLError as exc:
        return None, [_syntax_problem(exc, shown_as)]
    except (YAMLError, ValueError) as exc:
        return None, [_fatal(shown_as, (1, 1), f"YAML cannot be read: {exc}")]
    if root is None:
        return YamlDocument(shown_as, {}, text=text), []
    builder = _Builder(shown_as, yaml.constructor)
    try:
        data = builder.build(root, ())
    except _Fatal as exc:
        return None, [_fatal(shown_as, exc.pos, exc.message)]
    if builder.duplicates:
        return None, builder.duplicates
    return YamlDocument(shown_as, data, builder.keys, builder.values, builder.spans, text), builder.problems


def load_yaml(path: Path, shown_as: str) -> tuple[YamlDocument | None, list[Problem]]:
    """Read and parse a YAML file; every problem with it comes back located."""
    text, problems = read_source(path, shown_as)
    if text is None:
        return None, problems
    return parse_yaml(text, shown_as)


def plain(data: Any) -> Any:
    """Plain JSON data (dicts, lists, scalars) of a loaded document, as a fresh copy."""
    if isinstance(data, dict):
        return {str(k): plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [plain(v) for v in data]
    return data


def dump_yaml(data: Any) -> str:
    """Deterministic block-style YAML of plain data (key order as given)."""
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.representer.add_representer(str, _represent_str)
    yaml.representer.add_representer(float, _represent_float)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _represent_float(representer: Any, value: float) -> Any:
    """A float in exponent form with a dot in its mantissa (5.0e-06): YAML 1.1 readers (PyYAML, LiteLLM's
    loader) read 5e-06 as a string."""
    text = repr(value)
    if math.isfinite(value) and "e" in text and "." not in text.split("e", 1)[0]:
        mantissa, exponent = text.split("e", 1)
        return representer.represent_scalar("tag:yaml.org,2002:float", f"{mantissa}.0e{exponent}")
    return representer.represent_float(value)


def _represent_str(representer: Any, value: str) -> Any:
    style = "|" if "\n" in value else None
    return representer.represent_scalar("tag:yaml.org,2002:str", value, style=style)
