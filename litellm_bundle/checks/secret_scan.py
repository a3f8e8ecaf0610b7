"""No literal secret anywhere in the sources: values, keys and comments, also in files that do not
parse. The detectors come from policies/secret_patterns.json (the redaction guardrail uses the
same ones at run time)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from litellm_bundle.core.problems import Location, PathKey, Problem
from litellm_bundle.core.yamlio import YamlDocument

Detector = tuple[str, str, re.Pattern[str]]  # name, description, pattern
Match = tuple[int, int, str, str]  # start, end, detector name, description

ADVICE = "declare a reference in config/secrets.yaml and write os.environ/NAME instead"


def _secret(pattern: re.Pattern[str], match: re.Match[str]) -> tuple[int, int]:
    """The secret inside a match: the named group that took part in it, else the whole match."""
    for group in pattern.groupindex:
        if match.start(group) >= 0:
            return match.span(group)
    return match.span()


def matches(text: str, detectors: list[Detector]) -> list[Match]:
    """Every secret in `text`, without overlaps: the earliest start wins, then the longest match,
    then the detector listed first (a more specific detector comes before a general one)."""
    found = [
        (*span, index, name, description)
        for index, (name, description, pattern) in enumerate(detectors)
        for span in (_secret(pattern, m) for m in pattern.finditer(text))
        if span[1] > span[0]
    ]
    out: list[Match] = []
    end = -1
    for start, stop, _, name, description in sorted(found, key=lambda f: (f[0], f[0] - f[1], f[2])):
        if start >= end:
            out.append((start, stop, name, description))
            end = stop
    return out


def _strings(node: Any, path: PathKey = ()) -> Iterator[tuple[PathKey, str, bool]]:
    """(path, text, is_key) of every string in plain data, keys included."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield path + (key,), str(key), True
            yield from _strings(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, path + (index,))
    elif isinstance(node, str):
        yield path, node, False


def _message(description: str, name: str, where: str) -> str:
    return f"literal secret ({description}, detector {name}) {where}; {ADVICE}"


def _line_col(text: str, index: int) -> tuple[int, int]:
    before = text[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def scan(file: str, text: str | None, doc: YamlDocument | None, detectors: list[Detector]) -> list[Problem]:
    """Problems for each literal secret of one source file: first every value and key (at its
    place, about that value), then the raw text for what no value holds (comments; files that
    could not be parsed)."""
    problems: list[Problem] = []
    covered: list[tuple[int, int]] = []
    if doc is not None:
        for path, value, is_key in _strings(doc.data):
            hits = matches(value, detectors)
            if not hits:
                continue
            _, _, name, description = hits[0]
            location = doc.locate(path) if is_key else doc.locate_value(path)
            problems.append(
                Problem(
                    location, _message(description, name, "in config"), check="literal-secret", subject=(file, path)
                )
            )
            covered.append(
                (location.line, location.line) if is_key else (doc.span(path) or (location.line, location.line))
            )
    if text is not None:
        lines = text.splitlines()
        for start, stop, name, description in matches(text, detectors):
            line, col = _line_col(text, start)
            if any(first <= line <= last for first, last in covered):
                continue
            before = lines[line - 1][: col - 1] if line <= len(lines) else ""
            where = (
                "in a comment (comments are committed like values)"
                if doc is not None and "#" in before
                else "in config"
            )
            problems.append(
                Problem(Location(file, line, col), _message(description, name, where), check="literal-secret")
            )
            covered.append((line, _line_col(text, stop)[0]))
    return problems
