"""The library API every front end calls: prepare a run, execute it, read its state."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podium import git
from podium.agents import registry
from podium.config import CONFIG_FILE, Config, load_config
from podium.errors import ConfigError, PodiumError, StateError
from podium.plans.loading import load_plan, parse_plan
from podium.plans.model import Plan, dump_plan
from podium.routing import assign
from podium.runs import faults, worktrees
from podium.runs.views import lease_text
from podium.scheduling import lifecycle
from podium.store import RunRow, Store

if TYPE_CHECKING:
    from podium.routing.chooser import Mode
    from podium.runs.reaper_client import Reaper
    from podium.runs.setup import Reporter, RunSetup


def repo_root(path: Path | None = None) -> Path:
    root = git.toplevel(path or Path.cwd())
    if git.rev(root, "HEAD") is None:
        raise PodiumError(f"{root} has no commits yet: podium needs a first commit to branch from")
    return root


def open_store(repo: Path) -> Store:
    return Store(worktrees.state_dir(repo) / "podium.db")


def read_plan(repo: Path, path: Path, agent: str | None = None) -> Plan:
    """The plan with each task's agent settled (docs/failures.md, "Agents by role")."""
    return assign_agents(repo, load_plan(path, agents=registry.known(), default_agent=agent))[0]


def agent_choices(repo: Path, path: Path, agent: str | None = None) -> tuple[assign.Choice, ...]:
    """Which agent each task of the plan file will use, and why (`podium run --dry-run`)."""
    return assign_agents(repo, load_plan(path, agents=registry.known(), default_agent=agent))[1]


def assign_agents(repo: Path, plan: Plan) -> tuple[Plan, tuple[assign.Choice, ...]]:
    """Each task's agent and why: the task's, the plan's, `[roles]`, else the first usable
    agent CLI installed here (asked only when some task needs the default)."""
    config = load_config(repo)
    usable: list[str] = []
    if assign.needs_default(plan, config.roles):
        for name in assign.PREFERENCE:
            if registry.get(name).available(config.agents.get(name)).usable:
                usable.append(name)
    if plan.agent == assign.AUTO and not usable:
        raise PodiumError(
            "the plan says `agent: auto` but no agent CLI is usable here: `podium doctor` "
            "says why each is not; docs/agents-install.md shows how to install and configure one"
        )
    return assign.assign(plan, config.roles, usable)


def choose_target(repo: Path, target: str | None) -> str:
    """The branch podium lands on: --target, else the checked-out branch; it must be clean."""
    name = _target_name(repo, target)
    dirty = _dirty(repo, name)
    if dirty:
        raise PodiumError(
            f"{name!r} is checked out at {dirty[0]} with uncommitted changes ({dirty[1]}); "
            "podium never writes into a dirty working tree: commit or stash them, "
            "or pass --target another branch"
        )
    return name


def landing_branch(repo: Path, target: str | None) -> tuple[str, str]:
    """Where a new run lands, and a notice when that is not the branch the user named.

    A target checked out with uncommitted changes is never written to: podium lands on
    `podium/land/<branch>` instead (made from the branch, or brought up to date with it)
    and says how to bring the work in.
    """
    name = _target_name(repo, target)
    dirty = _dirty(repo, name)
    if not dirty:
        return name, ""
    land = f"podium/land/{name}"
    head = git.out(repo, "rev-parse", f"refs/heads/{name}")
    have = git.rev(repo, f"refs/heads/{land}")
    if have is None or git.is_ancestor(repo, have, head):
        git.run(repo, "update-ref", f"refs/heads/{land}", head, *([have] if have else []))
    elif not git.is_ancestor(repo, head, have):
        raise PodiumError(
            f"{land!r} and {name!r} have diverged: merge {land} into {name} first "
            f"(`git merge {land}`), then run again"
        )
    notice = (
        f"{name!r} has uncommitted changes ({dirty[1]}), so podium lands on {land!r} instead; "
        f"bring the work in later with `git merge {land}` (after committing or stashing yours)"
    )
    return land, notice


