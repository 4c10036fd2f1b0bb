"""Every agent CLI that goes silent is killed with its whole process group at podium's
silence timeout, and nothing of it is left in the process table."""

from __future__ import annotations

from pathlib import Path

import pytest

from podium.testing import ScriptedServer

from agentkit import leftover_processes, podium_toml, run_agent_plan, scripted_goal

# Seconds of silence allowed: above each CLI's quiet start-up (aider imports litellm for ~4 s;
# opencode prints nothing before its first answer, ~5 s). How long the whole run takes is a
# benchmark's business, not this test's: the reason and the process table prove the kill.
SILENCE = {
    "claude": 5,
    "codex": 5,
    "gemini": 5,
    "qwen": 5,
    "copilot": 5,
    "aider": 10,
    "opencode": 12,
}


@pytest.mark.parametrize("agent", sorted(SILENCE))
def test_silent_agent_is_killed_with_its_group(tmp_path: Path, agent: str) -> None:
    silence = SILENCE[agent]
    goal = scripted_goal("feature", "hang", {"hang": True})
    task = {"id": "feature", "goal": goal, "files": ["src/app.py", "src/feature.py"]}
    with ScriptedServer() as server:
        toml = "max_attempts = 1\n" + podium_toml(agent, server, silence=silence)
        run = run_agent_plan(tmp_path, agent, server, [task], toml)
    feature = run.task("feature")
    assert feature["state"] == "failed"
    assert "silence" in feature["reason"], feature["reason"]
    assert leftover_processes(str(run.repo)) == []
