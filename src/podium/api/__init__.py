"""The one library API: the CLI, the TUI, the report, the MCP server and the demo call only this.

Runs (`run_plan`, `resume_run`, `cancel_run`, ...) live in `podium.api.runs`; what is here and
what works in `podium.api.doctor`; reading runs goes through a `Reader` (`reader(repo)`), which
hands out plain data, never the store. Heavy parts (the engine, the planner, pydantic) are
imported inside the functions that need them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from podium.api.runs import (
    RunOptions,
    agent_choices,
    assign_agents,
    cancel_run,
    choose_target,
    create_run,
    execute,
    landing_branch,
    next_run_id,
    open_store,
    read_plan,
    repo_lock,
    repo_root,
    resume_run,
    retry_run,
    run_plan,
    setup_of,
)
from podium.api.splits import split_task
from podium.config import CONFIG_FILE, Config, load_config
from podium.planning import DEFAULT_AGENT as PLANNING_AGENT
from podium.planning.estimate import TaskCost
from podium.plans import graph
from podium.plans.model import Plan, Task, estimate_minutes
from podium.routing.assign import Choice
from podium.runs.views import Busy, Reader, RunRecord, RunView, TaskLine
from podium.runs.worktrees import state_dir
from podium.scheduling import lifecycle
from podium.scheduling.preview import Preview, preview
from podium.store import AttemptRow, Event, RunRow, TaskRow

if TYPE_CHECKING:
    import subprocess

    from podium.agents.base import Adapter
    from podium.planning.planner import Planned, Usage
    from podium.runs.setup import Reporter

__all__ = [
    "CONFIG_FILE",
    "PLANNING_AGENT",
    "AttemptRow",
    "Busy",
    "Choice",
    "Config",
    "Event",
    "Plan",
    "Planned",
    "Preview",
    "Reader",
    "Reporter",
    "RunOptions",
    "RunRecord",
    "RunRow",
    "RunView",
    "Task",
    "TaskCost",
    "TaskLine",
    "TaskRow",
    "Usage",
    "agent",
    "agent_choices",
    "agent_names",
    "assign_agents",
    "cancel_run",
    "choose_target",
    "clean",
    "collect_garbage",
    "create_run",
    "ensure_idle",
    "estimate_minutes",
    "estimate_plan",
    "execute",
    "explain_choice",
    "graph",
    "init_repo",
    "landing_branch",
    "lifecycle",
    "load_config",
    "next_run_id",
    "open_store",
    "parse_plan",
    "plan_goal",
    "preview",
    "read_plan",
    "reader",
    "repo_lock",
    "repo_root",
    "resume_run",
    "retry_run",
    "run_plan",
    "scratch_dir",
    "setup_of",
    "spawn",
    "split_task",
    "state_dir",
    "stored_plan",
]


def reader(repo: Path) -> Reader:
    """Read the runs of `repo` (use it as a context manager, or close it)."""
    return Reader(state_dir(repo) / "podium.db")


def stored_plan(run: RunRow) -> Plan:
    """The plan a run was started with (the copy kept in the store)."""
    return parse_plan(run.plan_text, f"run {run.id}")


def agent_names() -> list[str]:
    """Every agent podium knows: the built-ins and installed plug-ins."""
    from podium.agents import registry

    return registry.names()


def agent(name: str) -> Adapter:
    from podium.agents import registry

    return registry.get(name)


def init_repo(repo: Path, force: bool) -> tuple[Path, list[str]]:
    """`podium init`: write podium.toml with the gates this project already uses."""
    from podium import project

    return project.init_repo(repo, force)


def clean(repo: Path) -> list[str]:
    """Remove kept worktrees of failed attempts (their branches stay)."""
    from podium.runs import housekeeping

    store = open_store(repo)
    try:
        with repo_lock(repo, store):
            return housekeeping.clean(repo)
    finally:
        store.close()


def collect_garbage(repo: Path, days: int) -> str:
    """Orphaned worktrees, branches of merged tasks, logs of runs older than `days`."""
    from podium.runs import housekeeping

    store = open_store(repo)
    try:
        with repo_lock(repo, store):
            return housekeeping.collect_garbage(repo, store, days)
    finally:
        store.close()


def plan_goal(repo: Path, goal: str, agent: str | None, out: Path | None = None) -> Planned:
    """A goal becomes a plan through one agent call; the plan is saved and returned."""
    from podium.planning import planner

    return planner.plan_goal(repo, goal, agent, out)


def estimate_plan(repo: Path, plan: Plan, config: Config) -> list[TaskCost]:
    """What each task of `plan` is likely to cost, from past runs here and the price table."""
    from podium.planning import estimate

    history = estimate.past_costs(state_dir(repo) / "podium.db")
    return estimate.estimate(plan, config, history)


def explain_choice(data: dict[str, object]) -> str:
    """Why an attempt got its agent and model, from its `task.routed` event."""
    from podium.routing import router

    return router.explain(router.choice_from_json(data))


def parse_plan(text: str, source: str = "<string>") -> Plan:
    """A plan from YAML text, checked against the agents podium knows."""
    from podium.agents import registry
    from podium.plans.loading import parse_plan as parse

    return parse(text, source, agents=registry.known())


def ensure_idle(repo: Path) -> None:
    """StateError when a coordinator is active in `repo` (it holds the repository's lock)."""
    store = open_store(repo)
    try:
        with repo_lock(repo, store):
            pass
    finally:
        store.close()


def scratch_dir(repo: Path, name: str) -> Path:
    """A folder of podium's own under `.podium/` (kept out of git status), made if need be."""
    from podium.runs.worktrees import ignore_local_files

    ignore_local_files(repo, load_config(repo))
    folder = state_dir(repo) / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def spawn(repo: Path, args: list[str]) -> tuple[subprocess.Popen[bytes], Path]:
    """Start `podium ARGS` in `repo` in the background, in its own session (it lives on if
    the caller goes away); its output goes to a file under `.podium/background/`."""
    import subprocess
    import sys
    import tempfile
    import threading
    import time

    folder = scratch_dir(repo, "background")
    handle, name = tempfile.mkstemp(".log", time.strftime(f"{args[0]}-%Y%m%d-%H%M%S-"), folder)
    with open(handle, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "podium", *args],
            cwd=repo,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    threading.Thread(target=proc.wait, daemon=True).start()  # reap it when it ends
    return proc, Path(name)
