"""No literal secret anywhere in config/: detectors come from policies/secret_patterns.json."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from . import paths
from .problems import Problem
from .yamlio import PathKey, YamlDocument


@lru_cache(maxsize=None)
def detectors(file: Path = paths.SECRET_PATTERNS_FILE) -> dict[str, dict[str, str]]:
    return json.loads(file.read_text(encoding="utf-8"))["detectors"]


@lru_cache(maxsize=None)
def _compiled(file: Path = paths.SECRET_PATTERNS_FILE) -> list[tuple[str, str, re.Pattern[str]]]:
    return [(name, d["description"], re.compile(d["pattern"])) for name, d in detectors(file).items()]


def _strings(node: Any, path: PathKey = ()) -> Iterator[tuple[PathKey, str]]:
    if isinstance(node, CommentedMap):
        for key, value in node.items():
            if isinstance(key, str):
                yield path + (key,), key
            yield from _strings(value, path + (key,))
    elif isinstance(node, CommentedSeq):
        for index, value in enumerate(node):
            yield from _strings(value, path + (index,))
    elif isinstance(node, str):
        yield path, node


def scan(doc: YamlDocument) -> list[Problem]:
    problems = []
    for path, text in _strings(doc.data):
        for name, description, pattern in _compiled():
            if pattern.search(text):
                problems.append(Problem(
                    doc.locate_value(path),
                    f"literal secret ({description}, detector {name}) in config; "
                    "declare a reference in config/secrets.yaml and write os.environ/NAME instead",
                ))
                break
    return problems
