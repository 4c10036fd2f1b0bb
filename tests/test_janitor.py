"""The janitor in a real directory: each kind of check, ownership, gates, readable reasons."""

from __future__ import annotations

from pathlib import Path

from podium.landing.janitor import run_check, verify
from podium.plans.model import Check, Task

from conftest import PYTHON


def test_each_check_kind(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src/app.py").write_text("RATE_LIMIT = 5\n")
    ok = [
        Check("path_exists", path="src/app.py"),
        Check("glob_exists", path="src/*.py"),
        Check("file_contains", path="src/app.py", text="RATE_LIMIT"),
        Check("command", run=f"{PYTHON} -c 'import sys; sys.exit(0)'"),
    ]
    assert all(run_check(c, tmp_path, 30).ok for c in ok)
    bad = run_check(Check("file_contains", path="src/app.py", text="NOPE"), tmp_path, 30)
    assert not bad.ok and bad.detail == "does not contain 'NOPE'"
    missing = run_check(Check("path_exists", path="src/x.py"), tmp_path, 30)
    assert not missing.ok and missing.detail == "missing"
    cmd = run_check(Check("command", run="no-such-binary-xyz --flag"), tmp_path, 30)
    assert not cmd.ok and "'no-such-binary-xyz' not found" in cmd.detail


def test_no_changes_is_not_done(tmp_path: Path) -> None:
    report = verify(Task("t", "g"), tmp_path, [], (), "fail", 30)
    assert not report.ok and report.reason == "changes: the agent changed no files"


def test_ownership_fail_and_warn(tmp_path: Path) -> None:
    task = Task("t", "g", files=("src/**",))
    failed = verify(task, tmp_path, ["src/a.py", "README.md"], (), "fail", 30)
    assert not failed.ok and "outside its `files`: README.md" in failed.reason
    warned = verify(task, tmp_path, ["src/a.py", "README.md"], (), "warn", 30)
    assert warned.ok and "README.md" in warned.warnings[0]


def test_failed_gate_quotes_the_failing_tests(tmp_path: Path) -> None:
    (tmp_path / "test_x.py").write_text("def test_one():\n    assert 1 == 2\n")
    gate = f"{PYTHON} -m pytest -q -p no:cacheprovider"
    report = verify(Task("t", "g"), tmp_path, ["test_x.py"], (gate,), "fail", 60)
    assert not report.ok
    assert "FAILED test_x.py::test_one" in report.reason and report.reason.startswith("gate `")


def test_gates_are_skipped_when_a_check_already_failed(tmp_path: Path) -> None:
    task = Task("t", "g", checks=(Check("path_exists", path="nope"),))
    report = verify(task, tmp_path, ["x"], (f"{PYTHON} -c 'raise SystemExit(1)'",), "fail", 30)
    assert [r.name for r in report.results] == ["path_exists nope"]
