"""The `command` agent: an argv template filled in, run without a shell, judged by its exit."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from pathlib import Path

import yaml

from podium.agents.base import AgentEvent, Job
from podium.agents.command import CommandAdapter, expand
from podium.plans.model import Task

from conftest import PYTHON


def job(tmp_path: Path, *command: str) -> Job:
    task = Task("api", "x", agent="command", command=command)
    prompt_file = tmp_path / "prompt.md"
    prompt_file.write_text("Add the API\n")
    return Job(task, "Add the API; $(rm -rf /)", prompt_file, tmp_path, tmp_path / "home")


def test_every_placeholder_is_filled_inside_any_argument(tmp_path: Path) -> None:
    argv = expand(
        ["tool", "--dir={worktree}", "{prompt_file}", "task:{task_id}", "{prompt}", "{other}"],
        job(tmp_path),
    )
    assert argv == (
        "tool",
        f"--dir={tmp_path}",
        str(tmp_path / "prompt.md"),
        "task:api",
        "Add the API; $(rm -rf /)",
        "{other}",
    )


def test_the_prompt_reaches_the_program_as_one_argument_never_through_a_shell(
    tmp_path: Path,
) -> None:
    script = "import sys; print(repr(sys.argv[1:]))"
    launch = CommandAdapter().launch(job(tmp_path, PYTHON, "-c", script, "{prompt}"))
    assert launch.inherit_env
    out = subprocess.run(launch.argv, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['Add the API; $(rm -rf /)']"


def test_every_line_is_text_and_the_exit_status_decides() -> None:
    adapter = CommandAdapter()
    assert adapter.available().usable
    assert adapter.parse('{"type": "result"}') == (AgentEvent("text", '{"type": "result"}'),)
    assert adapter.verdict(0, ()).ok
    assert adapter.verdict(3, ()).reason == "command exited with status 3"
    said = [AgentEvent("text", line) for line in ("start", "a", "", "b", "Error: no x")]
    assert adapter.verdict(2, said).reason == "command exited with status 2: a / b / Error: no x"
    failed = adapter.verdict(0, (AgentEvent("result", is_error=True),))
    assert (failed.ok, failed.reason) == (False, "the command reported an error")


def test_a_prompt_that_mentions_a_placeholder_reaches_the_program_unchanged(
    tmp_path: Path,
) -> None:
    mentions = replace(job(tmp_path), prompt="Explain {task_id} in {worktree}")
    assert expand(["{prompt}"], mentions) == ("Explain {task_id} in {worktree}",)
    assert expand(["{prompt}:{task_id}"], mentions) == ("Explain {task_id} in {worktree}:api",)


def test_a_failed_command_names_the_untracked_file_it_was_given(calc_repo: Path) -> None:
    """The README's old trap: a helper that exists here but not in the attempt's worktree."""
    (calc_repo / "tools").mkdir()
    (calc_repo / "tools" / "edit.py").write_text("print('editing')\n")
    plan = {
        "name": "helper",
        "agent": "command",
        "gates": [],
        "tasks": [{"id": "a", "goal": "g", "command": [PYTHON, "tools/edit.py", "{worktree}"]}],
    }
    (calc_repo / "plan.yaml").write_text(yaml.safe_dump(plan))
    proc = subprocess.run(
        [PYTHON, "-m", "podium", "run", "plan.yaml", "--json"],
        cwd=calc_repo,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    [task] = json.loads(proc.stdout)["tasks"]
    assert task["reason"].startswith("command exited with status 2: ")
    assert "No such file or directory" in task["reason"]
    assert task["reason"].endswith(
        "('tools/edit.py' is not committed: attempts run in a fresh worktree of the committed "
        "tree, where untracked files are absent)"
    )
