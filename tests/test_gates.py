"""Project gates judged against the target's baseline, with real pytest and real exit codes."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from podium.landing import testids
from podium.landing.gates import GateRun, failing_tests, is_pytest, mode, no_worse, run_gate
from podium.landing.janitor import CheckResult

from conftest import PYTHON

PYTEST = f"{shlex.quote(PYTHON)} -m pytest -q -p no:cacheprovider"


def exits(code: int) -> str:
    return f"{shlex.quote(PYTHON)} -c 'import sys; sys.exit({code})'"


@pytest.mark.parametrize(
    ("gate", "expected"),
    [
        ("pytest -q", True),
        ("python -m pytest tests", True),
        (".venv/bin/pytest", True),
        ("uv run pytest", True),
        ("ruff check .", False),
        ("npm test -- pytest-like", False),
        ("pytest 'unclosed", False),
    ],
)
def test_which_gates_are_pytest(gate: str, expected: bool) -> None:
    assert is_pytest(gate) is expected


def test_a_configured_comparison_wins_over_the_guess() -> None:
    assert mode("pytest -q", "auto") == "pytest"
    assert mode("make check", "auto") == "exit"
    assert mode("pytest -q", "strict") == "strict"


def test_a_pytest_gate_reports_its_failing_test_ids(calc_repo: Path) -> None:
    (calc_repo / "tests" / "test_more.py").write_text(
        "def test_ok():\n    pass\n\n\ndef test_broken():\n    assert 1 == 2\n"
    )
    run = run_gate(PYTEST, calc_repo, timeout=120)
    assert not run.result.ok and run.exit_code == 1
    assert run.failing == frozenset({"tests.test_more::test_broken"})
    assert run.result.name == f"gate `{PYTEST}`"
    assert "FAILED tests/test_more.py::test_broken" in run.result.detail


def test_a_passing_gate_and_an_exit_code_gate(calc_repo: Path) -> None:
    assert run_gate(PYTEST, calc_repo, timeout=120) == GateRun(
        CheckResult(f"gate `{PYTEST}`", True), 0, frozenset()
    )
    other = run_gate(exits(3), calc_repo, timeout=60)
    assert (other.result.ok, other.exit_code, other.failing) == (False, 3, None)


def test_a_missing_or_unreadable_report_means_unknown_failures(tmp_path: Path) -> None:
    assert failing_tests(tmp_path / "none.xml") is None
    (tmp_path / "bad.xml").write_text("<testsuite><testcase")
    assert failing_tests(tmp_path / "bad.xml") is None


def gate_run(ok: bool, code: int | None, failing: set[str] | None = None) -> GateRun:
    ids = None if failing is None else frozenset(failing)
    return GateRun(CheckResult("gate", ok, "" if ok else f"exit {code}: boom"), code, ids)


def test_only_new_pytest_failures_block_a_merge() -> None:
    baseline = gate_run(False, 1, {"t::old"})
    same = no_worse(gate_run(False, 1, {"t::old"}), baseline, "auto", "pytest -q")
    assert same == CheckResult("gate", True, "fails only where the baseline fails")
    worse = no_worse(gate_run(False, 1, {"t::old", "t::new"}), baseline, "auto", "pytest -q")
    assert worse == CheckResult("gate", False, "new failures: t::new")


def test_other_gates_may_fail_with_the_baselines_exit_code_only() -> None:
    baseline = gate_run(False, 2)
    assert no_worse(gate_run(False, 2), baseline, "auto", "make lint") == CheckResult(
        "gate", True, "not verified (failing on the baseline): exit 2, as on the baseline"
    )
    assert not no_worse(gate_run(False, 3), baseline, "auto", "make lint").ok
    assert not no_worse(gate_run(False, None), gate_run(False, None), "auto", "make").ok


def test_strict_gates_and_a_green_baseline_allow_no_failure() -> None:
    red = gate_run(False, 1, {"t::old"})
    assert not no_worse(red, gate_run(False, 1, {"t::old"}), "strict", "pytest -q").ok
    assert not no_worse(red, gate_run(True, 0, set()), "auto", "pytest -q").ok
    assert not no_worse(red, None, "auto", "pytest -q").ok


TESTS = """import os
import subprocess
import sys

import pytest


class TestBox:
    @pytest.mark.parametrize("n", [1, 2])
    def test_in_a_class(self, n):
        assert n


def test_children_get_the_gates_own_environment():
    assert "PODIUM_TEST_IDS" not in os.environ
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.environ.get('PYTEST_PLUGINS', '-'))"],
        capture_output=True, text=True, check=True,
    )
    assert "podium_test_ids" not in child.stdout
    assert os.environ.get("PYTHONPATH", "") == os.environ.get("WAS_PYTHONPATH", "")
"""


def test_a_pytest_gate_lists_the_tests_it_collected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The merge queue's screen reads the tree's test ids from the gate's own run: the same
    ids a separate `--collect-only` lists, and no test or child process sees podium's hook."""
    from podium.config import Config
    from podium.landing.audit import Against, collect, collect_argv

    (tmp_path / "test_box.py").write_text(TESTS)
    (tmp_path / "test_more.py").write_text("def test_more():\n    pass\n")
    monkeypatch.setenv("WAS_PYTHONPATH", "elsewhere")
    monkeypatch.setenv("PYTHONPATH", "elsewhere")
    out = tmp_path / "ids"
    run = run_gate(PYTEST, tmp_path, 120, ids=out)
    assert run.result.ok, run.result.detail
    argv = collect_argv(Against(tmp_path, "HEAD", (PYTEST,), Config()))
    assert argv is not None
    listed = collect(argv, tmp_path, 120)
    assert testids.read(out) == listed and len(listed) == 4
    assert "test_box.py::TestBox::test_in_a_class[2]" in listed
    # A gate asked for no ids writes none; a gate that ran nothing lists nothing.
    out.unlink()
    assert run_gate(PYTEST, tmp_path, 120).result.ok and testids.read(out) is None
    assert testids.read(tmp_path / "never-written") is None
