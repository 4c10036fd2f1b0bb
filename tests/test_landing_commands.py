"""A check's or a gate's command line: run without a shell, in its folder, its output kept."""

from __future__ import annotations

import shlex
from pathlib import Path

from podium.landing.commands import OUTPUT_TAIL, capture, gist, run_command

from conftest import PYTHON

PY = shlex.quote(PYTHON)


def test_a_passing_command_passes(tmp_path: Path) -> None:
    result = run_command("tests", f"{PY} -c 'print(1)'", tmp_path, 30)
    assert (result.name, result.ok, result.detail) == ("tests", True, "")


def test_a_failing_command_says_its_exit_code_and_output(tmp_path: Path) -> None:
    script = "import sys; print('boom'); sys.exit(3)"
    result = run_command("lint", f"{PY} -c {shlex.quote(script)}", tmp_path, 30)
    assert not result.ok
    assert result.detail == "exit 3: boom"


def test_it_runs_in_the_given_folder_with_no_stdin(tmp_path: Path) -> None:
    (tmp_path / "marker.txt").write_text("here\n")
    script = "import sys; print(open('marker.txt').read().strip(), repr(sys.stdin.read()))"
    done = capture([PYTHON, "-c", script], tmp_path, 30)
    assert done.code == 0
    assert done.output == "here ''\n"


def test_no_shell_is_involved(tmp_path: Path) -> None:
    """`;` and `$HOME` reach the program as plain words; no second command runs."""
    result = run_command(
        "c", f"{PY} -c 'import sys; print(sys.argv[1:])' a;touch x $HOME", tmp_path, 30
    )
    assert result.ok
    assert not (tmp_path / "x").exists()
    done = capture(
        [PYTHON, "-c", "import sys; print(sys.argv[1:])", "a;touch", "$HOME"], tmp_path, 30
    )
    assert done.output == "['a;touch', '$HOME']\n"


def test_stderr_is_kept_too(tmp_path: Path) -> None:
    script = "import sys; sys.stderr.write('warned\\n'); sys.exit(1)"
    done = capture([PYTHON, "-c", script], tmp_path, 30)
    assert (done.code, done.output) == (1, "warned\n")


def test_a_missing_program_is_named(tmp_path: Path) -> None:
    result = run_command("gate", "no-such-program-podium --x", tmp_path, 30)
    assert not result.ok
    assert result.detail == "'no-such-program-podium' not found"


def test_a_command_that_hangs_is_stopped(tmp_path: Path) -> None:
    result = run_command("slow", f"{PY} -c 'import time; time.sleep(60)'", tmp_path, 0.5)
    assert not result.ok
    assert result.detail.startswith("timed out after")


def test_unparseable_and_empty_commands_fail_with_the_reason(tmp_path: Path) -> None:
    bad = run_command("q", "pytest 'unclosed", tmp_path, 30)
    assert not bad.ok and bad.detail.startswith('cannot parse "pytest \'unclosed"')
    empty = run_command("e", "   ", tmp_path, 30)
    assert (empty.ok, empty.detail) == (False, "empty command")


def test_the_gist_is_the_test_failures_when_there_are_some() -> None:
    output = "collected 3\nFAILED tests/a.py::x - assert 1\nnoise\nERROR tests/b.py\n3 failed\n"
    assert gist(output) == "FAILED tests/a.py::x - assert 1\nERROR tests/b.py"


def test_the_gist_is_otherwise_the_tail() -> None:
    lines = [f"line {i}" for i in range(40)]
    assert gist("\n".join(lines) + "\n\n") == "\n".join(lines[-OUTPUT_TAIL:])
