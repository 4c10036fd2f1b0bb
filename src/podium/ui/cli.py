"""The `podium` command: parse, call the library API, render. Heavy imports stay inside."""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from podium import __version__

# Commands that live in their own modules, imported only when used (or listed by --help).
LAZY = {
    "agents": ("podium.ui.doctor:agents_command", "Each agent: found, version, usable or why not."),
    "doctor": (
        "podium.ui.doctor:doctor_command",
        "Check git, the repository, agents, config, gates.",
    ),
    "plan": (
        "podium.ui.plancommand:plan_command",
        "Turn a goal into a plan with one agent call.",
    ),
    "live": ("podium.ui.tui:live_command", "Watch a run in a terminal UI; cancel or retry tasks."),
    "report": ("podium.ui.report:report_command", "Write a self-contained HTML report of a run."),
    "cost": ("podium.ui.money:cost_command", "What a run cost, per task, agent and model."),
    "explain": ("podium.ui.money:explain_command", "Why a task got the agent and model it got."),
    "mcp": ("podium.ui.mcp:mcp_command", "Serve podium's tools to an IDE over MCP."),
    "evolve": ("podium.ui.evolve:evolve_command", "Propose better settings from past runs."),
    "worker": (
        "podium.ui.worker:worker_command",
        "Carry out attempts for coordinators through Temporal (podium[temporal]).",
    ),
}


class PodiumGroup(click.Group):
    """Maps podium's errors to exit codes; anything unexpected gets a crash log."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from importlib.util import find_spec

        lazy = [name for name, (spec, _) in LAZY.items() if find_spec(spec.split(":")[0])]
        return sorted([*super().list_commands(ctx), *lazy])

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List commands without importing the lazy ones (their help text is kept here)."""
        rows = []
        for name in self.list_commands(ctx):
            if name in LAZY:
                rows.append((name, LAZY[name][1]))
            else:
                command = super().get_command(ctx, name)
                if command is not None and not command.hidden:
                    rows.append((name, command.get_short_help_str(formatter.width - 6 - len(name))))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in LAZY:
            return super().get_command(ctx, cmd_name)
        spec = LAZY[cmd_name][0]
        import importlib

        module, _, attr = spec.partition(":")
        try:
            command: click.Command = getattr(importlib.import_module(module), attr)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise  # a dependency of the command is missing: say so, don't hide it
            return None
        return command

    def invoke(self, ctx: click.Context) -> Any:
        from podium.errors import PodiumError

        try:
            return super().invoke(ctx)
        except PodiumError as exc:
            click.echo(f"podium: {exc}", err=True)
            sys.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("podium: interrupted", err=True)
            sys.exit(130)
        except Exception:
            path = _crash_log()
            click.echo(f"podium: internal error; details in {path} (please report it)", err=True)
            sys.exit(1)


def _crash_log() -> Path:
    import tempfile
    import time

    path = Path(tempfile.gettempdir()) / f"podium-crash-{time.strftime('%Y%m%d-%H%M%S')}.log"
    path.write_text(f"podium {__version__}\nargv: {sys.argv}\n\n{traceback.format_exc()}")
    return path


@click.group(
    cls=PodiumGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="podium")
@click.option("-g", "--goal", help="Plan this goal with one agent call, show the plan, run it.")
@click.option("--yes", is_flag=True, help="With -g: run the plan without asking.")
@click.option("--agent", help="With -g: the agent that plans (default claude).")
@click.pass_context
def main(ctx: click.Context, goal: str | None, yes: bool, agent: str | None) -> None:
    """Conduct many CLI coding agents on one git repository; land only verified work."""
    if goal is None and (yes or agent):
        raise click.UsageError("--yes and --agent go with -g GOAL (or after a command)")
    if goal is not None and ctx.invoked_subcommand is not None:
        raise click.UsageError(
            f"-g plans and runs a goal; it does not go with '{ctx.invoked_subcommand}'"
        )
    if goal is not None:
        from podium.ui.plancommand import run_goal

        run_goal(ctx, run, goal, yes, agent)
    elif ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


@main.command()
@click.option("--force", is_flag=True, help="Overwrite an existing podium.toml.")
def init(force: bool) -> None:
    """Write podium.toml with the gates detected in this repository."""
    from podium import api

    repo = api.repo_root()
    path, gates = api.init_repo(repo, force)
    click.echo(f"wrote {path.relative_to(repo)} (gates: {', '.join(gates) or 'none detected'})")
    click.echo('next: podium -g "a goal" (plans it, shows the plan, runs it), or write a plan')
    click.echo(
        "      and check it with `podium run plan.yaml --dry-run` (podium's docs/plan-format.md)"
    )


