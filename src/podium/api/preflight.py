"""Pre-flight: everything a run needs, checked before anything is written.

Every agent the plan can use is usable here (installed, runnable, a key or gateway); every
gate, check, set-up and command-agent program exists where it will run (a worktree of the
committed tree); the target branch exists. All problems are reported at once, each with its
place and its fix, as one `PreflightError` (exit 2). `podium run` and `--dry-run` both call it;
it writes nothing: no run row, branch, worktree or `.podium/` file.
"""

from __future__ import annotations

import functools
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from podium import git
from podium.config import CONFIG_FILE, Config
from podium.errors import ConfigError, PodiumError
from podium.plans.model import Plan

if TYPE_CHECKING:
    from podium.plans.yamlpos import Positions


class PreflightError(ConfigError):
    """The run cannot start: one located problem a line, each with what would fix it."""


def preflight(repo: Path, plan: Plan, config: Config, target: str | None = None) -> None:
    """Raise PreflightError listing every problem; return quietly when the run can start."""
    problems = [*_target_problems(repo, target)]
    branch = target or git.current_branch(repo)
    problems += _agent_problems(plan, config)
    problems += _program_problems(repo, plan, config, branch)
    problems += _coverage_problems(repo, plan, config)
    if problems:
        head = f"pre-flight found {len(problems)} problem(s); nothing was started or written:"
        raise PreflightError("\n".join([head, *(f"  {p}" for p in problems)]))


def _coverage_problems(repo: Path, plan: Plan, config: Config) -> list[str]:
    """`untested-changes` turned on where the tests cannot be measured."""
    if config.janitor.policy["untested-changes"] == "allow":
        return []
    from podium.landing import coverage

    why = coverage.problem(repo, plan.gates if plan.gates is not None else config.gates)
    return [f"{CONFIG_FILE} [janitor]: untested-changes: {why}"] if why else []


def _target_problems(repo: Path, target: str | None) -> list[str]:
    name = target or git.current_branch(repo)
    if name is None:
        return ["HEAD is detached: pass --target BRANCH to say where work should land"]
    if git.rev(repo, f"refs/heads/{name}") is None:
        return [f"--target: branch {name!r} does not exist"]
    return []


def agents_of(plan: Plan, config: Config) -> dict[str, list[str]]:
    """Each agent the run may start -> the tasks that may use it (in plan order)."""
    extra = [*config.fallback, *(agent for agent, _ in config.ladder)]
    users: dict[str, list[str]] = {}
    for task in plan.tasks:
        for name in dict.fromkeys([task.agent, *task.agents, *extra]):
            users.setdefault(name, []).append(task.id)
    return users


def _agent_problems(plan: Plan, config: Config) -> list[str]:
    """Agents that cannot run here. With a remote executor the agents run on the workers,
    with the workers' own keys: `podium doctor` checks those, not this machine."""
    if config.executor.kind != "local":
        return []
    problems = []
    for name, tasks in agents_of(plan, config).items():
        why = _unusable(name, config)
        if why:
            shown = ", ".join(tasks[:5]) + (" ..." if len(tasks) > 5 else "")
            where = _where_agent(plan, name)
            problems.append(f"{where}: agent {name!r} (tasks: {shown}) is not usable: {why}")
    return problems


def _unusable(name: str, config: Config) -> str:
    """Why the agent cannot be used here, or ""."""
    from podium.agents import registry

    try:
        state = registry.get(name).available(config.agents.get(name))
    except PodiumError as exc:
        return str(exc)
    except Exception as exc:  # a broken plug-in is a problem to report, not a crash
        return f"its adapter failed: {exc}"
    return "" if state.usable else state.why


def _where_agent(plan: Plan, name: str) -> str:
    """The plan line that names the agent: a task's `agent:`, else the plan's, else the file."""
    positions = _positions(plan)
    if positions is None:
        return plan.source or "plan"
    for i, task in enumerate(plan.tasks):
        for key in ("agent", "agents"):
            if positions.has(("tasks", i, key)) and name in (task.agent, *task.agents):
                return str(positions.at(("tasks", i, key)))
    if positions.has(("agent",)) and plan.agent == name:
        return str(positions.at(("agent",)))
    return plan.source if name == plan.agent else f"{CONFIG_FILE} (fallback, [retries] ladder)"


@functools.lru_cache(maxsize=8)
def _positions(plan: Plan) -> Positions | None:
    """Where each value of the plan file sits (podium's format; None for Bernstein's)."""
    from podium.plans import yamlpos

    try:
        text = Path(plan.source).read_text(encoding="utf-8")
        data, positions = yamlpos.load_yaml(text, plan.source)
    except (OSError, PodiumError, ValueError):
        return None
    return positions if isinstance(data, dict) and "tasks" in data else None


def _program_problems(repo: Path, plan: Plan, config: Config, branch: str | None) -> list[str]:
    problems = []
    for where, line in _command_lines(plan, config):
        try:
            argv = shlex.split(line)
        except ValueError as exc:
            problems.append(f"{where}: cannot parse {line!r}: {exc}")
            continue
        why = program_problem(repo, argv[0], config, branch) if argv else "is empty"
        if why:
            problems.append(f"{where}: `{line}`: {why}")
    for i, task in enumerate(plan.tasks):
        if task.agent == "command" and task.command:
            why = program_problem(repo, task.command[0], config, branch)
            if why:
                where = _at(plan, ("tasks", i, "command"))
                problems.append(f"{where}: task {task.id!r} command: {why}")
    return problems


def _command_lines(plan: Plan, config: Config) -> Iterator[tuple[str, str]]:
    """(where, command line) of each gate, the set-up and each command check."""
    if plan.gates is not None:
        yield from ((f"{_at(plan, ('gates', i))}: gate", g) for i, g in enumerate(plan.gates))
    else:
        yield from ((f"{CONFIG_FILE}: gate", gate) for gate in config.gates)
    if config.setup:
        yield f"{CONFIG_FILE}: [worktrees] setup", config.setup
    for i, task in enumerate(plan.tasks):
        for j, check in enumerate(task.checks):
            if check.kind == "command":
                yield f"{_at(plan, ('tasks', i, 'checks', j))}: task {task.id!r} check", check.run


def _at(plan: Plan, loc: tuple[str | int, ...]) -> str:
    positions = _positions(plan)
    return str(positions.at(loc)) if positions is not None else plan.source


def program_problem(repo: Path, program: str, config: Config, branch: str | None) -> str:
    """Why `program` will not start in an attempt's worktree, or "" when it will.

    A bare name is looked up on PATH. A relative path runs from a worktree of the committed
    tree (plus the shared and copied folders): a file that exists here but is not committed is
    absent there."""
    if "{" in program:
        return ""  # a placeholder: known only per attempt
    if "/" not in program:
        if shutil.which(program):
            return ""
        return f"program {program!r} not found on PATH"
    path = Path(program)
    if path.is_absolute():
        return "" if path.exists() else f"{program!r} does not exist"
    relative = path.as_posix().removeprefix("./")
    if any(relative == s or relative.startswith(f"{s}/") for s in (*config.shared, *config.copy)):
        return "" if (repo / relative).exists() else f"{program!r} does not exist"
    committed = branch is not None and (
        git.run(repo, "cat-file", "-e", f"refs/heads/{branch}:{relative}", check=False).code == 0
    )
    if committed:
        return ""
    if (repo / relative).exists():
        return (
            f"{program!r} is not committed: attempts start from the committed tree, "
            "where it is absent (commit it, or list it in [worktrees] copy)"
        )
    return f"{program!r} does not exist"
