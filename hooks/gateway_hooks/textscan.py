"""Scanning prompt text without stalling the proxy: the secret detectors run over bounded windows, the
banned keywords match over normalised text, and the work is cut into steps of about WINDOW characters,
so the guardrails' async hook gives the event loop back between steps (docs/hooks.md, "Scanning cost").

A step is a generator that yields between bounded pieces of work and returns its result: `run` does it
at once, `drive` awaits between the pieces. A worker thread would not help: Python's `re` and
`unicodedata` hold the GIL for a whole call, so what bounds a stall is the size of each call."""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections.abc import Callable, Generator, Iterable
from functools import lru_cache
from typing import TypeVar, cast

T = TypeVar("T")
Steps = Generator[None, None, T]
Span = tuple[int, int, str]  # start, end, detector

WINDOW = 1 << 16  # characters per step; each regex call starts its matches inside one window
OVERLAP = 1 << 14  # how far a window's view reaches past it: a match this long is found whole in one view
REACH = 256  # a match that ends this close to the end of its view may go on: it is matched again in full


def run(steps: Steps[T]) -> T:
    """All steps at once."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return cast("T", done.value)


async def drive(steps: Steps[T]) -> T:
    """All steps, giving the event loop back between them."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return cast("T", done.value)
        await asyncio.sleep(0)


def each_distinct(texts: Iterable[str], scan: Callable[[str], Steps[T]]) -> Steps[dict[str, T]]:
    """scan(text) of every distinct text, a step every WINDOW characters or so."""
    results: dict[str, T] = {}
    done = 0
    for text in texts:
        if text in results:
            continue
        results[text] = yield from scan(text)
        done += len(text)
        if done >= WINDOW:
            done = 0
            yield
    return results


def secret_span(pattern: re.Pattern[str], match: re.Match[str]) -> tuple[int, int]:
    """The secret inside a match: the named group that took part in it, else the whole match
    (policies/secret_patterns.json)."""
    for name in pattern.groupindex:
        if match.start(name) >= 0:
            return match.span(name)
    return match.span()


def _windows(n: int, window: int, overlap: int) -> Iterable[tuple[int, int]]:
    """(start, stop) of the windows over a text of n characters; the last one takes what is left
    when that fits one view."""
    start = 0
    while start < n:
        stop = n if n - start <= window + overlap else start + window
        yield start, stop
        start = stop


class SecretScanner:
    """Finds the detectors' secrets in a text, as `pattern.finditer` over the whole text finds them,
    one window at a time: a search starts its matches in [start, stop) and looks at most `overlap`
    characters further; a match that ends within `reach` of that view's end is matched again over
    the whole text (a private key block, a long token), so a secret is cut by no window. Overlaps
    between detectors are resolved once: the earliest start, then the longest, then the detector
    listed first; each kept match is replaced once and never scanned again."""

    def __init__(
        self, detectors: dict[str, str], window: int = WINDOW, overlap: int = OVERLAP, reach: int = REACH
    ) -> None:
        self.detectors = [(name, re.compile(pattern)) for name, pattern in detectors.items()]
        self.window, self.overlap, self.reach = window, overlap, reach

    def scan(self, text: str) -> Steps[list[Span]]:
        n = len(text)
        kept: list[Span] = []
        resume = [0] * len(self.detectors)  # where each detector's next search starts (after its last match)
        for start, stop in _windows(n, self.window, self.overlap):
            view = min(n, stop + self.overlap)
            found: list[tuple[int, int, int, str]] = []  # every match starts in this window: resolved with it
            for index, (name, pattern) in enumerate(self.detectors):
                pos = max(resume[index], start)
                while pos < stop:
                    match = pattern.search(text, pos, view)
                    if match is None or match.start() >= stop:
                        break
                    if view < n and match.end() + self.reach > view:
                        whole = pattern.match(text, match.start())
                        if whole is None:
                            pos = match.start() + 1
                            continue
                        match = whole
                    begin, end = secret_span(pattern, match)
                    if end > begin:
                        found.append((begin, end, index, name))
                    pos = max(match.end(), match.start() + 1)
                resume[index] = pos
            last = kept[-1][1] if kept else -1
            for begin, end, _, name in sorted(found, key=lambda f: (f[0], f[0] - f[1], f[2])):
                if begin >= last:
                    kept.append((begin, end, name))
                    last = end
            if stop < n:
                yield
        return kept

    def spans(self, text: str) -> list[Span]:
        return run(self.scan(text))

    def find(self, text: str) -> list[str]:
        return sorted({name for _, _, name in self.spans(text)})

    @staticmethod
    def replace(text: str, spans: list[Span]) -> Steps[tuple[str, dict[str, int]]]:
        """`text` with each span replaced by [REDACTED:<detector>], and how many of each detector."""
        parts: list[str] = []
        counts: dict[str, int] = {}
        last = 0
        for start, stop, name in spans:
            parts += [text[last:start], f"[REDACTED:{name}]"]
            last = stop
            counts[name] = counts.get(name, 0) + 1
            if len(parts) % (WINDOW >> 4) == 0:
                yield
        parts.append(text[last:])
        return "".join(parts), counts

    def redact(self, text: str, hits: dict[str, int]) -> str:
        """`text` redacted at once; adds the replacements to `hits`."""
        redacted, counts = run(self.replace(text, self.spans(text)))
        for name, count in counts.items():
            hits[name] = hits.get(name, 0) + count
        return redacted


