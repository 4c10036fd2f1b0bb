"""podium's own overhead around one agent process: spawn, stream parsing, logging, supervision.

Runs the same real agent CLI (Claude Code, from .tools/bin) against podium's scripted model
server two ways, alternately: bare (subprocess, output read to the end) and through podium's
runner with the claude adapter parsing every line. Target: podium adds at most 50 ms per
attempt (median of the differences).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from _common import QUICK, finish

from podium.agents.base import Job
from podium.agents.claude import ClaudeAdapter
from podium.agents.runner import Limits, agent_env, run_agent
from podium.config import AgentConfig
from podium.plans.model import Task
from podium.testing import ScriptedServer

ROUNDS = 1 if QUICK else 7
TOOLS = Path(__file__).resolve().parents[1] / ".tools" / "bin"


def job(home: Path, url: str) -> Job:
    worktree = home / "wt"
    worktree.mkdir(parents=True, exist_ok=True)
    prompt = 'Answer.\nPODIUM-SCRIPT: {"text": "Nothing to do."}\n'
    config = AgentConfig(base_url=url, api_key_env="BENCH_KEY", bin=str(TOOLS / "claude"))
    return Job(Task("t", "t"), prompt, home / "prompt.md", worktree, home, None, config)


def bare(argv: tuple[str, ...], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True)
    return time.perf_counter() - start


def through_podium(adapter: ClaudeAdapter, j: Job, env: dict[str, str], log: Path) -> float:
    launch = adapter.launch(j)
    start = time.perf_counter()
    outcome = asyncio.run(run_agent(adapter, launch, j.worktree, log, Limits(120, 60), env))
    took = time.perf_counter() - start
    assert outcome.exit_code == 0 and any(e.kind == "result" for e in outcome.events)
    return took


def main() -> None:
    os.environ["BENCH_KEY"] = "sk-bench"
    adapter = ClaudeAdapter()
    with ScriptedServer() as server, tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        j = job(home, server.url)
        launch = adapter.launch(j)
        env = {**agent_env(launch, home, False), "PWD": str(j.worktree)}
        bare(launch.argv, env, j.worktree)  # warm-up: page cache, first-run files
        diffs, bares = [], []
        for i in range(ROUNDS):
            b = bare(launch.argv, env, j.worktree)
            p = through_podium(adapter, j, env, home / f"a{i}.log")
            bares.append(b)
            diffs.append(p - b)
        extra_ms = statistics.median(diffs) * 1000
        print(
            f"bare claude run: median {statistics.median(bares) * 1000:.0f} ms; podium adds "
            f"{extra_ms:.1f} ms (per round: {', '.join(f'{d * 1000:.0f}' for d in diffs)})"
        )
        finish("agent-overhead", extra_ms, 50.0, " ms")


if __name__ == "__main__":
    main()
