"""Owned-path globs: validate them, match paths, and decide exactly whether two can share a path.

Patterns are git-style, on '/'-separated repository-relative paths:

- `*` is any run of characters except '/', `?` is one character except '/';
- `[abc]`, `[a-z]`, `[!x]` (or `[^x]`) are character classes; a `]` right after `[` or `[!`
  is a member; there are no backslash escapes (write `[*]` for a literal '*');
- `**` as a whole segment is zero or more segments, so `src/**` also matches `src` itself;
  elsewhere `**` is the same as `*`;
- a pattern ending in '/' means everything below it: `dir/` is `dir/**`;
- a pattern without wildcards names a path and, should it be a directory, everything below it:
  `src/app` covers `src/app` and `src/app/x.py`. A task that owns a folder owns its contents.

Paths are never empty and have no empty segments; `overlap` decides over exactly those paths.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

STAR = "*"  # token: any run of characters except '/'
DSTAR = "**"  # segment: zero or more segments
MAX_CHAR = 0x10FFFF
SLASH = ord("/")

Ranges = tuple[tuple[int, int], ...]  # sorted, disjoint, inclusive code-point ranges
Token = str | Ranges  # STAR or a set of characters
Segment = str | tuple[Token, ...]  # DSTAR or a sequence of tokens

ANY: Ranges = ((0, SLASH - 1), (SLASH + 1, MAX_CHAR))
_WILD = frozenset("*?[")


class Glob(NamedTuple):
    """A checked pattern: the plain path when it has no wildcards, and its leading plain part."""

    literal: str | None
    prefix: tuple[str, ...]  # the leading segments without wildcards
    above: tuple[str, ...]  # for a plain path, every folder strictly above it


def validate(pattern: str) -> str | None:
    """What is wrong with `pattern`, in plain words, or None when it is a valid glob."""
    try:
        parse(pattern)
    except ValueError as exc:
        return str(exc)
    return None


def matches(pattern: str, path: str) -> bool:
    """Whether `path` is covered by `pattern`."""
    return compile_glob(pattern).fullmatch(path) is not None


def overlap(a: str, b: str) -> bool:
    """Whether some path is covered by both patterns (exact, not a heuristic)."""
    ga, gb = parse(a), parse(b)
    if ga.literal is not None and gb.literal is not None:
        return _nested(ga.literal, gb.literal)
    if any(x != y for x, y in zip(ga.prefix, gb.prefix, strict=False)):
        return False
    if ga.literal is not None and matches(b, ga.literal):
        return True
    if gb.literal is not None and matches(a, gb.literal):
        return True
    return _overlap(*sorted((a, b)))


def sets_overlap(a: Sequence[str], b: Sequence[str]) -> bool:
    """Whether any pattern of `a` overlaps any pattern of `b`."""
    return _footprint(tuple(a)).overlaps(_footprint(tuple(b)))


class Footprint(NamedTuple):
    """Patterns prepared for repeated overlap checks: plain paths go by set look-ups."""

    paths: frozenset[str]  # the plain paths
    above: frozenset[str]  # every folder strictly above one of them
    wild: tuple[str, ...]  # the patterns with wildcards

    def plus(self, other: Footprint) -> Footprint:
        """The footprint of both pattern sets together."""
        return Footprint(self.paths | other.paths, self.above | other.above, self.wild + other.wild)

    def overlaps(self, other: Footprint) -> bool:
        """Whether some path is covered by both footprints."""
        if not (
            self.paths.isdisjoint(other.paths)
            and self.paths.isdisjoint(other.above)
            and self.above.isdisjoint(other.paths)
        ):
            return True
        return any(overlap(w, p) for w in self.wild for p in (*other.wild, *other.paths)) or any(
            overlap(p, w) for p in self.paths for w in other.wild
        )


def footprint(patterns: Sequence[str]) -> Footprint:
    """The footprint of valid patterns."""
    globs = [parse(p) for p in patterns]
    paths = frozenset(g.literal for g in globs if g.literal is not None)
    above = frozenset(folder for g in globs for folder in g.above)
    wild = tuple(p for p, g in zip(patterns, globs, strict=True) if g.literal is None)
    return Footprint(paths, above, wild)


_footprint = lru_cache(maxsize=4096)(footprint)


@lru_cache(maxsize=8192)
def parse(pattern: str) -> Glob:
    """A valid pattern's plain parts; ValueError saying what is wrong when it is not valid."""
    if not pattern:
        raise ValueError("the pattern is empty")
    if "\\" in pattern:
        raise ValueError(
            f"{pattern!r} has a backslash: separate folders with '/' (and write '[*]' for '*')"
        )
    if pattern.startswith("/"):
        raise ValueError(f"{pattern!r} is absolute: write it relative to the repository root")
    parts = (pattern[:-1] if pattern.endswith("/") else pattern).split("/")
    column = 0  # where each segment starts in the whole pattern, for error messages
    for seg in parts:
        if not seg:
            raise ValueError(f"{pattern!r} has an empty folder name ('//')")
        if seg in (".", ".."):
            raise ValueError(
                f"{pattern!r} has a {seg!r} segment: write the path from the repository root"
            )
        if "[" in seg:
            try:
                _tokens(seg, column)
            except ValueError as exc:
                raise ValueError(f"{pattern!r}: {exc}") from None
        column += len(seg) + 1
    plain = next((k for k, p in enumerate(parts) if _WILD & set(p)), len(parts))
    if plain < len(parts):
        return Glob(None, tuple(parts[:plain]), ())
    return Glob(
        "/".join(parts), tuple(parts), tuple("/".join(parts[:k]) for k in range(1, len(parts)))
    )