@main.command()
@click.argument("plan", type=click.Path(path_type=Path))
@click.option(
    "--dry-run",
    is_flag=True,
    help="Check everything a run needs; show waves, critical path, conflicts; run nothing.",
)
@click.option("--max-parallel", type=click.IntRange(1, 256), help="Agents at once.")
@click.option("--agent", help="Default agent for tasks that name none.")
@click.option("--target", help="Branch to land on (default: the checked-out branch).")
@click.option("--budget", type=click.FloatRange(0), help="Dollars the run may spend.")
@click.option(
    "--routing",
    type=click.Choice(["off", "cascade", "bandit"]),
    default="cascade",
    show_default=True,
    help="How each attempt's model is chosen.",
)
@click.option(
    "--rerun",
    multiple=True,
    metavar="TASK|all",
    help="Run TASK even if it is already on the target (repeatable; `all` for every task).",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "temporal"]),
    help="Where attempts run (default: podium.toml [executor] kind, else local).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the final status as JSON.")
def run(
    plan: Path,
    dry_run: bool,
    max_parallel: int | None,
    agent: str | None,
    target: str | None,
    budget: float | None,
    routing: str,
    rerun: tuple[str, ...],
    executor: str | None,
    as_json: bool,
) -> None:
    """Run PLAN: every task in its own worktree, verified, merged one by one.

    Running a plan again converges: tasks already on the target (as the plan asks them now)
    are not run again; failed, blocked and changed tasks are."""
    from podium import api
    from podium.ui import render

    repo = api.repo_root()
    loaded = api.read_plan(repo, plan, agent)
    for note in loaded.notes:
        click.echo(f"podium: note: {note}", err=True)
    if dry_run:
        from podium.api.preflight import preflight

        config = api.load_config(repo)
        preflight(repo, loaded, config, target)  # the same refusals as a real run
        gates = loaded.gates if loaded.gates is not None else config.gates
        parallel = max_parallel or loaded.max_parallel or config.max_parallel
        choices = api.agent_choices(repo, plan, agent)
        click.echo(render.dry_run_text(loaded, parallel, tuple(gates), choices))
        return
    from podium.ui import progress

    with progress.reporter(sys.stdout, repo, quiet=as_json) as report:
        row = api.run_plan(
            loaded,
            options=api.RunOptions(target, max_parallel, agent, budget, routing, rerun, executor),
            report=report,
            notify=lambda text: click.echo(f"podium: {text}", err=True),
        )
    _finish(repo, row.id, as_json)


def _finish(repo: Path, run_id: str, as_json: bool) -> None:
    import gc

    from podium import api
    from podium.ui import render

    # The run is over and the process about to end: the collector need not walk everything
    # once more on the way out (about 35 ms of a `podium run`'s exit). Not before the run:
    # a frozen heap resets the collector's count of old objects, so full passes over what
    # the run builds (a 10,000-task plan's state) come far more often.
    gc.freeze()
    with api.reader(repo) as reader:
        record = reader.record(run_id)
    data = render.status_data(record)
    click.echo(json.dumps(data, indent=2) if as_json else render.status_text(data))
    hint = render.next_step(data)
    if hint and as_json:  # the text form says it already
        click.echo(f"podium: {hint}", err=True)
    if "temporalio" in sys.modules:  # its runtime can crash at interpreter exit (sdk-python#300)
        import os

        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(record.exit_code)
    sys.exit(record.exit_code)


