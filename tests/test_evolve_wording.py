"""The `--agent` wording: the model's sentence replaces a lesson's fixed one only when it is
one usable line; anything else keeps the fixed sentence."""

from __future__ import annotations

from typing import Any

import pytest

from podium.evolve.proposals import Proposal
from podium.evolve.wording import HEADING, prompt, worded

LESSON = Proposal(
    "prompt.ownership",
    "tell agents: Change only the paths you own.",
    ("3 attempts failed so: r1/a/a1",),
    "fewer refusals",
    prompt_line="Change only the paths you own.",
)
ROUTE = Proposal("roles.docs", "route docs", (), "more merges", setting=("roles", "docs", "x"))


def test_the_prompt_carries_each_lessons_sentence_and_evidence() -> None:
    text = prompt([ROUTE, LESSON])
    assert text.startswith(HEADING)
    assert '"key": "prompt.ownership"' in text and "r1/a/a1" in text
    assert "roles.docs" not in text


@pytest.mark.parametrize(
    "answer",
    [
        {"lessons": {"prompt.ownership": "Edit only src/api.py."}},
        'Sure: {"lessons": {"prompt.ownership": "Edit only src/api.py."}} done',
    ],
)
def test_a_one_line_sentence_replaces_the_fixed_one(answer: Any) -> None:
    (route, lesson), n = worded([ROUTE, LESSON], answer)
    assert n == 1 and route == ROUTE
    assert lesson.prompt_line == "Edit only src/api.py."
    assert lesson.title == "tell agents: Edit only src/api.py."


@pytest.mark.parametrize(
    "answer",
    [
        "Nothing to change.",
        '{"lessons": ',
        {"lessons": {"prompt.ownership": ""}},
        {"lessons": {"prompt.ownership": "two\nlines"}},
        {"lessons": {"prompt.ownership": "x" * 301}},
        {"lessons": {"roles.docs": "not a lesson"}},
        {"lessons": ["no"]},
    ],
)
def test_anything_else_keeps_the_fixed_sentence(answer: Any) -> None:
    assert worded([ROUTE, LESSON], answer) == ((ROUTE, LESSON), 0)
