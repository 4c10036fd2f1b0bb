"""The failure summary: the same recorded data always reads the same."""

from __future__ import annotations

from podium.agents.base import AgentEvent
from podium.runs import failure

PYTEST = (
    "exit 1: FAILED tests/test_a.py::test_one - assert 1 == 2\n"
    "FAILED tests/test_a.py::test_two - KeyError: 'x'\n"
    "ERROR tests/test_b.py - ImportError: no module named b"
)


def test_failing_tests_come_from_pytest_summary_lines() -> None:
    assert failure.failing_tests(PYTEST) == (
        ("tests/test_a.py::test_one", "assert 1 == 2"),
        ("tests/test_a.py::test_two", "KeyError: 'x'"),
        ("tests/test_b.py", "ImportError: no module named b"),
    )
    assert failure.failing_tests("exit 2: something broke") == ()


def test_last_words_prefer_the_result_then_the_last_text() -> None:
    said = [AgentEvent("text", "first"), AgentEvent("text", "last"), AgentEvent("usage")]
    assert failure.last_words(said) == "last"
    assert failure.last_words([*said, AgentEvent("result", "All done")]) == "All done"
    assert failure.last_words([AgentEvent("text", "x" * 1000)]).endswith("…")


def test_checks_failure_names_the_first_failing_check_and_the_evasions() -> None:
    results = [
        {"name": "evasions", "ok": False, "detail": "remove-tests: tests/test_a.py: removed"},
        {"name": "check `pytest`", "ok": False, "detail": PYTEST},
    ]
    got = failure.from_checks(2, results, ["src/a.py", "setup.cfg"], outside=("setup.cfg",))
    assert (got.stage, got.failed) == ("evasions", "evasions")
    assert got.evasions == ("remove-tests: tests/test_a.py: removed",)
    text = failure.render(got)
    assert text.splitlines()[0] == "attempt 2 failed at evasions: evasions"
    assert "outside its files: setup.cfg" in text


def test_render_round_trips_through_json() -> None:
    got = failure.Failure(
        1,
        "gates",
        "gate `pytest`",
        PYTEST,
        failure.failing_tests(PYTEST),
        ("a.py",),
        exit_code=0,
        agent="claude",
        model="m",
        last_words="Done.",
    )
    again = failure.from_json(got.to_json())
    assert again == got
    assert failure.render(again) == failure.render(got)
    assert "  tests/test_a.py::test_one: assert 1 == 2" in failure.render(got)
    assert failure.stage_of("gate `make`") == "gates"
    assert failure.stage_of("changes") == "checks"
