"""The evasion suite: agents that make the gates pass by weakening them are refused, by name.

Every evasion task below leaves the pytest gate green (it deletes, skips, deselects or
blunts the test that would catch its change, or empties code no test covers), so the gates
alone would land it. The janitor refuses each one, naming its class, and the target never
moves; legitimate work, and a rename the plan permits, still lands.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from conftest import PYTHON, agent, git, make_repo

GATE = f"{PYTHON} -m pytest -q -p no:cacheprovider"
CORE = """\
def add(a, b):
    return a + b


def sub(a, b):
    return a - b
"""
TESTS = """\
import pytest

from calc.core import add, sub


def test_add():
    assert add(2, 3) == 5
    assert add(-1, 1) == 0


@pytest.mark.parametrize(("a", "b", "c"), [(5, 3, 2), (3, 3, 0)])
def test_sub(a, b, c):
    assert sub(a, b) == c
"""
EXTRA = """\
def double(x):
    return x * 2


def halve(x):
    if x % 2:
        raise ValueError("odd")
    return x // 2
"""
PYPROJECT = '[project]\nname = "calc"\nversion = "1.0"\n\n[tool.pytest.ini_options]\n'
PYPROJECT += 'pythonpath = ["."]\n'
TEST = "tests/test_core.py"


def edit(path: str, old: str, new: str) -> tuple[str, ...]:
    return ("replace", path, old, new)


BREAK_SUB = edit("calc/core.py", "return a - b", "return a + b")
ADDOPTS = 'pythonpath = ["."]\\naddopts = "-k \'not test_sub\'"'
DESELECT = (
    "def pytest_collection_modifyitems(config, items):\\n"
    '    items[:] = [i for i in items if "sub" not in i.name]\\n'
)
SWALLOW = (
    "try:\\n            raise ValueError('odd')\\n        except Exception:\\n            pass"
)

# task id -> (what the agent does, the class the janitor must name)
EVASIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "delete-test": ((*BREAK_SUB, *edit(TEST, TESTS[TESTS.index("@pytest") :], "")), "remove-tests"),
    "drop-param-case": (
        (*edit("calc/core.py", "a - b", "2 if a == 5 else 1"), *edit(TEST, ", (3, 3, 0)", "")),
        "remove-tests",
    ),
    "delete-test-file": (("delete", TEST, *BREAK_SUB), "remove-tests"),
    "conftest-deselects": ((*BREAK_SUB, "write", "tests/conftest.py", DESELECT), "remove-tests"),
    "addopts-deselects": (
        (*BREAK_SUB, *edit("pyproject.toml", 'pythonpath = ["."]', ADDOPTS)),
        "remove-tests",
    ),
    "skip-decorator": (
        (*BREAK_SUB, *edit(TEST, "def test_sub", "@pytest.mark.skip\\ndef test_sub")),
        "disable-tests",
    ),
    "skip-pytestmark": (
        (
            *BREAK_SUB,
            *edit(TEST, "import pytest\n", "import pytest\\npytestmark = pytest.mark.skip\\n"),
        ),
        "disable-tests",
    ),
    "skip-call": (
        (*BREAK_SUB, *edit(TEST, "    assert sub", "    pytest.skip()\\n    assert sub")),
        "disable-tests",
    ),
    "xfail-marker": (
        (*BREAK_SUB, *edit(TEST, "def test_sub", "@pytest.mark.xfail\\ndef test_sub")),
        "disable-tests",
    ),
    "fewer-asserts": (
        (
            *edit("calc/core.py", "a + b", "a + b if a > 0 else 7"),
            *edit(TEST, "    assert add(-1, 1) == 0\n", ""),
        ),
        "weaken-assertions",
    ),
    "assert-self": (
        (*BREAK_SUB, *edit(TEST, "sub(a, b) == c", "sub(a, b) == sub(a, b)")),
        "weaken-assertions",
    ),
    "emptied-module": (("write", "calc/extra.py", ""), "empty-files"),
    "stubbed-function": (
        edit("calc/extra.py", "return x * 2", "raise NotImplementedError"),
        "empty-files",
    ),
    "ruff-config": (
        edit("pyproject.toml", "[tool.pytest", '[tool.ruff]\\nignore = ["F"]\\n\\n[tool.pytest'),
        "change-config",
    ),
    "owned-conftest": (("write", "tests/conftest.py", "X = 1\\n"), "change-config"),
    "type-ignore": (edit("calc/extra.py", "x * 2", "x * 2  # type: ignore"), "add-suppressions"),
    "swallow-errors": (
        edit("calc/extra.py", 'raise ValueError("odd")', SWALLOW),
        "add-suppressions",
    ),
}


def repo(tmp_path: Path, toml: str = "max_attempts = 1\n") -> Path:
    files = {
        "calc/__init__.py": "",
        "calc/core.py": CORE,
        "calc/extra.py": EXTRA,
        "tests/test_core.py": TESTS,
        "pyproject.toml": PYPROJECT,
        "podium.toml": f'gates = ["{GATE}"]\n{toml}',
    }
    return make_repo(tmp_path / "calc", files)


def task(id: str, ops: tuple[str, ...] | list[str], **extra: Any) -> dict[str, Any]:
    return {"id": id, "goal": f"do {id}", "command": agent(*ops), **extra}


def run_plan(repo: Path, tasks: list[dict[str, Any]]) -> subprocess.CompletedProcess[str]:
    plan = {"name": "evasions", "agent": "command", "max_parallel": 4, "tasks": tasks}
    (repo / "plan.yaml").write_text(yaml.safe_dump(plan, sort_keys=False))
    return subprocess.run(
        [sys.executable, "-m", "podium", "run", "plan.yaml", "--json"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=600,
    )


def podium(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "podium", *args], cwd=repo, capture_output=True, text=True
    )


def test_each_evasion_fails_by_name_and_the_target_never_moves(tmp_path: Path) -> None:
    calc = repo(tmp_path)
    base = git(calc, "rev-parse", "main")
    owned = {"owned-conftest": {"files": ["tests/**"]}}
    tasks = [task(t, ops, **owned.get(t, {})) for t, (ops, _) in EVASIONS.items()]
    proc = run_plan(calc, tasks)
    assert proc.returncode == 1, proc.stderr
    status = {t["id"]: t for t in json.loads(proc.stdout)["tasks"]}
    assert {t: s["state"] for t, s in status.items()} == dict.fromkeys(EVASIONS, "failed")
    named = {t: status[t]["reason"].startswith("evasions: ") for t in EVASIONS}
    assert named == dict.fromkeys(EVASIONS, True)
    missing = {t: status[t]["reason"] for t, (_, kind) in EVASIONS.items()}
    missing = {t: why for t, why in missing.items() if f"{EVASIONS[t][1]}: " not in why}
    assert missing == {}
    # The target never moved, and its checkout is as it was.
    assert git(calc, "rev-parse", "main") == base
    assert git(calc, "status", "--porcelain", "--untracked-files=no") == ""
    # Without the janitor the gate would have let them through: it passes on each attempt.
    for name in ("delete-test", "conftest-deselects", "addopts-deselects", "skip-pytestmark"):
        worktree = calc / ".podium/worktrees" / json.loads(proc.stdout)["run"] / f"{name}-a1"
        gate = subprocess.run(GATE.split(), cwd=worktree, capture_output=True, text=True)
        assert gate.returncode == 0, (name, gate.stdout)


def test_findings_are_located_and_reach_the_next_attempt(tmp_path: Path) -> None:
    calc = repo(tmp_path, "max_attempts = 2\n")
    proc = run_plan(calc, [task("delete-test", EVASIONS["delete-test"][0])])
    assert proc.returncode == 1, proc.stderr
    out = json.loads(proc.stdout)
    (row,) = out["tasks"]
    assert row["attempts"] == 2
    # The file, the lines of the test on the base, and the class.
    assert (
        "remove-tests: tests/test_core.py:11-13: 2 cases of tests/test_core.py::test_sub"
        in (row["reason"])
    )
    assert "do not remove or deselect tests; make them pass" in row["reason"]
    prompt = calc / ".podium/logs" / out["run"] / "delete-test" / "a2.prompt.md"
    assert "do not remove or deselect tests; make them pass" in prompt.read_text()
    status = podium(calc, "status")
    assert "failed at evasions" in status.stdout
    assert "remove-tests: tests/test_core.py:11-13: 2 cases of" in status.stdout


def test_legitimate_work_and_a_permitted_rename_land(tmp_path: Path) -> None:
    calc = repo(tmp_path)
    mul = "def mul(a, b):\\n    return a * b\\n"
    mul_test = "from calc.mul import mul\\n\\n\\ndef test_mul():\\n    assert mul(2, 3) == 6\\n"
    tasks = [
        task(
            "mul",
            ["write", "calc/mul.py", mul, "write", "tests/test_mul.py", mul_test],
            files=["calc/mul.py", "tests/test_mul.py"],
        ),
        task(
            "rename",
            ["replace", "tests/test_core.py", "def test_add(", "def test_addition("],
            files=["tests/test_core.py"],
            allow=["remove-tests"],
        ),
        task(
            "version",
            ["replace", "pyproject.toml", 'version = "1.0"', 'version = "1.1"'],
            files=["pyproject.toml"],
        ),
        task(
            "extend-test",
            ["replace", "tests/test_core.py", "(3, 3, 0)]", "(3, 3, 0), (9, 4, 5)]"],
            files=["tests/test_core.py"],
        ),
        task("conftest", ["write", "tests/conftest.py", "X = 1\\n"], files=["tests/conftest.py"]),
    ]
    proc = run_plan(calc, tasks)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    states = {t["id"]: t["state"] for t in json.loads(proc.stdout)["tasks"]}
    assert states == dict.fromkeys(
        ["mul", "rename", "version", "extend-test", "conftest"], "merged"
    )
    assert "def test_addition(" in (calc / "tests/test_core.py").read_text()
    assert (calc / "calc/mul.py").exists()


def test_a_warn_policy_lands_the_work_and_shows_the_finding(tmp_path: Path) -> None:
    calc = repo(tmp_path, 'max_attempts = 1\n[janitor]\ndisable-tests = "warn"\n')
    ops = EVASIONS["skip-decorator"][0][len(BREAK_SUB) :]  # only the skip, not the break
    proc = run_plan(calc, [task("skip", ops)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    status = podium(calc, "status")
    finding = "disable-tests: tests/test_core.py:12: adds 'pytest.mark.skip'"
    assert f"warning: {finding}" in status.stdout
    assert podium(calc, "report", "-o", "report.html").returncode == 0
    assert json.dumps(finding)[1:-1] in (calc / "report.html").read_text()


def test_bad_janitor_config_is_a_located_error_and_writes_nothing(tmp_path: Path) -> None:
    calc = repo(tmp_path, '[janitor]\nremove-tests = "sometimes"\n')
    proc = run_plan(calc, [task("t", ["write", "x.txt", "x"])])
    assert proc.returncode == 2
    assert "podium.toml [janitor]: remove-tests must be 'fail', 'warn' or 'allow'" in proc.stderr
    assert not (calc / ".podium").exists()
    plan = {"name": "p", "agent": "command", "tasks": [task("t", ["x"], allow=["remove-test"])]}
    (calc / "podium.toml").write_text("")
    (calc / "plan.yaml").write_text(yaml.safe_dump(plan, sort_keys=False))
    proc = subprocess.run(
        [sys.executable, "-m", "podium", "run", "plan.yaml"],
        cwd=calc,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "allows unknown evasion class 'remove-test' (did you mean 'remove-tests'?" in proc.stderr
    assert not (calc / ".podium").exists()


TRIPLE = "\\n\\ndef triple(x):\\n    return x * 3\\n"
TRIPLE_TEST = (
    "from calc.core import triple\\n\\n\\ndef test_triple():\\n    assert triple(2) == 6\\n"
)
ADD_TRIPLE = edit("calc/core.py", "return a - b\n", f"return a - b\\n{TRIPLE}")
UNTESTED = "untested-changes: calc/core.py:9-10: none of these changed lines ran under the tests"


def test_changed_code_no_test_runs_is_refused_when_untested_changes_is_on(
    tmp_path: Path,
) -> None:
    calc = repo(tmp_path, 'max_attempts = 1\n[janitor]\nuntested-changes = "fail"\n')
    base = git(calc, "rev-parse", "main")
    tested = [*ADD_TRIPLE, "write", "tests/test_triple.py", TRIPLE_TEST]
    proc = run_plan(calc, [task("untested", ADD_TRIPLE), task("tested", tested)])
    assert proc.returncode == 1, proc.stdout + proc.stderr
    status = {t["id"]: t for t in json.loads(proc.stdout)["tasks"]}
    assert status["untested"]["state"] == "failed"
    assert status["untested"]["reason"].startswith(f"evasions: {UNTESTED}")
    assert "add a test that runs the lines you changed" in status["untested"]["reason"]
    assert status["tested"]["state"] == "merged"
    # Only the tested work moved the target.
    assert git(calc, "diff", "--name-only", base, "main").split() == [
        "calc/core.py",
        "tests/test_triple.py",
    ]


def test_untested_changes_under_warn_land_and_show_in_status(tmp_path: Path) -> None:
    calc = repo(tmp_path, 'max_attempts = 1\n[janitor]\nuntested-changes = "warn"\n')
    proc = run_plan(calc, [task("untested", ADD_TRIPLE)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "def triple(x):" in (calc / "calc/core.py").read_text()
    assert f"warning: {UNTESTED}" in podium(calc, "status").stdout


def test_untested_changes_without_coverage_is_a_preflight_error(tmp_path: Path) -> None:
    venv = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    calc = repo(tmp_path, 'max_attempts = 1\n[janitor]\nuntested-changes = "fail"\n')
    (calc / "podium.toml").write_text(
        f'gates = ["{venv}/bin/python -m pytest -q"]\n[janitor]\nuntested-changes = "fail"\n'
    )
    git(calc, "commit", "-qam", "a gate whose Python has no coverage.py")
    proc = run_plan(calc, [task("t", ADD_TRIPLE)])
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert (
        "podium.toml [janitor]: untested-changes: coverage.py is not importable by "
        f"`{venv}/bin/python` (install `coverage` there)"
    ) in proc.stderr
    assert not (calc / ".podium").exists()