# Default-ignorable code points that are not format characters (Unicode's DerivedCoreProperties:
# combining grapheme joiner, Hangul fillers, Khmer inherent vowels, Mongolian and other variation
# selectors, the tag and variation-selector block); every format character (category Cf) goes too.
_IGNORABLE_EXTRA = (
    (0x034F, 0x034F),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFFA0, 0xFFA0),
    (0xE0000, 0xE0FFF),
)
_FORMAT_PLANES = (range(0x0, 0x20000), range(0xE0000, 0xE1000))  # where category Cf has code points


@lru_cache(maxsize=1)
def _invisible() -> re.Pattern[str]:
    """Format characters and other default-ignorable code points, as one character class of ranges."""
    points = sorted(
        {c for plane in _FORMAT_PLANES for c in plane if unicodedata.category(chr(c)) == "Cf"}
        | {c for first, last in _IGNORABLE_EXTRA for c in range(first, last + 1)}
    )
    ranges: list[list[int]] = []
    for c in points:
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    return re.compile("[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges) + "]+")


def _fold(piece: str) -> str:
    """NFKC, case folded, without invisible characters (whitespace not yet collapsed)."""
    if piece.isascii():  # nothing to compose, no invisible character
        return piece.casefold()
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", piece).casefold())
    return _invisible().sub("", folded)


def _cut(text: str, limit: int) -> int:
    """Where to end a piece near `limit` so that normalising the pieces one by one gives what normalising
    the text at once gives: after a whitespace character, else before an ASCII one (neither composes with
    its neighbours), else at `limit`."""
    if limit >= len(text):
        return len(text)
    floor = max(1, limit - REACH)
    for i in range(limit, floor, -1):
        if text[i - 1].isspace():
            return i
    for i in range(limit, floor, -1):
        if text[i].isascii():
            return i
    return limit


def normalise(text: str) -> Steps[str]:
    """`text` as banned keywords are matched against it: NFKC, case folded, without format and other
    invisible characters, every run of whitespace one space, no space at either end. A step per WINDOW."""
    words: list[str] = []
    space = False  # whether whitespace came last
    start = 0
    while start < len(text):
        stop = _cut(text, start + WINDOW)
        piece = _fold(text[start:stop])
        start = stop
        parts = piece.split()
        if parts:
            if words and (space or piece[0].isspace()):
                words.append(" ")
            words.append(" ".join(parts))
            space = piece[-1].isspace()
        elif piece:
            space = True
        if start < len(text):
            yield
    return "".join(words)


class KeywordMatcher:
    """Banned keywords found in the normalised text of a whole request (its texts joined by a space), so
    case, Unicode compatibility forms, zero-width characters, repeated whitespace or a split across
    messages do not hide one. Substring search, linear in the text."""

    def __init__(self, keywords: Iterable[str]) -> None:
        _invisible()  # built once, at start
        self.keywords = sorted({folded for folded in (run(normalise(k)) for k in keywords) if folded})

    def search(self, texts: list[str]) -> Steps[bool]:
        folded = yield from each_distinct(texts, normalise)
        whole = " ".join(f for f in (folded[t] for t in texts) if f)
        return any(keyword in whole for keyword in self.keywords)
