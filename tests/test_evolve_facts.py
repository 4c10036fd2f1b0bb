"""The rows `podium evolve` reasons over: how an attempt is named and whether it decided."""

from __future__ import annotations

from podium.config import Config
from podium.evolve.facts import FAILURES, SUCCESS, AttemptFact, History, Settings


def fact(outcome: str = "merged", model: str | None = None, finished: float | None = 130.0):
    return AttemptFact(
        "r1", "docs", 2, "docs", "low", "claude", model, outcome, "", 100.0, finished
    )


def test_an_arm_is_written_as_the_roles_table_writes_it() -> None:
    assert fact().arm == "claude"
    assert fact(model="opus").arm == "claude:opus"


def test_an_attempt_is_located_by_run_task_and_number() -> None:
    assert fact().where == "r1/docs/a2"


def test_seconds_only_for_a_finished_attempt() -> None:
    assert fact().seconds == 30.0
    assert fact(finished=None).seconds is None


def test_only_merges_and_the_agents_own_failures_decide() -> None:
    for outcome in (*SUCCESS, *FAILURES):
        assert fact(outcome).decided, outcome
    for outcome in ("conflict", "lost", "cancelled", "rate_limited"):
        assert not fact(outcome).decided, outcome


def test_evolves_defaults_are_the_ones_podium_runs_with() -> None:
    """Without a podium.toml, evolve must reason about the settings runs actually use."""
    settings, config = Settings(), Config()
    assert settings.max_attempts == config.max_attempts
    assert settings.silence == config.silence_timeout
    assert settings.wall == config.wall_timeout
    assert settings.max_parallel == config.max_parallel
    assert settings.prompt == config.prompt_template == ""
    empty = History((), ())
    assert empty.limits == empty.gates == empty.applied == ()
