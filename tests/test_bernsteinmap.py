"""Bernstein plans' own places: podium's paths mapped back to stages, steps and signals."""

from __future__ import annotations

from podium.plans.bernsteinmap import Origin, ignored_notes, locator, unused_keys
from podium.plans.yamlpos import Pos, load_yaml

PLAN = """\
name: shop
cli: claude
budget: 10
stages:
  - name: backend
    steps:
      - title: API
        files: [src/api/**]
        scope: small
      - goal: Models
        cli: codex
        completion_signals:
          - {type: path_exists, path: a.py}
          - {type: llm_review, weight: 2}
  - name: docs
    depends_on: [backend]
    owner: ana
    steps:
      - title: Write docs
"""

DATA, POS = load_yaml(PLAN, "b.yaml")
# tasks 0 and 1 come from stage 0's steps, task 2 from stage 1; task 1 keeps both signals
AT = locator(POS, [Origin(0, 0, ()), Origin(0, 1, (0, 1)), Origin(1, 0, ())])


def test_keys_podium_does_not_use_are_listed_in_file_order() -> None:
    found = [(what, str(POS.at(loc, key=True))) for what, loc in unused_keys(DATA)]
    assert found == [
        ("key 'scope'", "b.yaml:9:9"),
        ("key 'weight'", "b.yaml:14:32"),
        ("key 'owner'", "b.yaml:17:5"),
    ]


def test_an_ignored_thing_gets_one_note_counting_its_places() -> None:
    notes = ignored_notes(
        {
            "key 'scope'": [Pos("b.yaml", 9), Pos("b.yaml", 30)],
            "key 'owner'": [Pos("b.yaml", 17)],
        }
    )
    assert notes == [
        (9, "b.yaml:9: key 'scope' is ignored by podium (2 places)"),
        (17, "b.yaml:17: key 'owner' is ignored by podium"),
    ]


def test_a_tasks_fields_point_into_its_step() -> None:
    assert str(AT(("tasks", 0, "files", 0))) == "b.yaml:8:17"
    assert str(AT(("tasks", 0, "goal"))) == "b.yaml:7:16"  # written as `title`
    assert str(AT(("tasks", 1, "goal"))) == "b.yaml:10:15"  # written as `goal`
    assert str(AT(("tasks", 2))) == "b.yaml:19:9"


def test_dependencies_point_at_the_stages_depends_on() -> None:
    assert str(AT(("tasks", 2, "after", 0))) == "b.yaml:16:17"


def test_checks_point_at_their_completion_signal() -> None:
    assert str(AT(("tasks", 1, "checks", 1))) == "b.yaml:14:13"


def test_an_agent_is_the_steps_cli_else_the_plans() -> None:
    assert str(AT(("tasks", 1, "agent"))) == "b.yaml:11:14"
    assert str(AT(("tasks", 0, "agent"))) == "b.yaml:2:6"


def test_plan_wide_keys_are_found_under_their_bernstein_names() -> None:
    assert str(AT(("budget_usd",))) == "b.yaml:3:9"
    assert str(AT(("agent",))) == "b.yaml:2:6"
    assert str(AT(())) == "b.yaml:1:1"
