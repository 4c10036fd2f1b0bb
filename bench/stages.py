"""Stages bench: 12 tasks in 3 dependent stages of 4, agents sleeping 2 s, a pytest gate.

Run: .venv/bin/python bench/stages.py   (exit 1 when a ratio is over its target)

Each task of stage k+1 depends on every task of stage k. podium runs it with 4 slots and
its defaults (speculative dependents on). Against it, in the same run and on an identical
repository, a minimal orchestrator in bash doing stage by stage, the 4 tasks of a stage at
once: `git worktree add`, the agent (the same `sh -c`), commit, pytest in the worktree;
then, one by one, merge-tree, commit-tree and update-ref onto main. The critical-path
bound is the agents alone: 3 stages x 2 s. Prints podium / orchestrator (target <= 0.70)
and podium / bound (target <= 2.0); the figure is the first.

Three rounds, each running the two back to back on fresh identical repositories (who goes
first alternates) after one untimed run of the gate (so that neither pays for compiling
pytest's byte code); the figures are the medians over rounds of the per-round ratios, which
cancel most of the load other processes put on the machine.
"""

from __future__ import annotations

import shlex
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

from _common import (
    PYTHON,
    QUICK,
    SLEEP_WRITE,
    finish,
    git,
    landed,
    make_repo,
    run_podium,
    sandbox,
    timed,
    write_plan,
)

STAGES, WIDTH = (2, 2) if QUICK else (3, 4)
ROUNDS = 1 if QUICK else 3
SLEEP_S = 0.5 if QUICK else 2.0
TEST = """import pathlib

def test_outputs():
    assert all(p.read_text() == "ok" for p in pathlib.Path("out").glob("*.txt"))
"""
GATE = f"{PYTHON} -m pytest -q -p no:cacheprovider"


def ids(stage: int) -> list[str]:
    return [f"s{stage}t{i}" for i in range(WIDTH)]


def plan() -> dict[str, Any]:
    tasks = [
        {
            "id": t,
            "goal": f"write {t}",
            "agent": "command",
            "files": [f"out/{t}.txt"],
            "after": ids(s - 1) if s else [],
            "command": [
                "sh",
                "-c",
                SLEEP_WRITE,
                "agent",
                f"{{worktree}}/out/{t}.txt",
                "ok",
                str(SLEEP_S),
            ],
        }
        for s in range(STAGES)
        for t in ids(s)
    ]
    return {"name": "stages", "agent": "command", "max_parallel": WIDTH, "tasks": tasks}


def fresh(root: Path, env: dict[str, str], name: str) -> Path:
    repo = make_repo(root / name, env, 50)
    (repo / "out").mkdir()
    (repo / "out" / ".keep").write_text("")
    (repo / "test_out.py").write_text(TEST)
    (repo / "podium.toml").write_text(f'gates = ["{GATE}"]\n')
    git(repo, env, "add", "-A")
    git(repo, env, "commit", "-qm", "gate")
    return repo


def script(repo: Path, wt: Path) -> str:
    """The minimal orchestrator: stage by stage, tasks at once, then merges one by one."""
    q = shlex.quote
    lines = ["set -euo pipefail", f"cd {q(str(repo))}", "ref=refs/heads/main"]
    for s in range(STAGES):
        lines.append('base=$(git rev-parse "$ref")')
        for t in ids(s):
            w = q(str(wt / t))
            out = q(f"{wt / t}/out/{t}.txt")
            agent = f"sh -c {q(SLEEP_WRITE)} agent {out} ok {SLEEP_S}"
            commit = f"git -C {w} add -A && git -C {w} commit -qm {t}"
            add = f'git worktree add -q -b b/{t} {w} "$base"'
            lines.append(f"( {add} && {agent} && {commit} && cd {w} && {GATE} >/dev/null ) &")
        lines.append("wait")
        for t in ids(s):
            lines += [
                'old=$(git rev-parse "$ref")',
                f'tree=$(git merge-tree --write-tree "$old" b/{t})',
                f'new=$(git commit-tree "$tree" -p "$old" -m {t})',
                'git update-ref "$ref" "$new" "$old"',
            ]
    return "\n".join(lines) + "\n"


def one_round(n: int) -> tuple[float, float]:
    """(orchestrator, podium) wall times on fresh identical repositories, back to back."""
    with sandbox("stages") as (root, env):
        base_repo = fresh(root, env, "bash")
        (root / "bash-wt").mkdir()
        (root / "orchestrator.sh").write_text(script(base_repo, root / "bash-wt"))
        repo = fresh(root, env, "podium")
        start = git(repo, env, "rev-parse", "main")
        path = write_plan(root / "plan.yaml", plan())
        warm = fresh(root, env, "warm")  # the gate's byte code cached, as on a used machine
        subprocess.run(shlex.split(GATE), cwd=warm, env=env, capture_output=True, check=True)

        def orchestrator() -> float:
            return timed(["bash", str(root / "orchestrator.sh")], base_repo, env)

        def podium() -> float:
            t0 = time.perf_counter()
            run_podium(repo, env, "run", str(path))
            return time.perf_counter() - t0

        if n % 2 == 0:
            bash_s, podium_s = orchestrator(), podium()
        else:
            podium_s, bash_s = podium(), orchestrator()
        count = landed(repo, env, start)
        assert count == STAGES * WIDTH, f"{count} tasks landed, expected {STAGES * WIDTH}"
    return bash_s, podium_s


def main() -> None:
    bound = STAGES * SLEEP_S
    print(f"{STAGES} stages of {WIDTH}, agents {SLEEP_S} s, pytest gate, {WIDTH} slots")
    ratios, bounds = [], []
    for n in range(ROUNDS):
        bash_s, podium_s = one_round(n)
        ratios.append(podium_s / bash_s)
        bounds.append(podium_s / bound)
        print(
            f"round {n + 1}: minimal orchestrator {bash_s:.2f} s, podium run {podium_s:.2f} s "
            f"({ratios[-1]:.2f}x the orchestrator, {bounds[-1]:.2f}x the {bound:.0f} s bound)"
        )
    over_bound = statistics.median(bounds)
    print(f"critical-path bound  : {bound:.2f} s (podium {over_bound:.2f}x, target <= 2.0)")
    if not QUICK and over_bound > 2.0:
        figure = statistics.median(ratios)
        print(f"stages: {figure:.3f}x, but {over_bound:.3f}x the bound (target <= 2.0x) FAIL")
        raise SystemExit(1)
    finish("stages", statistics.median(ratios), 0.70, "x")


if __name__ == "__main__":
    main()