@lru_cache(maxsize=8192)
def _segments(pattern: str) -> tuple[Segment, ...]:
    """A valid pattern's segments, with a plain path or a trailing '/' ending in `**`."""
    glob = parse(pattern)
    parts = pattern.rstrip("/").split("/")
    segments: list[Segment] = [DSTAR if p == DSTAR else _tokens(p) for p in parts]
    if pattern.endswith("/") or glob.literal is not None:
        segments.append(DSTAR)
    return tuple(s for k, s in enumerate(segments) if not (k and s == DSTAR == segments[k - 1]))


def _nested(x: str, y: str) -> bool:
    """Whether two plain paths are equal or one lies below the other."""
    return x == y or y.startswith(x + "/") or x.startswith(y + "/")


def _tokens(seg: str, column: int = 0) -> tuple[Token, ...]:
    """One segment's tokens; ValueError on an unclosed class or a backwards range.

    `column` is where the segment starts in its pattern, so an error can point into the pattern.
    """
    out: list[Token] = []
    i = 0
    while i < len(seg):
        c = seg[i]
        if c == "*":
            if not out or out[-1] != STAR:
                out.append(STAR)
            i += 1
        elif c == "?":
            out.append(ANY)
            i += 1
        elif c == "[":
            ranges, i = _char_class(seg, i, column)
            out.append(ranges)
        else:
            out.append(((ord(c), ord(c)),))
            i += 1
    return tuple(out)


def _char_class(seg: str, start: int, column: int = 0) -> tuple[Ranges, int]:
    """The class opening at `seg[start]`, and the index just past its ']'."""
    i = start + 1
    negate = seg[i : i + 1] in ("!", "^")
    i += negate
    end = seg.find("]", i + 1)
    if end < 0:
        raise ValueError(f"'[' at column {column + start + 1} is never closed with ']'")
    body, pairs, k = seg[i:end], [], 0
    while k < len(body):
        if k + 2 < len(body) and body[k + 1] == "-":
            lo, hi = ord(body[k]), ord(body[k + 2])
            if lo > hi:
                raise ValueError(f"range {body[k : k + 3]!r} runs backwards")
            pairs.append((lo, hi))
            k += 3
        else:
            pairs.append((ord(body[k]), ord(body[k])))
            k += 1
    chosen = _complement(_normal(pairs)) if negate else _normal(pairs)
    return _intersect(chosen, ANY), end + 1  # no segment contains '/'


