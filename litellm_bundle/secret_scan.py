"""No literal secret anywhere in the sources: detectors come from policies/secret_patterns.json."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from .problems import Problem
from .yamlio import PathKey, YamlDocument

Detector = tuple[str, str, re.Pattern[str]]  # name, description, pattern


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


def scan(doc: YamlDocument, detectors: list[Detector]) -> list[Problem]:
    problems = []
    for path, text in _strings(doc.data):
        for name, description, pattern in detectors:
            if pattern.search(text):
                problems.append(Problem(
                    doc.locate_value(path),
                    f"literal secret ({description}, detector {name}) in config; "
                    "declare a reference in config/secrets.yaml and write os.environ/NAME instead",
                ))
                break
    return problems
