"""Shared helpers for the benches: an isolated HOME, real git repositories, the baseline git
script, timing and the final `NAME: figure (target <= X) OK|FAIL` line.

Every bench measures its own baseline in the same run, because the machines are noisy.
"""

from __future__ import annotations

import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

PYTHON = sys.executable
BIN = Path(sys.executable).parent
# An agent that costs next to nothing: write TEXT to PATH, through the same argv both sides use.
WRITE = 'printf %s "$2" > "$1"'
SLEEP_WRITE = 'sleep "$3" && printf %s "$2" > "$1"'


def podium_argv() -> list[str]:
    """The installed console script when there is one (its pid is the coordinator's)."""
    script = BIN / "podium"
    return [str(script)] if script.exists() else [PYTHON, "-m", "podium"]


def temp_parent() -> str | None:
    """$PODIUM_BENCH_TMP, else /dev/shm when writable, else the system default.

    A RAM-backed directory keeps the figures about podium and git rather than about the disk:
    on the 2-core VM these numbers come from, checking out 2,000 files took ~2 s on its ext4
    disk and ~0.09 s on tmpfs, and the disk time swung with whatever else ran.
    """
    chosen = os.environ.get("PODIUM_BENCH_TMP")
    if chosen:
        return chosen
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None


@contextmanager
def sandbox(prefix: str) -> Iterator[tuple[Path, dict[str, str]]]:
    """A temporary directory and an environment whose HOME and git config live inside it;
    podium has run once in it (see warm_up)."""
    with tempfile.TemporaryDirectory(prefix=f"podium-bench-{prefix}-", dir=temp_parent()) as tmp:
        root = Path(tmp)
        home = root / "home"
        home.mkdir()
        (home / ".gitconfig").write_text(
            "[user]\n\tname = Bench\n\temail = bench@example.com\n"
            "[init]\n\tdefaultBranch = main\n[gc]\n\tauto = 0\n"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        # Time podium as an installed user has it: with byte-code caches. They go to a prefix
        # inside the sandbox, so nothing is written next to the sources.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.update(
            PYTHONPYCACHEPREFIX=str(root / "pycache"),
            HOME=str(home),
            GIT_CONFIG_NOSYSTEM="1",
            GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
        )
        for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
            env[var] = str(home / var.lower())
        warm_up(root, env)
        yield root, env


def warm_up(root: Path, env: dict[str, str]) -> None:
    """One small run and a status, untimed: fills the byte-code cache and the page cache."""
    repo = make_repo(root / "warm-up", env, 5)
    plan = {"name": "warm-up", "agent": "command", "tasks": [write_task("w", "w.txt")]}
    run_podium(repo, env, "run", str(write_plan(root / "warm-up.yaml", plan)))
    run_podium(repo, env, "status")
    run_podium(repo, env, "--help")


def git(cwd: Path, env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


def make_repo(path: Path, env: dict[str, str], n_files: int) -> Path:
    """A repository of n_files small text files in 20 folders, one commit on main."""
    path.mkdir(parents=True)
    git(path, env, "init", "-q", "-b", "main")
    for i in range(n_files):
        f = path / f"pkg{i % 20:02d}" / f"mod{i:04d}.txt"
        f.parent.mkdir(exist_ok=True)
        f.write_text(f"file {i}\n" + "line of text\n" * 20)
    git(path, env, "add", "-A")
    git(path, env, "commit", "-qm", "initial")
    return path


def write_plan(path: Path, plan: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(plan, sort_keys=False))
    return path


def write_task(task_id: str, name: str, text: str = "hi") -> dict[str, Any]:
    """A `command` task that writes one file and nothing else."""
    argv = ["sh", "-c", WRITE, "agent", "{worktree}/" + name, text]
    return {
        "id": task_id,
        "goal": f"write {name}",
        "agent": "command",
        "command": argv,
        "files": [name],
    }


def run_podium(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [*podium_argv(), *args], cwd=repo, env=env, capture_output=True, text=True, timeout=170
    )
    if proc.returncode != 0:
        sys.exit(f"podium {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}{proc.stdout}")
    return proc


def timed(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    spent = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr}")
    return spent


def median_time(argv: Sequence[str], cwd: Path, env: dict[str, str], runs: int) -> float:
    timed(argv, cwd, env)  # warm the page cache; not counted
    return statistics.median(timed(argv, cwd, env) for _ in range(runs))


def git_ops_script(
    repo: Path, wt_root: Path, tasks: Sequence[tuple[str, str]], target: str = "main"
) -> str:
    """Bash doing, per task and serially, the git work one podium task needs at least:
    worktree add -b, the agent writes its file, add + commit, merge-tree --write-tree,
    commit-tree, update-ref (compare-and-swap), worktree remove.
    `tasks` is (task id, file name); the file is written by the same `sh -c` podium runs.
    """
    q = shlex.quote
    lines = ["set -euo pipefail", f"cd {q(str(repo))}", f"ref=refs/heads/{target}"]
    for task_id, name in tasks:
        wt = q(str(wt_root / task_id))
        lines += [
            f'git worktree add -q -b base/{task_id} {wt} "$(git rev-parse $ref)"',
            f"sh -c {q(WRITE)} agent {wt}/{q(name)} hi",
            f"git -C {wt} add -A",
            f"git -C {wt} commit -qm {q('write ' + name)}",
            f"head=$(git -C {wt} rev-parse HEAD)",
            "old=$(git rev-parse $ref)",
            'tree=$(git merge-tree --write-tree "$old" "$head")',
            f'new=$(git commit-tree "$tree" -p "$old" -m {q("write " + name)})',
            'git update-ref $ref "$new" "$old"',
            f"git worktree remove --force {wt}",
        ]
    return "\n".join(lines) + "\n"


def run_git_ops(
    repo: Path,
    env: dict[str, str],
    wt_root: Path,
    tasks: Sequence[tuple[str, str]],
    target: str = "main",
) -> float:
    """Wall seconds for the baseline script over `tasks`."""
    script = wt_root.parent / f"ops-{tasks[0][0]}.sh"
    script.write_text(git_ops_script(repo, wt_root, tasks, target))
    return timed(["bash", str(script)], repo, env)


QUICK = "--quick" in sys.argv  # a small version of each bench, for tests/test_bench.py


def landed(repo: Path, env: dict[str, str], since: str, target: str = "main") -> int:
    """Tasks landed on target since `since`, by their Podium-Task trailers: a batch lands
    several tasks as one commit, so commits are not tasks."""
    text = git(
        repo, env, "log", "--format=%(trailers:key=Podium-Task,valueonly)", f"{since}..{target}"
    )
    return len([line for line in text.splitlines() if line.strip()])


def finish(name: str, figure: float, target: float, unit: str = "") -> None:
    ok = figure <= target
    verdict = "quick, no verdict" if QUICK else ("OK" if ok else "FAIL")
    print(f"{name}: {figure:.3f}{unit} (target <= {target}{unit}) {verdict}")
    sys.exit(0 if ok or QUICK else 1)
