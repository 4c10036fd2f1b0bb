"""Reading a plan file: the file's own problems are named with its path."""

from __future__ import annotations

from pathlib import Path

import pytest

from podium.errors import ConfigError, PlanError
from podium.plans.loading import load_plan, parse_plan


def test_a_directory_is_not_a_plan(tmp_path: Path) -> None:
    with pytest.raises(PlanError) as info:
        load_plan(tmp_path)
    assert str(info.value) == f"{tmp_path}: is a directory; give the plan's YAML file"


def test_a_binary_file_is_not_a_plan(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_bytes(b"name: x\n\xff\xfe")
    with pytest.raises(PlanError) as info:
        load_plan(path)
    assert str(info.value) == f"{path}: not UTF-8 text (bad byte at offset 8)"


def test_a_plan_file_records_where_it_came_from(tmp_path: Path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text("tasks: [{id: a, goal: x}]\n", encoding="utf-8")
    plan = load_plan(path)
    assert (plan.name, plan.source) == ("shop", str(path))


def test_a_missing_plan_file_suggests_the_one_nearby(tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text("name: p\ntasks: []\n")
    with pytest.raises(
        PlanError, match=r"plan\.yml: no such plan file \(did you mean '.*plan\.yaml'\?\)"
    ):
        load_plan(tmp_path / "plan.yml")


def test_a_plan_that_is_not_a_mapping_is_located() -> None:
    with pytest.raises(PlanError, match="<string>:1:1: the plan must be a mapping"):
        parse_plan("- a\n- b\n")
    with pytest.raises(PlanError, match="the plan is empty"):
        parse_plan("")


def test_an_unknown_default_agent_is_named_with_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"--agent: unknown agent 'nope' \(known: a, b\)"):
        parse_plan("name: p\ntasks: []\n", agents=("a", "b"), default_agent="nope")
