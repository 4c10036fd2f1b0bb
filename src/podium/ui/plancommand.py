"""The front end of planning: `podium plan -g GOAL` and `podium -g GOAL` (plan, show, confirm, run).

Without a terminal and without `--yes`, `podium -g` saves the plan, prints the command that
runs it and runs nothing (exit 0). When it does run the plan, the planning call's tokens and
cost go into the run's event log as one `run.coordination` event.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from podium import api

if TYPE_CHECKING:
    from podium.api import Planned, Usage


def plan(goal: str, out: Path | None, agent: str | None, dry_run: bool) -> None:
    """`podium plan`: plan, print the plan and where it went; with --dry-run, the schedule."""
    repo = api.repo_root()
    planned = api.plan_goal(repo, goal, agent, out)
    show(repo, planned, dry_run, out)
    click.echo(f"run it: {run_command_line(planned.path)}")


def run_goal(
    ctx: click.Context, run: click.Command, goal: str, yes: bool, agent: str | None
) -> None:
    """`podium -g`: plan, show, ask (unless --yes), then the `run` command on the saved plan."""
    repo = api.repo_root()
    planned = api.plan_goal(repo, goal, agent)
    show(repo, planned, estimate=True)
    line = run_command_line(planned.path)
    if not yes and not sys.stdin.isatty():
        click.echo(f"not a terminal and no --yes: nothing run. Run the plan with:\n  {line}")
        return
    if not yes and not click.confirm("Run this plan?", default=True):
        click.echo(f"nothing run. Run the plan later with:\n  {line}")
        return
    started = time.time()
    try:
        ctx.invoke(run, plan=planned.path)
    finally:
        record_coordination(repo, planned, started)


def show(repo: Path, planned: Planned, estimate: bool, out: Path | None = None) -> None:
    click.echo(planned.text, nl=False)
    click.echo("")
    click.echo(f"saved to {os.path.relpath(planned.path)}")
    if out is not None:
        click.echo(f"also written to {out}")
    click.echo(usage_line(planned.usage))
    if estimate:
        click.echo(schedule_text(repo, planned))


def usage_line(usage: Usage) -> str:
    calls = "1 call" if usage.calls == 1 else f"{usage.calls} calls (one repair round)"
    who = f"{usage.agent}/{usage.model}" if usage.model else usage.agent
    source = "its own figure" if usage.cost_source == "agent" else "podium's price table"
    tokens = f"{usage.input_tokens} tokens in, {usage.output_tokens} out"
    return f"planning: {who}, {calls}, {tokens}, ${usage.cost_usd:.4f} ({source})"


def schedule_text(repo: Path, planned: Planned) -> str:
    """The schedule `podium run --dry-run` would show, and the estimated cost."""
    from podium.ui import render

    config = api.load_config(repo)
    plan = planned.plan
    gates = plan.gates if plan.gates is not None else config.gates
    parallel = plan.max_parallel or config.max_parallel
    costs = api.estimate_plan(repo, plan, config)
    return render.dry_run_text(plan, parallel, tuple(gates)) + "\n" + render.estimate_text(costs)


def run_command_line(path: Path) -> str:
    import shlex

    return f"podium run {shlex.quote(os.path.relpath(path))}"


def record_coordination(repo: Path, planned: Planned, started: float) -> None:
    """Add the planning cost to the run that `podium -g` just made, if it made one."""
    from dataclasses import asdict

    from podium.errors import StateError

    with api.reader(repo) as reader:
        try:
            run = reader.run(None)
        except StateError:
            return
        if run.created_at < started or run.plan_name != planned.plan.name:
            return
        data = {"what": "planning", **asdict(planned.usage), "plan": str(planned.path)}
        reader.add_event(run.id, "run.coordination", time.time(), data)


@click.command("plan")
@click.option("-g", "--goal", required=True, help="What the plan should achieve.")
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), help="Also write it here.")
@click.option("--agent", help=f"The agent that plans (default {api.PLANNING_AGENT}).")
@click.option("--dry-run", is_flag=True, help="Also show the schedule and an estimated cost.")
def plan_command(goal: str, out: Path | None, agent: str | None, dry_run: bool) -> None:
    """Turn a goal into a plan with one agent call; save it under .podium/plans/."""
    plan(goal, out, agent, dry_run)
