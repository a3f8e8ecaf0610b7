"""Block-style YAML with comments: the comments a source file holds above a key (or list item) and
after its value, read from its text, and written back above / after the key they belong to in
another document (`import` moves a LiteLLM config.yaml's comments into the bundle's sources)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from litellm_bundle.core.problems import PathKey
from litellm_bundle.core.yamlio import YamlDocument, dump_yaml


@dataclass
class Comment:
    before: list[str] = field(default_factory=list)  # full-line comments above, without the "#"
    after: str | None = None  # the comment at the end of the key's line

    def __bool__(self) -> bool:
        return bool(self.before or self.after)


def _end_comment(line: str, start: int) -> str | None:
    """The comment at the end of `line` after the value starting at column `start` (0-based)."""
    index = start
    if index < len(line) and line[index] in "\"'":
        quote = line[index]
        index += 1
        while index < len(line):
            if line[index] == quote and not (quote == '"' and line[index - 1] == "\\"):
                break
            index += 1
    found = line.find(" #", index)
    if found < 0 and line[start:].startswith("#"):
        found = start - 1
    return line[found + 2 :].strip() if found >= 0 else None


def comments_of(doc: YamlDocument) -> tuple[list[str], dict[PathKey, Comment]]:
    """The file's leading comment block (before its first key, up to a blank line) and, per key or
    list item, the comments that belong to it."""
    lines = doc.text.splitlines()
    out: dict[PathKey, Comment] = {}
    taken: set[int] = set()
    ordered = sorted(doc._keys.items(), key=lambda item: item[1])
    last_on_line = {line: tuple(path) for path, (line, _) in ordered}  # a line's end comment is its last key's
    for path, (line, _col) in ordered:
        comment = Comment()
        above = line - 2
        while above >= 0 and lines[above].strip().startswith("#") and above not in taken:
            comment.before.insert(0, lines[above].strip()[1:].strip())
            taken.add(above)
            above -= 1
        value = doc._values.get(path)
        if last_on_line[line] != tuple(path):
            pass
        elif value is not None and value[0] == line and 0 < line <= len(lines):
            comment.after = _end_comment(lines[line - 1], value[1] - 1)
        elif 0 < line <= len(lines):
            comment.after = _end_comment(lines[line - 1], len(lines[line - 1].split(":", 1)[0]) + 1)
        if comment:
            out[tuple(path)] = comment
    header: list[str] = []
    first = min((pos[0] for pos in doc._keys.values()), default=len(lines) + 1)
    top = next((path for path, pos in ordered if pos[0] == first), None)
    if top is not None and top in out:  # the comments above the first key are the file's
        taken -= set(range(first - 1 - len(out[top].before), first - 1))
        out[top].before = []
    for number in range(first - 1):
        text = lines[number].strip()
        if text.startswith("#") and number not in taken:
            header.append(text[1:].strip())
        elif not text:
            header.append("")
    while header and not header[-1]:
        header.pop()
    return header, out


def scalar(value: Any) -> str:
    """A scalar (or an empty collection) as YAML writes it on one line."""
    if isinstance(value, str) and "\n" in value:
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (dict, list)) and not value:
        return "{}" if isinstance(value, dict) else "[]"
    if value is None or isinstance(value, (str, int, float)):
        return _known_scalar(type(value).__name__, value)
    return _dumped(value)


@lru_cache(maxsize=4096)
def _known_scalar(kind: str, value: Any) -> str:
    """_dumped, once per value and type (True == 1, 1 == 1.0: the type keeps them apart); an import emits the
    same keys and values thousands of times."""
    return _dumped(value)


def _dumped(value: Any) -> str:
    text = dump_yaml({"k": value})
    return text[3:].rstrip("\n").removesuffix("\n...")


def _is_leaf(value: Any) -> bool:
    return not isinstance(value, (dict, list)) or not value


def _comment_lines(comment: Comment | None, indent: str) -> list[str]:
    return [f"{indent}# {text}".rstrip() if text else f"{indent}#" for text in (comment.before if comment else [])]


def _eol(comment: Comment | None) -> str:
    return f"  # {comment.after}" if comment and comment.after else ""


def _mapping(data: dict[str, Any], path: PathKey, depth: int, comments: dict[PathKey, Comment]) -> list[str]:
    indent = "  " * depth
    out: list[str] = []
    for key, value in data.items():
        comment = comments.get(path + (key,))
        out += _comment_lines(comment, indent)
        if _is_leaf(value):
            out.append(f"{indent}{scalar(key)}: {scalar(value)}{_eol(comment)}")
            continue
        out.append(f"{indent}{scalar(key)}:{_eol(comment)}")
        out += (
            _mapping(value, path + (key,), depth + 1, comments)
            if isinstance(value, dict)
            else _sequence(value, path + (key,), depth + 1, comments)
        )
    return out


def _sequence(data: list[Any], path: PathKey, depth: int, comments: dict[PathKey, Comment]) -> list[str]:
    indent = "  " * depth
    out: list[str] = []
    for index, item in enumerate(data):
        comment = comments.get(path + (index,))
        out += _comment_lines(comment, indent)
        if isinstance(item, dict) and item:
            body = _mapping(item, path + (index,), depth + 1, comments)
            first = next(i for i, line in enumerate(body) if not line.lstrip().startswith("#"))
            out += body[:first]  # the first key's own comments go above the item
            out.append(f"{indent}- {body[first].lstrip()}{_eol(comment)}")
            out += body[first + 1 :]
        elif isinstance(item, list) and item:
            out.append(f"{indent}- {json.dumps(item, ensure_ascii=False)}{_eol(comment)}")
        else:
            out.append(f"{indent}- {scalar(item)}{_eol(comment)}")
    return out


def emit(data: dict[str, Any], comments: dict[PathKey, Comment] | None = None, header: list[str] | None = None) -> str:
    """`data` as block-style YAML, with `comments` at their paths and a `header` comment block."""
    lines = [f"# {text}".rstrip() if text else "#" for text in header or []]
    lines += [""] if lines else []
    lines += _mapping(data, (), 0, comments or {})
    return "\n".join(lines) + "\n"
