"""The command line as a user meets it: bad input is exit 2 with a located message, and
nothing is written; init; dry-run; no traceback ever."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import agent, git


def podium(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "podium", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )


def write_plan(repo: Path, plan: object, name: str = "plan.yaml") -> None:
    (repo / name).write_text(plan if isinstance(plan, str) else yaml.safe_dump(plan))


def nothing_written(repo: Path) -> bool:
    return not (repo / ".podium" / "worktrees").exists() and "podium/" not in git(
        repo, "branch", "--list", "podium/*"
    )


BAD_PLANS = {
    "yaml syntax": ("name: x\ntasks: [\n", "plan.yaml:"),
    "cycle": (
        {
            "name": "x",
            "agent": "command",
            "tasks": [
                {"id": "a", "goal": "a", "after": ["b"], "command": ["true"]},
                {"id": "b", "goal": "b", "after": ["a"], "command": ["true"]},
            ],
        },
        "a -> b -> a",
    ),
    "unknown agent": (
        {"name": "x", "agent": "nobody", "tasks": [{"id": "a", "goal": "a"}]},
        "unknown agent 'nobody'",
    ),
    "unknown dependency": (
        {
            "name": "x",
            "agent": "command",
            "tasks": [{"id": "a", "goal": "a", "after": ["zz"], "command": ["true"]}],
        },
        "unknown task 'zz'",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_PLANS))
def test_bad_plan_is_exit_2_and_changes_nothing(calc_repo: Path, case: str) -> None:
    plan, expected = BAD_PLANS[case]
    write_plan(calc_repo, plan)
    proc = podium(calc_repo, "run", "plan.yaml")
    assert proc.returncode == 2, proc.stderr
    assert expected in proc.stderr and proc.stderr.startswith("podium: ")
    assert "Traceback" not in proc.stderr
    assert nothing_written(calc_repo)


def test_missing_plan_file(calc_repo: Path) -> None:
    proc = podium(calc_repo, "run", "nope.yaml")
    assert proc.returncode == 2 and "nope.yaml" in proc.stderr and "Traceback" not in proc.stderr


def test_not_a_repository(tmp_path: Path) -> None:
    proc = podium(tmp_path, "status")
    assert proc.returncode == 2 and "not inside a git repository" in proc.stderr


BAD_CONFIGS = {
    "unknown key": (
        'ownershp = "warn"\n',
        "podium.toml: unknown key 'ownershp' (did you mean 'ownership'?)",
    ),
    "wait not a number": (
        "[merge]\nwait = 'soon'\n",
        "podium.toml [merge]: wait must be a number of seconds, 0 or more, not 'soon'",
    ),
    "negative wait": (
        "[merge]\nwait = -2\n",
        "podium.toml [merge]: wait must be a number of seconds, 0 or more, not -2",
    ),
    "conflict_retries not a number": (
        "[merge]\nconflict_retries = 'x'\n",
        "podium.toml [merge]: conflict_retries must be a whole number, 0 or more, not 'x'",
    ),
    "negative conflict_retries": (
        "[merge]\nconflict_retries = -1\n",
        "podium.toml [merge]: conflict_retries must be a whole number, 0 or more, not -1",
    ),
    "gate_attempts as a string": (
        "[merge]\ngate_attempts = 'false'\n",
        "podium.toml [merge]: gate_attempts must be true or false, not 'false'",
    ),
    "agent value not a string": (
        "[agents.command]\nbin = 7\n",
        "podium.toml [agents.command]: bin must be a string, not 7",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config_is_exit_2_located_and_changes_nothing(calc_repo: Path, case: str) -> None:
    text, expected = BAD_CONFIGS[case]
    (calc_repo / "podium.toml").write_text(text)
    write_plan(
        calc_repo,
        {"name": "x", "agent": "command", "tasks": [{"id": "a", "goal": "a", "command": ["true"]}]},
    )
    proc = podium(calc_repo, "run", "plan.yaml")
    assert proc.returncode == 2, proc.stderr
    assert expected in proc.stderr and proc.stderr.startswith("podium: ")
    assert "Traceback" not in proc.stderr
    assert nothing_written(calc_repo)


def test_init_detects_gates_and_keeps_the_tree_clean(calc_repo: Path) -> None:
    proc = podium(calc_repo, "init")
    assert proc.returncode == 0, proc.stderr
    text = (calc_repo / "podium.toml").read_text()
    assert '"python -m pytest -q"' in text
    assert git(calc_repo, "status", "--porcelain", "--untracked-files=no") == ""
    assert podium(calc_repo, "init").returncode == 2  # never overwrites without --force
    # Right after init, a run works (a peer's `-g` right after `init` failed).
    write_plan(
        calc_repo,
        {
            "name": "x",
            "agent": "command",
            "gates": [],
            "tasks": [{"id": "a", "goal": "a", "command": agent("write", "a", "1")}],
        },
    )
    assert podium(calc_repo, "run", "plan.yaml").returncode == 0


def test_dry_run_shows_waves_and_serialization_and_runs_nothing(calc_repo: Path) -> None:
    write_plan(
        calc_repo,
        {
            "name": "x",
            "agent": "command",
            "tasks": [
                {"id": "a", "goal": "a", "files": ["src/**"], "command": ["true"]},
                {"id": "b", "goal": "b", "files": ["src/b.py"], "command": ["true"]},
                {
                    "id": "c",
                    "goal": "c",
                    "after": ["a"],
                    "command": ["true"],
                    "estimated_minutes": 50,
                },
            ],
        },
    )
    proc = podium(calc_repo, "run", "plan.yaml", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "wave 1: a, b" in proc.stdout and "wave 2: c" in proc.stdout
    assert "critical path: a -> c" in proc.stdout
    assert "ownership serializes: a / b" in proc.stdout
    assert nothing_written(calc_repo) and not (calc_repo / ".podium" / "podium.db").exists()


def test_help_and_version() -> None:
    out = subprocess.run([sys.executable, "-m", "podium", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "run" in out.stdout and "status" in out.stdout
    ver = subprocess.run(
        [sys.executable, "-m", "podium", "--version"], capture_output=True, text=True
    )
    assert "podium" in ver.stdout


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys; sys.argv=['podium','--help']\nfrom podium.ui import cli\n"
        "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('pydantic','yaml','asyncio','sqlite3','rich') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
