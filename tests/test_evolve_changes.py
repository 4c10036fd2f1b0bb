"""Proposals turned into new texts for podium.toml and the prompt template (pure)."""

from __future__ import annotations

import tomllib

from podium.agents.template import BUILT_IN, check_template, render
from podium.evolve.changes import CONFIG, DEFAULT_TEMPLATE, add_lessons, plan_edits
from podium.evolve.proposals import LESSONS, Proposal

SILENCE = Proposal("timeouts.silence", "t", (), "e", setting=("timeouts", "silence", 200.0))
LESSON = Proposal("prompt.tests", "t", (), "e", prompt_line="Run the tests before you finish.")


def test_no_proposals_no_edits() -> None:
    edits = plan_edits("max_parallel = 2\n", "", "", [])
    assert edits.files == () and edits.by_hand == ()


def test_a_setting_without_a_podium_toml_creates_one() -> None:
    [edit] = plan_edits(None, "", "", [SILENCE]).files
    assert (edit.path, edit.old) == (CONFIG, None)
    assert tomllib.loads(edit.new) == {"timeouts": {"silence": 200.0}}
    assert edit.diff().startswith("--- /dev/null\n+++ b/podium.toml\n")


def test_a_setting_that_cannot_be_written_in_place_is_left_to_the_user() -> None:
    text = "timeouts = { silence = 5 }\n"
    edits = plan_edits(text, "", "", [SILENCE])
    assert edits.files == ()  # podium.toml untouched
    [line] = edits.by_hand
    assert line.startswith("timeouts.silence: set [timeouts] silence = 200.0 by hand")


def test_lessons_go_into_the_named_template_and_podium_toml_is_left_alone() -> None:
    config = '[prompt]\ntemplate = "prompt.md"\n'
    template = "{goal}\n\n{checks}"
    [edit] = plan_edits(config, "prompt.md", template, [LESSON]).files
    assert (edit.path, edit.old) == ("prompt.md", template)
    assert edit.new == f"{template}\n\n{LESSONS}\n- Run the tests before you finish.\n"
    assert edit.diff().startswith("--- a/prompt.md\n+++ b/prompt.md\n")


def test_without_a_template_the_built_in_one_is_written_out_with_the_lessons() -> None:
    config, template = plan_edits(None, "", "", [LESSON]).files
    assert template.path == DEFAULT_TEMPLATE and template.old is None
    assert template.new.startswith(BUILT_IN.rstrip("\n"))
    assert tomllib.loads(config.new) == {"prompt": {"template": DEFAULT_TEMPLATE}}


def test_a_lesson_with_braces_reads_literally_in_the_rendered_prompt() -> None:
    text = add_lessons("{goal}\n", ["Keep the {files} list short; no {unknown}."])
    check_template(text, "podium-prompt.md")  # no stray placeholder
    rendered = render(text, {"goal": "Fix it."})
    assert rendered.endswith("- Keep the {files} list short; no {unknown}.\n")


def test_the_lessons_heading_is_written_once() -> None:
    once = add_lessons("{goal}\n", ["First."])
    twice = add_lessons(once, ["Second."])
    assert twice.count(LESSONS) == 1
    assert twice.endswith("- First.\n- Second.\n")
