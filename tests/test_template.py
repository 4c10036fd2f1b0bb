"""The prompt as a template: the built-in one is today's prompt, a user's fills the same
placeholders, and a placeholder podium does not know is a located error."""

from __future__ import annotations

from pathlib import Path

import pytest

from podium.agents.prompt import build_prompt
from podium.agents.template import BUILT_IN, PLACEHOLDERS, check_template
from podium.config import load_config
from podium.errors import ConfigError
from podium.plans.model import Check, Plan, Task

TASK = Task(
    "api",
    "Add rate limiting",
    description="A token bucket per client.",
    files=("src/api/**",),
    role="backend",
    checks=(Check("path_exists", path="src/api/limit.py"),),
)
PLAN = Plan("p", (TASK,), constraints=("Python 3.11 only.",))


def test_the_built_in_template_is_the_default_and_checks_clean() -> None:
    check_template(BUILT_IN, "<built-in>")
    assert build_prompt(PLAN, TASK, ("pytest",), "n") == build_prompt(
        PLAN, TASK, ("pytest",), "n", BUILT_IN
    )


def test_a_bare_task_keeps_todays_blank_lines() -> None:
    task = Task("a", "Fix it")
    assert build_prompt(Plan("p", (task,)), task, ()).startswith("Fix it\n\n\nWork in")


def test_a_users_template_fills_every_placeholder() -> None:
    template = "Task {task_id} ({role}): {goal}\n{files}{{literal}}\n"
    prompt = build_prompt(PLAN, TASK, (), "", template)
    assert prompt == (
        "Task api (Your role: backend.\n): Add rate limiting\n"
        "Change only these paths (globs): src/api/**.\n{literal}\n"
    )
    assert set(PLACEHOLDERS) >= {"goal", "description", "files", "checks", "note", "role"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{goal}\n\n  {gaol}\n", "t.md:3:3: unknown placeholder {gaol} (known: {goal},"),
        ("{goal:>10}\n", "t.md:1:1: unknown placeholder {goal:>10}"),
        ("{}\n", "t.md:1:1: unknown placeholder {}"),
        ("a }\n", "t.md:1: Single '}' encountered"),
    ],
)
def test_a_bad_template_is_a_located_error(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=None) as caught:
        check_template(text, "t.md")
    assert message in str(caught.value)


def test_podium_toml_names_the_template_and_the_config_carries_its_text(tmp_path: Path) -> None:
    (tmp_path / "podium.toml").write_text('[prompt]\ntemplate = "p/prompt.md"\n')
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "prompt.md").write_text("{goal}\n")
    config = load_config(tmp_path)
    assert (config.prompt_path, config.prompt_template) == ("p/prompt.md", "{goal}\n")
    (tmp_path / "p" / "prompt.md").write_text("{goal}\n{owner}\n")
    with pytest.raises(ConfigError, match=r"p/prompt.md:2:1: unknown placeholder \{owner\}"):
        load_config(tmp_path)
