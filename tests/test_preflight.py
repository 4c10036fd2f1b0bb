"""Pre-flight: a run that cannot work is refused before anything is written, with every
problem named at once (exit 2), by `podium run` and `podium run --dry-run` alike."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from podium.api.preflight import program_problem
from podium.config import Config

from conftest import agent, git

TOOLS_BIN = Path(__file__).resolve().parents[1] / ".tools" / "bin"


def podium(
    repo: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "podium", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def snapshot(repo: Path) -> tuple[str, str, list[str]]:
    """What a run would write: refs, worktrees, and .podium/'s contents."""
    state = repo / ".podium"
    files = sorted(str(p.relative_to(repo)) for p in state.rglob("*")) if state.exists() else []
    return git(repo, "for-each-ref"), git(repo, "worktree", "list"), files


def only_claude_on_path(tmp_path: Path) -> dict[str, str]:
    """PATH with Claude Code but no Codex, and no key for either."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "claude").symlink_to(TOOLS_BIN / "claude")
    env = {"PATH": f"{bin_dir}{os.pathsep}/usr/local/bin:/usr/bin:/bin"}
    return env | {"ANTHROPIC_API_KEY": "", "OPENAI_API_KEY": "", "PODIUM_TOOLS_DIR": str(tmp_path)}


PLAN = {
    "name": "three-problems",
    "gates": ["pytset -q"],
    "tasks": [
        {"id": "api", "goal": "Add an API", "agent": "codex", "files": ["api.py"]},
        {"id": "docs", "goal": "Write docs", "agent": "claude", "files": ["docs.md"]},
    ],
}


@pytest.mark.parametrize("dry_run", [False, True], ids=["run", "dry-run"])
def test_three_problems_named_at_once_and_nothing_written(
    calc_repo: Path, tmp_path: Path, dry_run: bool
) -> None:
    (calc_repo / "plan.yaml").write_text(yaml.safe_dump(PLAN, sort_keys=False))
    before = snapshot(calc_repo)
    args = ["run", "plan.yaml", *(["--dry-run"] if dry_run else [])]
    proc = podium(calc_repo, *args, env=only_claude_on_path(tmp_path))
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr
    assert "pre-flight found 3 problem(s); nothing was started or written" in err
    assert "plan.yaml:7:10: agent 'codex' (tasks: api) is not usable: not installed" in err
    assert "`podium agents install codex`" in err
    assert "plan.yaml:12:10: agent 'claude' (tasks: docs) is not usable: not authenticated" in err
    assert "set ANTHROPIC_API_KEY" in err
    assert "plan.yaml:3:3: gate: `pytset -q`: program 'pytset' not found on PATH" in err
    assert "Traceback" not in err and proc.stdout == ""
    assert snapshot(calc_repo) == before


def test_an_untracked_command_program_is_named_with_why(calc_repo: Path) -> None:
    """The README's trap: a helper that exists here but not in the committed tree."""
    (calc_repo / "tools").mkdir()
    (calc_repo / "tools" / "edit.py").write_text("print('edit')\n")
    (calc_repo / "tools" / "edit.py").chmod(0o755)
    plan = {
        "name": "helper",
        "agent": "command",
        "gates": [],
        "tasks": [{"id": "a", "goal": "g", "command": ["./tools/edit.py", "{worktree}"]}],
    }
    (calc_repo / "plan.yaml").write_text(yaml.safe_dump(plan))
    before = snapshot(calc_repo)
    proc = podium(calc_repo, "run", "plan.yaml")
    assert proc.returncode == 2
    assert (
        "plan.yaml:6:3: task 'a' command: './tools/edit.py' is not committed: attempts start from "
        "the committed tree, where it is absent" in proc.stderr
    )
    assert snapshot(calc_repo) == before
    git(calc_repo, "add", "tools/edit.py")
    git(calc_repo, "commit", "-qm", "helper")
    assert podium(calc_repo, "run", "plan.yaml", "--dry-run").returncode == 0


@pytest.mark.parametrize(
    ("toml", "said"),
    [
        ('[worktrees]\nsetup = "no-such-setup --all"\n', "podium.toml: [worktrees] setup: "),
        ('gates = ["./missing-gate.sh"]\n', "podium.toml: gate: `./missing-gate.sh`: "),
    ],
    ids=["setup", "config gate"],
)
def test_config_programs_are_checked(calc_repo: Path, toml: str, said: str) -> None:
    (calc_repo / "podium.toml").write_text(toml)
    plan = {
        "name": "p",
        "agent": "command",
        "tasks": [{"id": "a", "goal": "g", "command": agent()}],
    }
    (calc_repo / "plan.yaml").write_text(yaml.safe_dump(plan))
    before = snapshot(calc_repo)
    proc = podium(calc_repo, "run", "plan.yaml", "--dry-run")
    assert proc.returncode == 2 and said in proc.stderr, proc.stderr
    assert snapshot(calc_repo) == before


def test_a_check_program_and_an_unknown_target(calc_repo: Path) -> None:
    check = {"command": "no-such-checker ."}
    task = {"id": "a", "goal": "g", "command": agent(), "checks": [check]}
    plan = {"name": "p", "agent": "command", "gates": [], "tasks": [task]}
    (calc_repo / "plan.yaml").write_text(yaml.safe_dump(plan))
    before = snapshot(calc_repo)
    proc = podium(calc_repo, "run", "plan.yaml", "--target", "nope")
    assert proc.returncode == 2
    assert "--target: branch 'nope' does not exist" in proc.stderr
    assert (
        "plan.yaml:6:5: task 'a' check: `no-such-checker .`: program 'no-such-checker' not found"
        in proc.stderr
    )
    assert snapshot(calc_repo) == before


def test_a_plan_that_can_run_passes_dry_run(calc_repo: Path) -> None:
    plan = {
        "name": "p",
        "agent": "command",
        "gates": ["python -m pytest -q"],
        "tasks": [{"id": "a", "goal": "g", "command": agent(), "checks": [{"path_exists": "x"}]}],
    }
    (calc_repo / "plan.yaml").write_text(yaml.safe_dump(plan))
    proc = podium(calc_repo, "run", "plan.yaml", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert not (calc_repo / ".podium").exists()


def test_program_problem_reads_the_committed_tree(calc_repo: Path) -> None:
    config = Config()
    assert program_problem(calc_repo, "git", config, "main") == ""
    assert program_problem(calc_repo, "calc/core.py", config, "main") == ""
    assert program_problem(calc_repo, "./calc/core.py", config, "main") == ""
    assert program_problem(calc_repo, "{worktree}/run.sh", config, "main") == ""
    assert program_problem(calc_repo, "/no/such/tool", config, "main") == (
        "'/no/such/tool' does not exist"
    )
    (calc_repo / ".venv" / "bin").mkdir(parents=True)
    (calc_repo / ".venv" / "bin" / "tool").write_text("")
    assert program_problem(calc_repo, ".venv/bin/tool", config, "main") == ""  # shared: linked
    assert "does not exist" in program_problem(calc_repo, ".venv/bin/other", config, "main")