def _normal(pairs: list[tuple[int, int]]) -> Ranges:
    """Ranges sorted and merged."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(pairs):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(hi, out[-1][1]))
        else:
            out.append((lo, hi))
    return tuple(out)


def _complement(ranges: Sequence[tuple[int, int]]) -> Ranges:
    """Every code point not in `ranges`."""
    out, nxt = [], 0
    for lo, hi in ranges:
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= MAX_CHAR:
        out.append((nxt, MAX_CHAR))
    return tuple(out)


def _intersect(x: Sequence[tuple[int, int]], y: Sequence[tuple[int, int]]) -> Ranges:
    """The common part of two sorted range lists."""
    out, i, j = [], 0, 0
    while i < len(x) and j < len(y):
        lo, hi = max(x[i][0], y[j][0]), min(x[i][1], y[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if x[i][1] < y[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


@lru_cache(maxsize=8192)
def compile_glob(pattern: str) -> re.Pattern[str]:
    """A regex that fully matches exactly the paths `pattern` covers (cached)."""
    segs = _segments(pattern)
    if all(s == DSTAR for s in segs):
        return re.compile(r"[^/]+(?:/[^/]+)*")
    out: list[str] = []
    for k, seg in enumerate(segs):
        if seg == DSTAR:
            out.append(r"(?:[^/]+/)*" if k == 0 else r"(?:/[^/]+)*")
        else:
            sep = "" if k == 0 or (k == 1 and segs[0] == DSTAR) else "/"
            out.append(sep + "".join(_token_regex(t) for t in seg))
    return re.compile("".join(out))


def _chars(token: Token) -> Ranges:
    """The characters one step of `token` may read."""
    return ANY if isinstance(token, str) else token


def _token_regex(token: Token) -> str:
    if isinstance(token, str):
        return "[^/]*"
    if token == ANY:
        return "[^/]"
    if not token:
        return "(?!)"
    if len(token) == 1 and token[0][0] == token[0][1]:
        return re.escape(chr(token[0][0]))
    parts = (rf"\U{lo:08x}" + (rf"-\U{hi:08x}" if hi > lo else "") for lo, hi in token)
    return "[" + "".join(parts) + "]"


@lru_cache(maxsize=65536)
def _overlap(a: str, b: str) -> bool:
    """Some path matches both: a search over pairs of segment positions."""
    x, y = _segments(a), _segments(b)
    seen: set[tuple[int, int]] = set()
    todo = [(0, 0)]
    while todo:
        i, j = todo.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(x) and j == len(y):
            return True
        todo.extend(_segment_steps(x, y, i, j))
    return False


def _segment_steps(
    x: tuple[Segment, ...], y: tuple[Segment, ...], i: int, j: int
) -> list[tuple[int, int]]:
    """Positions reachable from (i, j) by skipping a `**` or reading one path segment."""
    sx = x[i] if i < len(x) else None
    sy = y[j] if j < len(y) else None
    steps = []
    if sx == DSTAR:
        steps.append((i + 1, j))
    if sy == DSTAR:
        steps.append((i, j + 1))
    if sx is None or sy is None or sx == sy == DSTAR:
        return steps
    tx: tuple[Token, ...] = (STAR,) if isinstance(sx, str) else sx
    ty: tuple[Token, ...] = (STAR,) if isinstance(sy, str) else sy
    if _segments_overlap(tx, ty):
        steps.append((i if sx == DSTAR else i + 1, j if sy == DSTAR else j + 1))
    return steps


@lru_cache(maxsize=65536)
def _segments_overlap(x: tuple[Token, ...], y: tuple[Token, ...]) -> bool:
    """Some non-empty string matches both segment globs: a product-automaton search."""
    seen: set[tuple[int, int, bool]] = set()
    todo = [(0, 0, False)]
    while todo:
        state = todo.pop()
        if state in seen:
            continue
        seen.add(state)
        p, q, read = state
        if p == len(x) and q == len(y) and read:
            return True
        if p < len(x) and x[p] == STAR:
            todo.append((p + 1, q, read))
        if q < len(y) and y[q] == STAR:
            todo.append((p, q + 1, read))
        if p < len(x) and q < len(y):
            cx, cy = x[p], y[q]
            if _intersect(_chars(cx), _chars(cy)):
                todo.append((p + (cx != STAR), q + (cy != STAR), True))
    return False
