"""Anthropic's prompt caching, simulated: blocks marked `cache_control` end a cacheable prefix
(tools, then system, then messages). The longest prefix seen before is read from the cache, the rest
up to the last mark is written to it, and only what follows the last mark counts as input_tokens.
Unlike Anthropic there is no minimum length and no expiry; DELETE /_fake/requests forgets the cache."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from .common import Json, listed, mapping, texts, tokens

CACHE_LIMIT = 10000


@dataclass
class Segment:
    text: str  # what counts as tokens
    key: str  # what the cache matches: the block without its cache_control
    marked: bool


@dataclass
class CacheUsage:
    input_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int


def as_blocks(content: Any) -> list[Any]:
    """A system prompt or a message's content as blocks: a string is one text block."""
    return [{"type": "text", "text": content}] if isinstance(content, str) else listed(content)


def segments(body: Json) -> list[Segment]:
    system = body.get("system")
    blocks: list[Any] = [*listed(body.get("tools")), *as_blocks(system)]
    for message in listed(body.get("messages")):
        content = mapping(message).get("content")
        blocks += as_blocks(content)
    found = []
    for block in blocks:
        fields = {k: v for k, v in mapping(block).items() if k != "cache_control"}
        said = " ".join(texts(fields)) or json.dumps(fields)
        found.append(Segment(said, json.dumps(fields, sort_keys=True), "cache_control" in mapping(block)))
    return found


def usage(cached: set[str], body: Json) -> CacheUsage:
    """The request's input split into cache reads, cache writes and plain input; the prefixes remembered."""
    found = segments(body)
    digest = hashlib.sha256()
    prefixes = []
    for segment in found:
        digest.update(segment.key.encode())
        prefixes.append(digest.hexdigest())
    marks = [i for i, s in enumerate(found) if s.marked]
    last = marks[-1] if marks else -1
    read = next((i for i in reversed(marks) if prefixes[i] in cached), -1)

    def counted(part: list[Segment]) -> int:
        return tokens(" ".join(s.text for s in part)) if part else 0

    if len(cached) > CACHE_LIMIT:
        cached.clear()
    cached.update(prefixes[i] for i in marks)
    return CacheUsage(
        input_tokens=max(1, counted(found[last + 1 :])),
        cache_creation_input_tokens=counted(found[read + 1 : last + 1]),
        cache_read_input_tokens=counted(found[: read + 1]),
    )
