"""A failed attempt's summary, with Claude Code against the scripted server: the janitor's
verdict as structured data, handed to the next attempt (the server sees it in the prompt),
shown by `podium status`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from podium.testing import ScriptedServer

from agentkit import FAKE_KEY_ENV, TOOLS_BIN, podium_toml, run_agent_plan, scripted_goal

TEST = "from src.feature import feature\n\n\ndef test_answer():\n    assert feature() == 42\n"
WRONG = "def feature() -> int:\n    return 41\n"
RIGHT = "def feature() -> int:\n    return 42\n"
# The second attempt writes the right answer only when its prompt names the failing test and
# its first error line: the summary of the first attempt has reached the model.
SUMMARY = "failing tests:\n  tests/test_feature.py::test_answer: assert 41 == 42"


def test_second_attempt_is_told_what_failed(tmp_path: Path) -> None:
    pytest_cmd = f"{sys.executable} -m pytest -q -p no:cacheprovider tests/test_feature.py"
    script = [
        {
            "match": {"any_user": SUMMARY, "has_tool": "Write"},
            "reply": {"write_file": {"path": "src/feature.py", "content": RIGHT}},
            "then_text": "Fixed: 42 now.",
        },
        {
            "match": {"tag": "feature", "has_tool": "Write"},
            "reply": {"write_file": {"path": "src/feature.py", "content": WRONG}},
            "then_text": "I wrote feature() returning 41.",
        },
    ]
    task = {
        "id": "feature",
        "goal": "Write feature().\nPODIUM-TAG: feature",
        "files": ["src/feature.py"],
        "checks": [{"command": pytest_cmd}],
    }
    files = {"README.md": "# demo\n", "src/__init__.py": "", "tests/test_feature.py": TEST}
    with ScriptedServer(script) as server:
        toml = "max_attempts = 2\n" + podium_toml("claude", server)
        run = run_agent_plan(tmp_path, "claude", server, [task], toml, files=files)
    done = run.task("feature")
    assert done["state"] == "merged", done["reason"]
    assert [a["outcome"] for a in done["attempt_list"]] == ["checks_failed", "merged"]
    first = run.events("task.failure")[0]
    assert first["attempt"] == 1 and first["stage"] == "checks"
    assert first["failed"] == f"check `{pytest_cmd}`"
    assert first["tests"] == [
        {"id": "tests/test_feature.py::test_answer", "error": "assert 41 == 42"}
    ]
    assert first["changed"] == ["src/feature.py"] and first["outside"] == []
    assert first["last_words"] == "I wrote feature() returning 41."
    assert first["exit_code"] == 0 and first["agent"] == "claude"
    assert (run.repo / "src/feature.py").read_text() == RIGHT
    status = subprocess.run(
        [sys.executable, "-m", "podium", "status"], cwd=run.repo, capture_output=True, text=True
    )
    assert "failed at checks" not in status.stdout  # merged: the old failure is not news


CREDIT = "Your credit balance is too low to access the Anthropic API."


def test_a_used_up_credit_pauses_the_run_and_resume_finishes_it(tmp_path: Path) -> None:
    """Not two tasks failed one by one: the run pauses (exit 1), the tasks wait, nothing of
    their attempt budget is spent, and `podium resume` lands them once the credit is back."""
    script = [
        {
            "match": {"any_user": "PODIUM-TAG: one", "has_tool": "Write"},
            "reply": {"error": {"status": 400, "message": CREDIT}},
            "times": 1,
        }
    ]
    reply = {"write_file": {"path": "src/one.py", "content": "ONE = 1\n"}}
    tasks = [
        {"id": "one", "goal": scripted_goal("one", "one", reply), "files": ["src/one.py"]},
    ]
    with ScriptedServer(script) as server:
        toml = "max_attempts = 1\n" + podium_toml("claude", server)
        run = run_agent_plan(tmp_path, "claude", server, tasks, toml)
        assert run.proc.returncode == 1
        assert run.status["status"] == "paused"
        assert run.status["paused"].startswith("anthropic credit exhausted"), run.status
        assert run.task("one")["state"] == "pending"
        assert [a["outcome"] for a in run.task("one")["attempt_list"]] == ["paused"]
        env = {
            **os.environ,
            FAKE_KEY_ENV: "sk-podium-fake",
            "PATH": f"{TOOLS_BIN}:{os.environ['PATH']}",
        }
        done = subprocess.run(
            [sys.executable, "-m", "podium", "resume", "--json"],
            cwd=run.repo,
            env=env,
            capture_output=True,
            text=True,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (run.repo / "src/one.py").read_text() == "ONE = 1\n"
