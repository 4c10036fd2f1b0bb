"""An attempt's log is written while its agent works: a real CLI, held mid-turn by the
scripted server, has its first events in `a1.log` (and `podium logs`) before it ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from podium.testing import ScriptedServer

from agentkit import (
    FAKE_KEY_ENV,
    TOOLS_BIN,
    leftover_processes,
    podium_toml,
    require_cli,
    scripted_goal,
)
from conftest import make_repo

DEADLINE = 180.0  # seconds before the test gives up waiting (never asserted as a speed)


def test_log_holds_the_first_events_while_the_agent_is_held(tmp_path: Path) -> None:
    require_cli("claude")
    write = {"write_file": {"path": "src/feature.py", "content": "def f():\n    return 42\n"}}
    goal = scripted_goal("feature", "held", [write, {"hang": True}])
    repo = make_repo(tmp_path / "repo", {"README.md": "# demo\n", "src/app.py": "X = 1\n"})
    plan = {"name": "held", "agent": "claude", "tasks": [{"id": "feature", "goal": goal}]}
    (repo / "plan.yaml").write_text(yaml.safe_dump(plan))
    env = {
        **os.environ,
        FAKE_KEY_ENV: "sk-podium-fake",
        "PATH": f"{TOOLS_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    log = repo / ".podium" / "logs" / "r1" / "feature" / "a1.log"
    with ScriptedServer() as server:
        (repo / "podium.toml").write_text("max_attempts = 1\n" + podium_toml("claude", server))
        run = subprocess.Popen(
            [sys.executable, "-m", "podium", "run", "plan.yaml"],
            cwd=repo,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            give_up = time.monotonic() + DEADLINE
            while not (log.exists() and "→ Write" in log.read_text()):
                assert run.poll() is None, "podium ended before the agent's first events"
                assert time.monotonic() < give_up, "no tool call in a1.log while the agent runs"
                time.sleep(0.1)
            assert run.poll() is None  # the agent is still held mid-turn
            shown = subprocess.run(
                [sys.executable, "-m", "podium", "logs", "feature"],
                cwd=repo,
                env=env,
                capture_output=True,
                text=True,
            )
            assert "→ Write" in shown.stdout and "src/feature.py" in shown.stdout
            raw = log.with_name("a1.raw.log").read_text()
            assert '"type":"system"' in raw.replace(" ", "")  # the stream as it came, apart
        finally:
            run.send_signal(signal.SIGTERM)  # cancel: the agent's group goes with the run
            run.wait(timeout=DEADLINE)
    assert leftover_processes(str(repo)) == []