def _target_name(repo: Path, target: str | None) -> str:
    name = target or git.current_branch(repo)
    if name is None:
        raise PodiumError("HEAD is detached: pass --target BRANCH to say where work should land")
    if git.rev(repo, f"refs/heads/{name}") is None:
        raise PodiumError(f"target branch {name!r} does not exist")
    return name


def _dirty(repo: Path, name: str) -> tuple[Path, str] | None:
    checkout = git.checked_out_at(repo, name)
    if checkout is None:
        return None
    files = git.dirty_files(checkout)
    if not files:
        return None
    return checkout, ", ".join(files[:5]) + (" ..." if len(files) > 5 else "")


def next_run_id(store: Store, repo: Path) -> str:
    n = store.db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] + 1
    while git.run(
        repo, "for-each-ref", "--count=1", f"refs/heads/podium/r{n}/", check=False
    ).out.strip():
        n += 1
    return f"r{n}"


@contextlib.contextmanager
def repo_lock(repo: Path, store: Store) -> Iterator[None]:
    """One coordinator per repository at a time."""
    path = worktrees.state_dir(repo) / "lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            active = store.db.execute(
                "SELECT id FROM runs WHERE status='running' ORDER BY created_at DESC LIMIT 1"
            ).fetchone()
            which = f"run {active[0]}" if active else "another podium process"
            raise StateError(
                f"{which} is active in this repository: watch it with "
                "`podium status`, stop it with `podium cancel`; once it has "
                "stopped, `podium resume` finishes it"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(lease_text(os.getpid()))  # pid and start time: `lease_holder` reads them
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass(frozen=True)
class RunOptions:
    """What a user may say about one run beyond its plan."""

    target: str | None = None
    max_parallel: int | None = None
    agent: str | None = None
    budget: float | None = None  # dollars; else the plan's budget_usd
    routing: str = "cascade"  # off | cascade | bandit
    rerun: tuple[str, ...] = ()  # task ids (or "all") to run even if already on the target
    executor: str | None = None  # local | temporal; else podium.toml's [executor] kind


def create_run(
    repo: Path,
    store: Store,
    plan: Plan,
    config: Config,
    target: str,
    options: RunOptions,
    notify: Callable[[str], None] | None = None,
) -> RunSetup:
    """A new run of `plan`; tasks git finds on the target already start as merged."""
    from podium.runs.converge import prepare, split_as_before

    worktrees.ignore_local_files(repo, config)
    config = with_executor(config, options.executor)
    plan = split_as_before(store, plan, options.rerun)
    plan_state, previous = prepare(repo, store, plan, target, options.rerun)
    gates = plan.gates if plan.gates is not None else config.gates
    parallel = options.max_parallel or plan.max_parallel or config.max_parallel
    budget = options.budget if options.budget is not None else plan.budget_usd
    run_id = next_run_id(store, repo)
    base = git.out(repo, "rev-parse", f"refs/heads/{target}")
    store.create_run(
        RunRow(
            run_id,
            plan.name,
            dump_plan(plan),
            target,
            base,
            "running",
            parallel,
            json.dumps(list(gates)),
            time.time(),
            None,
            budget,
        ),
        [t.id for t in plan.tasks],
        time.time(),
        {t: (plan_state.merged[t].commit, plan_state.reason(t, target)) for t in plan_state.merged},
    )
    faults.point("run-created")
    if config.executor.kind != "local":  # `podium resume` carries on with the same executor
        store.add_event(run_id, None, time.time(), "run.executor", {"kind": config.executor.kind})
    said = plan_state.summary(run_id, plan.name, previous)
    if said:
        store.add_event(run_id, None, time.time(), "run.converge", {"text": said})
        if notify is not None:
            notify(said)
    from podium.runs.setup import RunSetup

    routing = _routing(options.routing)
    return RunSetup(repo, run_id, target, plan, config, tuple(gates), parallel, budget, routing)


def _routing(mode: str) -> Mode:
    if mode not in ("off", "cascade", "bandit"):
        raise PodiumError(f"--routing: unknown mode {mode!r} (known: off, cascade, bandit)")
    return mode  # type: ignore[return-value]


def with_executor(config: Config, kind: str | None) -> Config:
    """podium.toml's settings with `--executor KIND`, checked before anything starts."""
    from podium.config import check_executor
    from podium.executors.choice import check_installed

    if kind is not None and kind not in ("local", "temporal"):
        raise ConfigError(f"--executor: unknown kind {kind!r} (known: local, temporal)")
    settings = replace(config.executor, kind=kind or config.executor.kind)  # type: ignore[arg-type]
    if settings.kind == "temporal":
        check_executor(settings, f"--executor temporal: {CONFIG_FILE} [executor]")
        check_installed()
    return replace(config, executor=settings)


def setup_of(repo: Path, store: Store, run: RunRow, routing: str = "cascade") -> RunSetup:
    """A stored run's set-up, as it was started (the plan is the copy kept in the store)."""
    from podium.runs.setup import RunSetup

    plan = parse_plan(run.plan_text, f"run {run.id}", agents=registry.known())
    kinds = [e.data["kind"] for e in store.events(run.id) if e.kind == "run.executor"]
    return RunSetup(
        repo,
        run.id,
        run.target,
        plan,
        with_executor(load_config(repo), kinds[-1] if kinds else None),
        tuple(json.loads(run.gates)),
        run.max_parallel,
        run.budget,
        _routing(routing),
    )


def execute(
    setup: RunSetup, store: Store, report: Reporter | None = None, resume: bool = False
) -> RunRow:
    """Run to the end (or until SIGINT/SIGTERM cancels it); return the finished run."""
    import asyncio

    from podium.runs import splitting, summaries
    from podium.runs.reaper_client import Reaper

    reaper, reaper_proc = Reaper.start()
    try:
        stopped = asyncio.run(_main(setup, store, report, reaper, resume))
        while not stopped and (again := splitting.split_after_run(setup, store, report)):
            setup = again  # a failed task became sub-tasks: the loop goes on with them
            stopped = asyncio.run(_main(setup, store, report, reaper, True))
        if not stopped:
            summaries.summarize(setup, store, report)
    finally:
        if reaper.pipe is not None:
            reaper.pipe.close()
        reaper_proc.wait()
    states = {t.state for t in store.tasks(setup.run_id)}
    status = "cancelled" if lifecycle.CANCELLED in states else "finished"
    if stopped:
        status = stopped  # "stopped" by its budget, "paused" by a used-up credit: resumable
    store.set_run_status(setup.run_id, status, time.time())
    return store.run(setup.run_id)


async def _main(
    setup: RunSetup, store: Store, report: Reporter | None, reaper: Reaper, resume: bool
) -> str:
    import asyncio

    from podium.runs.engine import Engine
    from podium.runs.resume import reconcile

    engine = Engine(setup, store, report, reaper)
    if resume:
        reconcile(engine)  # the store belongs to this thread
        faults.point("resume-reconciled")
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, engine.cancelled.set)
    try:
        await engine.run()
        if engine.book.paused:
            return "paused"
        return "stopped" if engine.stopped_by_budget else ""
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def run_plan(
    plan_path: Path | Plan,
    *,
    options: RunOptions | None = None,
    report: Reporter | None = None,
    cwd: Path | None = None,
    notify: Callable[[str], None] | None = None,
    **kwargs: Any,
) -> RunRow:
    """Validate everything, then run the plan on the repository at cwd.

    `notify` hears what a user must know before the run starts (where work will land).
    RunOptions' fields may also be given as keywords (`target=`, `budget=`, ...).
    """
    from podium.runs.converge import settle_dead_runs

    options = replace(options or RunOptions(), **kwargs)
    _routing(options.routing)  # bad input is refused before anything is written
    repo = repo_root(cwd)
    config = load_config(repo)
    if isinstance(plan_path, Plan):
        plan = assign_agents(repo, plan_path)[0]
    else:
        plan = read_plan(repo, plan_path, options.agent)
    from podium.api.preflight import preflight

    config = with_executor(config, options.executor)
    preflight(repo, plan, config, options.target)  # before anything is written
    store = open_store(repo)
    try:
        with repo_lock(repo, store):
            settle_dead_runs(repo, store)  # before the target's checkout is judged dirty
            branch, notice = landing_branch(repo, options.target)
            if notice and notify is not None:
                notify(notice)
            setup = create_run(repo, store, plan, config, branch, options, notify)
            if notice:
                store.add_event(setup.run_id, None, time.time(), "run.notice", {"text": notice})
            return execute(setup, store, report)
    finally:
        store.close()


