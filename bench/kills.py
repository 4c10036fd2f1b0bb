"""Kill bench: how long past its limit an agent lives before the runner has it dead.

Run: .venv/bin/python bench/kills.py   (exit 1 when the worst overshoot is over the target)

The runner's tests prove *that* a silent agent, a chatty one past its wall clock and one that
ignores SIGTERM are killed with their whole process group; this bench measures *how soon*:
the time from starting the agent to the runner's return, minus the limit that should end it.
The figure is the worst case over the three agents, median of a few rounds.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import QUICK, finish

from podium.agents.base import Launch
from podium.agents.command import CommandAdapter
from podium.agents.runner import KILL_GRACE, Limits, agent_env, run_agent

ROUNDS = 1 if QUICK else 3
TARGET = KILL_GRACE + 1.0  # seconds past the limit: SIGTERM's grace, then SIGKILL at once
AGENTS = {
    # name: (script, wall limit, silence limit, the limit that must end it)
    "silent, with a child": (
        "import subprocess, sys, time\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        "print('started', flush=True)\ntime.sleep(600)",
        60.0,
        1.0,
        1.0,
    ),
    "chatty past its wall clock": (
        "import time\nwhile True:\n    print('busy', flush=True); time.sleep(0.1)",
        1.0,
        30.0,
        1.0,
    ),
    "ignores SIGTERM": (
        "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('x', flush=True)\ntime.sleep(600)",
        60.0,
        0.5,
        0.5,
    ),
}


def overshoot(script: str, wall: float, silence: float, limit: float) -> float:
    with tempfile.TemporaryDirectory(prefix="podium-bench-kills-") as tmp:
        launch = Launch((sys.executable, "-c", script), inherit_env=True)
        env = agent_env(launch, Path(tmp), True)
        start = time.monotonic()
        outcome = asyncio.run(
            run_agent(CommandAdapter(), launch, Path(tmp), Path(tmp) / "a.log",
                      Limits(wall, silence), env)
        )  # fmt: skip
        took = time.monotonic() - start
    assert outcome.killed, f"the agent was not killed: {outcome}"
    return took - limit


def main() -> None:
    worst = []
    for _ in range(ROUNDS):
        figures = {name: overshoot(*spec) for name, spec in AGENTS.items()}
        for name, figure in figures.items():
            print(f"  {name:<28} {figure:6.2f} s past its limit")
        worst.append(max(figures.values()))
    finish("kills", statistics.median(worst), TARGET, " s")


if __name__ == "__main__":
    main()
