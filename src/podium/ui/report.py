"""`podium report`: one self-contained HTML file that shows where a run's time and money went.

Python does the thinking (which attempt ran when and in which slot, where each task sits in
the graph, what everything cost) as pure functions over the store's rows; the page's own
script only draws that data. No network is needed to view it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import click

from podium import api
from podium.api import AttemptRow, Event, Plan, RunRecord, RunRow, Task, TaskRow, graph, lifecycle

ENDS = frozenset({lifecycle.PENDING, lifecycle.MERGED, lifecycle.FAILED, lifecycle.CANCELLED})
PHASE_OF = {lifecycle.RUNNING: "agent", lifecycle.VERIFYING: "verify", lifecycle.MERGING: "merge"}


@dataclass(frozen=True)
class Phase:
    task: str
    n: int  # attempt number
    kind: str  # agent | verify | merge
    start: float
    end: float


def phases(events: Iterable[Event], end: float) -> list[Phase]:
    """Each attempt's agent, verify and merge phases, from the task.state events in order.

    A phase still open at the end of the events ends at `end` (the run's end, or now).
    """
    out: list[Phase] = []
    open_: dict[str, tuple[int, str, float]] = {}  # task -> (attempt, phase, since)
    for ev in events:
        if ev.kind != "task.state" or ev.task_id is None:
            continue
        to, task = ev.data.get("to"), ev.task_id
        current = open_.pop(task, None)
        if current is not None:
            out.append(Phase(task, current[0], current[1], current[2], ev.at))
        n = ev.data.get("attempt", current[0] if current else 0)
        if to in PHASE_OF and n:
            open_[task] = (int(n), PHASE_OF[str(to)], ev.at)
    out += [
        Phase(task, n, kind, since, max(since, end)) for task, (n, kind, since) in open_.items()
    ]
    return sorted(out, key=lambda p: (p.start, p.task, p.n))


def pack(intervals: Sequence[tuple[float, float]]) -> list[int]:
    """Greedy interval packing: each interval gets the lowest slot free at its start."""
    slot_ends: list[float] = []
    out = [0] * len(intervals)
    for i in sorted(range(len(intervals)), key=lambda i: intervals[i]):
        start, end = intervals[i]
        free = next((s for s, busy in enumerate(slot_ends) if busy <= start + 1e-6), None)
        if free is None:
            free = len(slot_ends)
            slot_ends.append(end)
        slot_ends[free] = end
        out[i] = free
    return out


def layout(deps: Mapping[str, Sequence[str]]) -> dict[str, tuple[int, int]]:
    """Task -> (wave, row): waves left to right, rows ordered to keep edges short."""
    where: dict[str, tuple[int, int]] = {}
    for layer, wave in enumerate(graph.waves(deps)):

        def pull(task: str) -> float:
            rows = [where[d][1] for d in deps[task] if d in where]
            return sum(rows) / len(rows) if rows else float("inf")

        ordered = sorted(wave, key=lambda t: (pull(t), wave.index(t)))
        where.update({task: (layer, row) for row, task in enumerate(ordered)})
    return where


def attempt_result(attempt: AttemptRow, run_status: str) -> str:
    """What became of an attempt, as the timeline colours it."""
    if attempt.outcome is None:
        return "running" if run_status == "running" else "lost"
    if attempt.outcome == "agent_failed" and "cancel" in attempt.reason:
        return "cancelled"
    return attempt.outcome


def costs(attempts: Iterable[AttemptRow]) -> dict[str, list[dict[str, Any]]]:
    """Cost and tokens summed by task, by agent and by model, most expensive first."""
    out: dict[str, list[dict[str, Any]]] = {}
    for key in ("task", "agent", "model"):
        sums: dict[str, list[float]] = {}
        for a in attempts:
            name = {"task": a.task_id, "agent": a.agent, "model": a.model or "(default)"}[key]
            row = sums.setdefault(name, [0.0, 0, 0, 0])
            row[0] += a.cost_usd
            row[1] += a.input_tokens
            row[2] += a.output_tokens
            row[3] += 1
        out[key] = [
            {"name": k, "cost": v[0], "input": v[1], "output": v[2], "attempts": v[3]}
            for k, v in sorted(sums.items(), key=lambda kv: (-kv[1][0], kv[0]))
        ]
    return out


@dataclass(frozen=True)
class Rows:
    """One run's rows from the store, and what the timeline makes of them."""

    run: RunRow
    plan: Plan
    tasks: dict[str, TaskRow]
    attempts: list[AttemptRow]
    events: list[Event]
    spans: list[Phase]
    slots: dict[tuple[str, int], int]
    on: dict[tuple[str, int], tuple[tuple[str, int], ...]]  # speculative starts: base held


def read_rows(record: RunRecord, now: float) -> Rows:
    run = record.run
    plan = api.stored_plan(run)
    attempts, events = list(record.attempts), list(record.events)
    spans = phases(events, run.finished_at or now)
    on = record.speculative_starts()
    bounds = attempt_bounds(spans, attempts, run.finished_at or now)
    keys = sorted(bounds)
    slots = dict(zip(keys, pack([bounds[k] for k in keys]), strict=True))
    tasks = {t.task_id: t for t in record.tasks}
    return Rows(run, plan, tasks, attempts, events, spans, slots, on)


def report_data(record: RunRecord, now: float | None = None) -> dict[str, Any]:
    """Everything the page draws, as JSON-ready data; times are seconds from the run's start."""
    now = time.time() if now is None else now
    rows = read_rows(record, now)
    run, where = rows.run, layout(rows.plan.deps())
    return {
        "run": {
            "id": run.id,
            "plan": run.plan_name,
            "target": run.target,
            "base": run.base_commit[:10],
            "status": run.status,
            "created_at": run.created_at,
            "wall": (run.finished_at or now) - run.created_at,
            "max_parallel": run.max_parallel,
            "gates": json.loads(run.gates),
            "budget": rows.plan.budget_usd,
        },
        "slots": 1 + max(rows.slots.values(), default=-1),
        "tasks": [task_data(rows, task, where[task.id]) for task in rows.plan.tasks],
        "costs": costs(rows.attempts),
        "coordination": coordination(record),
        "speculation": record.speculation(),
    }


def coordination(record: RunRecord) -> dict[str, Any]:
    """The planner's call(s) for this run: what `podium cost` counts as coordination."""
    calls = [e.data for e in record.events_of("run.coordination")]
    return {"calls": len(calls), "cost": sum(float(d.get("cost_usd", 0.0)) for d in calls)}


def task_data(rows: Rows, task: Task, where: tuple[int, int]) -> dict[str, Any]:
    row = rows.tasks[task.id]
    mine = [a for a in rows.attempts if a.task_id == task.id]
    events = [e for e in rows.events if e.task_id == task.id]
    return {
        "id": task.id,
        "goal": task.goal,
        "state": row.state,
        "reason": row.reason,
        "after": list(task.after),
        "agent": mine[-1].agent if mine else task.agent,
        "wave": where[0],
        "row": where[1],
        "cost": sum(a.cost_usd for a in mine),
        "merged_commit": row.merged_commit,
        "attempts": [attempt_data(rows, a) for a in mine],
        "checks": [e.data for e in events if e.kind == "task.checks"],
        "failures": [e.data for e in events if e.kind == "task.failure"],
        "summaries": [e.data for e in events if e.kind == "task.summary"],
        "split_from": task.id.rpartition(".")[0] if "." in task.id else "",
        "merges": [e.data for e in events if e.kind == "task.merge"],
        "batches": batches(rows.events, f"{rows.run.id}/{task.id}"),
    }


def batches(events: Iterable[Event], key: str) -> list[dict[str, Any]]:
    """The merge-queue batches a task was in: who it was gated with, and how that went."""
    out = []
    for ev in events:
        members = [str(m) for m in ev.data.get("tasks", ())] if ev.kind == "merge.batch" else []
        if key in members:
            others = [m.partition("/")[2] for m in members if m != key]
            out.append({"with": others, "status": ev.data.get("status", "")})
    return out


def attempt_bounds(
    spans: Sequence[Phase], attempts: Sequence[AttemptRow], end: float
) -> dict[tuple[str, int], tuple[float, float]]:
    """Each attempt's first and last moment: its phases, else its own start and finish."""
    out = {(a.task_id, a.n): (a.started_at, a.finished_at or end) for a in attempts}
    for p in spans:
        start, stop = out.get((p.task, p.n), (p.start, p.end))
        out[(p.task, p.n)] = (min(start, p.start), max(stop, p.end))
    return out


def attempt_data(rows: Rows, a: AttemptRow) -> dict[str, Any]:
    t0 = rows.run.created_at
    mine = [p for p in rows.spans if (p.task, p.n) == (a.task_id, a.n)]
    return {
        "n": a.n,
        "agent": a.agent,
        "model": a.model,
        "branch": a.branch,
        "start": a.started_at - t0,
        "result": attempt_result(a, rows.run.status),
        "exit_code": a.exit_code,
        "reason": a.reason,
        "input": a.input_tokens,
        "output": a.output_tokens,
        "cost": a.cost_usd,
        "slot": rows.slots.get((a.task_id, a.n), 0),
        "phases": [{"kind": p.kind, "start": p.start - t0, "end": p.end - t0} for p in mine],
        "on": [{"task": t, "attempt": n} for t, n in rows.on.get((a.task_id, a.n), ())],
    }


def render_html(data: Mapping[str, Any]) -> str:
    """The page: the template with its style, script and data inlined."""
    assets = files("podium.ui").joinpath("report_assets")
    page = assets.joinpath("report.html").read_text(encoding="utf-8")
    blob = json.dumps(data, sort_keys=True).replace("</", "<\\/")
    title = f"podium report · run {data['run']['id']} · {data['run']['plan']}"
    from html import escape

    return (
        page.replace("{{title}}", escape(title))
        .replace("{{css}}", assets.joinpath("report.css").read_text(encoding="utf-8"))
        .replace("{{js}}", assets.joinpath("report.js").read_text(encoding="utf-8"))
        .replace("{{data}}", blob)
    )


def write_report(record: RunRecord, out: Path | None, repo: Path) -> Path:
    """Write the report of a run; by default to .podium/reports/<run>.html."""
    data = report_data(record)
    path = out or api.state_dir(repo) / "reports" / f"{data['run']['id']}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(data), encoding="utf-8")
    return path


@click.command("report")
@click.argument("run_id", required=False)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Where to write it."
)
def report_command(run_id: str | None, output: Path | None) -> None:
    """Write an HTML report of a run (the latest by default): timeline, graph, checks, costs."""
    repo = api.repo_root()
    with api.reader(repo) as reader:
        record = reader.record(run_id)
    path = write_report(record, output, repo)
    click.echo(f"wrote {path} (one file: open it in any browser)")
