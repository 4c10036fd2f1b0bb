"""Shared fixtures: an isolated HOME, real git repositories in temporary directories."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from podium.store import AttemptRow, RunRow, Store

HERE = Path(__file__).parent
FAKE_AGENT = str(HERE / "fake_agent.py")
PYTHON = sys.executable


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """No test writes to the real home or reads the machine's git configuration."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(home / var.lower()))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Test\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n"
    )
    return home


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def make_repo(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    for name, text in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    git(path, "add", "-A")
    git(path, "commit", "-qm", "initial")
    return path


CALC = {
    "calc/__init__.py": "",
    "calc/core.py": "def add(a, b):\n    return a + b\n",
    "tests/test_core.py": (
        "from calc.core import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"
    ),
    "settings.py": 'MODE = "base"\n',
    "README.md": "# calc\n",
    "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n',
}


@pytest.fixture
def calc_repo(tmp_path: Path) -> Path:
    """A small Python package with a passing pytest suite."""
    return make_repo(tmp_path / "calc", CALC)


def agent(*ops: str) -> list[str]:
    """A `command` agent argv that performs ops in its worktree."""
    return [PYTHON, FAKE_AGENT, "{worktree}", *ops]


@pytest.fixture
def in_repo(calc_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(calc_repo)
    os.environ.pop("GIT_DIR", None)
    return calc_repo


@pytest.fixture
def agent_group() -> Iterator[subprocess.Popen[bytes]]:
    """A sleeping stand-in agent that leads its own process group, as the runner starts agents."""
    proc = subprocess.Popen([PYTHON, "-c", "import time; time.sleep(120)"], start_new_session=True)
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=60)


@pytest.fixture
def run_store(tmp_path: Path) -> Iterator[Store]:
    """A real SQLite store holding run 'r1' of plan 'shop' on main: tasks api and docs, pending."""
    store = Store(tmp_path / "podium.db")
    run = RunRow("r1", "shop", "", "main", "base", "running", 2, "[]", 1000.0, None)
    store.create_run(run, ["api", "docs"], at=1000.0)
    yield store
    store.close()


@pytest.fixture
def record_attempt() -> Callable[..., AttemptRow]:
    """Start an attempt in a store (its task moves to running), then set `fields` on it."""

    def record(
        store: Store, task: str, n: int = 1, agent: str = "claude", **fields: Any
    ) -> AttemptRow:
        row = AttemptRow(
            store.run().id, task, n, agent, fields.pop("model", None),
            f"podium/{store.run().id}/{task}/a{n}", fields.pop("worktree", f"/wt/{task}"),
            "base", None, None, None, 1000.0 + n, None, None, None, "", 0, 0, 0.0,
        )  # fmt: skip
        store.start_attempt(row)
        if fields:
            store.update_attempt(row.run_id, task, n, **fields)
        return row

    return record