def resume_run(
    run_id: str | None = None,
    *,
    report: Reporter | None = None,
    cwd: Path | None = None,
    budget: float | None = None,
    routing: str = "cascade",
) -> RunRow:
    """Finish a run that was interrupted (crash, kill -9, cancel) or stopped by its budget;
    `budget` replaces the run's budget."""
    from podium.landing.merge import repair_checkout

    repo = repo_root(cwd)
    store = open_store(repo)
    try:
        with repo_lock(repo, store):
            run = store.run(run_id)
            if budget is None and not _resumable(store, run):
                return run  # finished with nothing left to do: nothing changes, not even times
            repair_checkout(repo, run.target)
            choose_target(repo, run.target)
            if budget is not None:
                store.set_budget(run.id, budget, time.time())
                run = store.run(run.id)
            setup = setup_of(repo, store, run, routing)
            store.set_run_status(run.id, "running", time.time())
            return execute(setup, store, report, resume=True)
    finally:
        store.close()


def _resumable(store: Store, run: RunRow) -> bool:
    """Does `podium resume` have anything to do: a run that did not finish, or tasks that are
    not settled? A finished run's failed tasks are for `podium retry`."""
    if run.status != "finished":
        return True
    unsettled = {lifecycle.PENDING, lifecycle.CANCELLED, *lifecycle.BUSY}
    return any(t.state in unsettled for t in store.tasks(run.id))


