"""Owned-path globs: matching, validation, and exact overlap checked against brute force."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podium.plans.globs import compile_glob, matches, overlap, sets_overlap, validate


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("src/**", "src/app/x.py", True),
        ("*.py", "*.md", False),
        ("src/*/x.py", "src/a/*.py", True),
        ("a/[ab].py", "a/[cd].py", False),
        ("**/test_*.py", "tests/test_x.py", True),
        ("docs/", "docs/index.md", True),
        ("a?c", "abd", False),
        ("src/app", "src/app/x.py", True),
        ("src/app", "src/apple", False),
        ("src/*/x.py", "src/a", True),
        ("a/[!b]", "a/b", False),
        ("a/[!b]", "a/[!c]", True),
        ("*a*", "*b*", True),
        ("a*", "*b", True),
        ("a", "b", False),
    ],
)
def test_overlap_examples(a: str, b: str, expected: bool) -> None:
    assert overlap(a, b) is expected
    assert overlap(b, a) is expected


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("src/**", "src", True),
        ("src/**", "src/a/b/c.py", True),
        ("src/**", "srcx/a", False),
        ("**/x.py", "x.py", True),
        ("**/x.py", "a/b/x.py", True),
        ("a/**/b", "a/b", True),
        ("a/**/b", "a/x/y/b", True),
        ("*.py", "a/b.py", False),
        ("src/app", "src/app/x.py", True),
        ("src/app", "src/apple", False),
        ("docs/", "docs/index.md", True),
        ("a[.-0]", "a/", False),
        ("[*]", "*", True),
        ("[]]x", "]x", True),
    ],
)
def test_matches(pattern: str, path: str, expected: bool) -> None:
    assert matches(pattern, path) is expected


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        ("", "empty"),
        ("/src", "absolute"),
        ("src/../x", "'..'"),
        ("src/[ab", "never closed"),
        ("src\\x", "backslash"),
        ("a//b", "empty folder"),
        ("[z-a]", "backwards"),
    ],
)
def test_validate_explains(pattern: str, words: str) -> None:
    error = validate(pattern)
    assert error is not None and words in error


def test_valid_patterns_and_compile_errors() -> None:
    assert validate("src/**/*.py") is None
    assert validate("docs/") is None
    with pytest.raises(ValueError, match="never closed"):
        compile_glob("a[")


@pytest.mark.parametrize(
    ("pattern", "column"), [("[ab", 1), ("src/[ab.py", 5), ("a/bc/x[!y/z", 7), ("a[b]/c[", 7)]
)
def test_an_unclosed_class_is_placed_by_its_column_in_the_whole_pattern(
    pattern: str, column: int
) -> None:
    assert validate(pattern) == f"{pattern!r}: '[' at column {column} is never closed with ']'"


def test_sets_overlap_literals_and_globs() -> None:
    assert sets_overlap(["a/x.py", "b/y.py"], ["c", "b"])
    assert not sets_overlap(["a/x.py", "b/y.py"], ["c", "bb"])
    assert sets_overlap(["a/x.py"], ["**/*.py"])
    assert not sets_overlap(["a/x.py", "docs/"], ["*.md", "a/*.txt"])
    assert not sets_overlap([], ["**"])


# Patterns over the letters a, b; paths over a, b, c, where c stands for every other character.
SEGMENTS = ["a", "b", "*", "?", "[ab]", "[!a]", "a*", "*b", "?a", "[!b]*", "**", "ab"]
PATHS = [
    "/".join(parts)
    for n in range(1, 5)
    for parts in itertools.product(
        ["".join(p) for k in (1, 2) for p in itertools.product("abc", repeat=k)], repeat=n
    )
]


def _sample_patterns(count: int) -> list[str]:
    rng = random.Random(11)
    out = {"**", "a/", "a", "a/b"}
    while len(out) < count:
        pattern = "/".join(rng.choice(SEGMENTS) for _ in range(rng.randint(1, 2)))
        out.add(pattern + ("/" if rng.random() < 0.15 else ""))
    return sorted(out)


def test_overlap_agrees_with_enumeration() -> None:
    """Witnesses for two-segment patterns need at most four segments of two characters."""
    patterns = _sample_patterns(60)
    covered = {p: frozenset(q for q in PATHS if matches(p, q)) for p in patterns}
    for a, b in itertools.combinations_with_replacement(patterns, 2):
        assert overlap(a, b) == bool(covered[a] & covered[b]), (a, b)


pattern_st = st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=4).map("/".join)
path_st = st.lists(st.text("abc", min_size=1, max_size=3), min_size=1, max_size=5).map("/".join)


@settings(max_examples=300)
@given(pattern_st, pattern_st, st.lists(path_st, max_size=10))
def test_a_shared_path_means_overlap(a: str, b: str, paths: list[str]) -> None:
    if any(matches(a, p) and matches(b, p) for p in paths):
        assert overlap(a, b)
    assert overlap(a, b) == overlap(b, a)


@settings(max_examples=200)
@given(pattern_st, path_st)
def test_a_pattern_overlaps_each_path_it_matches(pattern: str, path: str) -> None:
    if matches(pattern, path):
        assert overlap(pattern, path)
        assert sets_overlap([pattern, "zzz"], ["yyy", path])
