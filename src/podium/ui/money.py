"""`podium cost` and `podium explain`: where the money went, and why that model."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from podium.api import RunRecord


def cost_data(record: RunRecord) -> dict[str, Any]:
    """Per task, agent and model; the planner's call apart as coordination; totals; budget."""
    run, attempts = record.run, record.attempts
    by: dict[str, dict[str, dict[str, float]]] = {"task": {}, "agent": {}, "model": {}}
    for a in attempts:
        for key, name in (("task", a.task_id), ("agent", a.agent), ("model", a.model or "-")):
            row = by[key].setdefault(name, defaultdict(float))
            row["attempts"] += 1
            row["input_tokens"] += a.input_tokens
            row["output_tokens"] += a.output_tokens
            row["cost_usd"] += a.cost_usd
    coordination = [e.data for e in record.events_of("run.coordination")]
    coord_cost = sum(float(d.get("cost_usd", 0.0)) for d in coordination)
    work = sum(a.cost_usd for a in attempts)
    total = work + coord_cost
    return {
        "run": run.id,
        "by_task": by["task"],
        "by_agent": by["agent"],
        "by_model": by["model"],
        "coordination": {
            "calls": len(coordination),
            "cost_usd": coord_cost,
            "input_tokens": sum(int(d.get("input_tokens", 0)) for d in coordination),
            "output_tokens": sum(int(d.get("output_tokens", 0)) for d in coordination),
        },
        "work_usd": work,
        "total_usd": total,
        "budget_usd": run.budget,
        "budget_left_usd": None if run.budget is None else run.budget - total,
    }


def cost_text(data: dict[str, Any]) -> str:
    lines = [
        f"run {data['run']}: ${data['total_usd']:.4f} in all "
        f"(agents ${data['work_usd']:.4f}, coordination "
        f"${data['coordination']['cost_usd']:.4f})"
    ]
    if data["budget_usd"] is not None:
        lines.append(f"budget ${data['budget_usd']:.4f}, left ${data['budget_left_usd']:.4f}")
    for title, key in (("task", "by_task"), ("agent", "by_agent"), ("model", "by_model")):
        lines.append(f"by {title}:")
        for name, row in sorted(data[key].items()):
            lines.append(
                f"  {name:<28} {int(row['attempts'])} att.  "
                f"{int(row['input_tokens']):>10,} in {int(row['output_tokens']):>9,} out"
                f"  ${row['cost_usd']:.4f}"
            )
    return "\n".join(lines)


@click.command("cost")
@click.argument("run_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def cost_command(run_id: str | None, as_json: bool) -> None:
    """What a run cost (the latest by default): per task, agent and model; totals; budget."""
    from podium import api

    with api.reader(api.repo_root()) as reader:
        data = cost_data(reader.record(run_id))
    click.echo(json.dumps(data, indent=2) if as_json else cost_text(data))


@click.command("explain")
@click.argument("task")
@click.option("--run", "run_id", help="Run id (default: the latest).")
def explain_command(task: str, run_id: str | None) -> None:
    """Why TASK's attempts got the agent and model they got."""
    from podium import api
    from podium.errors import StateError

    with api.reader(api.repo_root()) as reader:
        record = reader.record(run_id)
    run, routed = record.run, record.events_of("task.routed", task)
    if not routed:
        raise StateError(
            f"no routing decision recorded for task {task!r} in run {run.id} "
            "(routing off, a pinned model in podium.toml, or no attempt yet)"
        )
    for event in routed:
        click.echo(f"attempt {event.data.get('attempt', '?')}:")
        click.echo(api.explain_choice(event.data))