@main.command()
@click.argument("run_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(run_id: str | None, as_json: bool) -> None:
    """Show a run (the latest by default): each task's state, attempts and why."""
    from podium import api
    from podium.ui import render

    with api.reader(api.repo_root()) as reader:
        data = render.status_data(reader.record(run_id))
    click.echo(json.dumps(data, indent=2) if as_json else render.status_text(data))


@main.command()
@click.argument("task")
@click.option("--run", "run_id", help="Run id (default: the latest).")
@click.option("--attempt", type=int, help="Attempt number (default: the latest).")
@click.option("-f", "--follow", is_flag=True, help="Keep printing while the agent works.")
@click.option("--raw", is_flag=True, help="The agent's stream as it came, not podium's reading.")
def logs(task: str, run_id: str | None, attempt: int | None, follow: bool, raw: bool) -> None:
    """Print what the agent of TASK said and did: one line per message, tool call, error."""
    from podium import api
    from podium.api import logs as attempt_logs

    repo = api.repo_root()
    if not follow:
        text = attempt_logs.read_log(repo, task, run_id, attempt, raw)
        click.echo(text, nl=False)
        return
    for chunk in attempt_logs.follow_log(repo, task, run_id, attempt, raw):
        click.echo(chunk, nl=False)


@main.command()
@click.argument("run_id", required=False)
@click.option("--budget", type=click.FloatRange(0), help="A new budget for the run, in dollars.")
@click.option(
    "--routing",
    type=click.Choice(["off", "cascade", "bandit"]),
    default="cascade",
    show_default=True,
    help="How each attempt's model is chosen.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the final status as JSON.")
def resume(run_id: str | None, budget: float | None, routing: str, as_json: bool) -> None:
    """Finish an interrupted run (the latest by default): nothing lost, nothing merged twice."""
    from podium import api
    from podium.ui import progress

    repo = api.repo_root()
    with progress.reporter(sys.stdout, repo, quiet=as_json) as report:
        row = api.resume_run(run_id, report=report, budget=budget, routing=routing)
    _finish(repo, row.id, as_json)


@main.command()
@click.argument("tasks", nargs=-1, required=True)
@click.option("--run", "run_id", help="Run id (default: the latest).")
@click.option("--agent", help="The agent for the new attempts.")
@click.option("--model", help="The model for the new attempts.")
@click.option("--json", "as_json", is_flag=True, help="Print the final status as JSON.")
def retry(
    tasks: tuple[str, ...], run_id: str | None, agent: str | None, model: str | None, as_json: bool
) -> None:
    """Re-attempt failed TASKS of a run that has stopped, with a fresh attempt budget;
    the tasks blocked behind them run too."""
    from podium import api
    from podium.ui import progress

    repo = api.repo_root()
    with progress.reporter(sys.stdout, repo, quiet=as_json) as report:
        row = api.retry_run(tasks, run_id=run_id, agent=agent, model=model, report=report)
    _finish(repo, row.id, as_json)


@main.command()
@click.argument("task")
@click.option("--run", "run_id", help="Run id (default: the latest).")
@click.option("--agent", help="The agent that plans the split (default: the task's, else claude).")
@click.option("--json", "as_json", is_flag=True, help="Print the final status as JSON.")
def split(task: str, run_id: str | None, agent: str | None, as_json: bool) -> None:
    """Split a failed TASK of a stopped run into 2-4 sub-tasks (one planner call), then
    carry the run on with them; a bad answer changes nothing."""
    from podium import api
    from podium.ui import progress

    repo = api.repo_root()
    with progress.reporter(sys.stdout, repo, quiet=as_json) as report:
        said, row = api.split_task(task, run_id=run_id, agent=agent, report=report)
    click.echo(f"podium: {said}", err=row is None)
    if row is None:
        sys.exit(1)
    _finish(repo, row.id, as_json)


@main.command()
def cancel() -> None:
    """Stop the active run's agents cleanly; `podium resume` carries it on later."""
    from podium import api

    click.echo(api.cancel_run())


@main.command()
@click.option(
    "--logs-older-than",
    "days",
    type=click.IntRange(0),
    default=14,
    show_default=True,
    help="Delete logs and agent homes of runs older than this many days.",
)
def gc(days: int) -> None:
    """Remove orphaned worktrees, branches of merged tasks, and old logs."""
    from podium import api

    click.echo(api.collect_garbage(api.repo_root(), days))


@main.command()
def clean() -> None:
    """Remove worktrees of finished attempts (kept for inspection); branches stay."""
    from podium import api

    removed = api.clean(api.repo_root())
    click.echo(f"removed {len(removed)} worktree(s)")


@main.command()
@click.option("--dir", "where", type=click.Path(path_type=Path), help="Where to make the demo.")
@click.option("--keep", is_flag=True, help="Keep the demo repository afterwards.")
def demo(where: Path | None, keep: bool) -> None:
    """Make a demo repository and run a plan on it, end to end."""
    from podium.ui import demo as demo_mod

    sys.exit(demo_mod.run_demo(where, keep))
