"""The error family: which exit code each kind of problem gives, and what a plan error carries."""

from __future__ import annotations

import pytest

from podium.errors import ConfigError, GitError, PlanError, PodiumError, StateError


@pytest.mark.parametrize(
    ("error", "code"),
    [(PodiumError, 2), (PlanError, 2), (ConfigError, 2), (StateError, 2), (GitError, 1)],
)
def test_bad_input_is_exit_2_and_a_git_failure_exit_1(error: type[PodiumError], code: int) -> None:
    assert issubclass(error, PodiumError)
    assert error("x").exit_code == code


def test_a_plan_error_keeps_every_message_and_shows_what_it_was_given() -> None:
    one = PlanError("plan.yaml:3:5: bad")
    assert one.errors == ["plan.yaml:3:5: bad"] and str(one) == "plan.yaml:3:5: bad"
    many = PlanError("first\n... and 2 more problems", ["first", "second", "third"])
    assert many.errors == ["first", "second", "third"]
    assert str(many).splitlines()[-1] == "... and 2 more problems"