def retry_run(
    tasks: tuple[str, ...],
    *,
    run_id: str | None = None,
    agent: str | None = None,
    model: str | None = None,
    report: Reporter | None = None,
    cwd: Path | None = None,
) -> RunRow:
    """Re-attempt failed (or cancelled) tasks of a run that has stopped, each with a fresh
    attempt budget (and `agent`/`model` if given); their blocked dependents come along."""
    from podium.landing.merge import repair_checkout
    from podium.runs import retry
    from podium.runs.resume import close_interrupted

    repo = repo_root(cwd)
    if agent is not None and agent not in registry.names():
        raise PodiumError(
            f"--agent: unknown agent {agent!r} (known: {', '.join(registry.names())})"
        )
    store = open_store(repo)
    try:
        with repo_lock(repo, store):
            run = store.run(run_id)
            if run.status == "running":  # we hold the lock: its coordinator is gone
                close_interrupted(repo, store, run)
            setup = setup_of(repo, store, run)
            retry.check(store, setup.plan, run.id, tasks)
            repair_checkout(repo, run.target)
            choose_target(repo, run.target)
            retry.reopen(store, setup.plan, run.id, tasks, time.time(), agent, model)
            store.set_run_status(run.id, "running", time.time())
            return execute(setup, store, report, resume=True)
    finally:
        store.close()


def cancel_run(cwd: Path | None = None, wait: float = 60.0) -> str:
    """Ask the active coordinator to stop its agents; the run stays resumable."""
    repo = repo_root(cwd)
    lock = worktrees.state_dir(repo) / "lock"
    pid = _lock_holder(lock)
    if pid is None:
        raise StateError("no podium run is active in this repository")
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and _lock_holder(lock) is not None:
        time.sleep(0.1)
    if _lock_holder(lock) is not None:
        raise StateError(f"podium (pid {pid}) did not stop within {wait:.0f}s")
    return f"stopped podium (pid {pid}); `podium resume` carries the run on"


def _lock_holder(lock: Path) -> int | None:
    """The pid of the coordinator holding the lock, or None when nobody holds it."""
    if not lock.exists():
        return None
    with lock.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            first = handle.read().split()[:1]
            return int(first[0]) if first and first[0].isdigit() else None
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None
