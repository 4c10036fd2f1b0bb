"""Measuring which lines ran under a pytest gate: the gate's Python, coverage.py, its report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from podium.landing import coverage

from conftest import PYTHON, make_repo

GATE = f"{PYTHON} -m pytest -q -p no:cacheprovider"
LIB = "def f(x):\n    return x * 2\n\n\ndef g(x):\n    return x * 3\n"
TESTS = "from lib import f\n\n\ndef test_f():\n    assert f(1) == 2\n"


def test_the_gates_python_runs_coverage(tmp_path: Path) -> None:
    assert coverage.split(f"{PYTHON} -X dev -m pytest -q tests", tmp_path) == (
        [PYTHON, "-X", "dev"],
        ["-q", "tests"],
    )
    assert coverage.split("uv run pytest -x", tmp_path) == (["uv", "run", "python"], ["-x"])
    script = tmp_path / ".venv/bin/pytest"
    script.parent.mkdir(parents=True)
    script.write_text("#!/opt/py/bin/python3.12\nimport pytest\n")
    assert coverage.split(".venv/bin/pytest -q", tmp_path) == (["/opt/py/bin/python3.12"], ["-q"])
    assert coverage.split("missing/pytest", tmp_path) is None
    assert coverage.split("make test", tmp_path) is None
    assert coverage.pytest_gate(["ruff check", GATE, "pytest"]) == GATE


def test_executed_lines_from_the_json_report() -> None:
    report = {"files": {"lib.py": {"executed_lines": [1, 2, 5]}, "b.py": {}}}
    assert coverage.executed_lines(json.dumps(report)) == {
        "lib.py": frozenset({1, 2, 5}),
        "b.py": frozenset(),
    }


def test_measure_runs_the_tests_under_coverage_and_leaves_the_tree_alone(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"lib.py": LIB, "test_lib.py": TESTS})
    measured = coverage.measure(GATE, repo, ["lib.py", "other.py"], 120)
    assert measured.executed == {"lib.py": frozenset({1, 2, 5})}, measured.why
    assert sorted(p.name for p in repo.iterdir()) == [".git", "lib.py", "test_lib.py"]
    assert coverage.problem(repo, ["ruff check", GATE]) == ""


def test_without_coverage_it_says_so_instead_of_measuring(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"lib.py": LIB, "test_lib.py": TESTS})
    venv = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    gate = f"{venv}/bin/python -m pytest -q"
    measured = coverage.measure(gate, repo, ["lib.py"], 120)
    assert measured.executed is None
    assert measured.why == f"coverage.py is not importable by `{venv}/bin/python`"
    assert coverage.problem(repo, [gate]).startswith(
        f"coverage.py is not importable by `{venv}/bin/python` (install `coverage` there)"
    )
    assert coverage.problem(repo, ["make test"]) == (
        "it measures the tests of a pytest gate, and no gate runs pytest"
    )
