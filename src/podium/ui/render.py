"""Turning runs and plans into text for people (and JSON for programs)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from typing import Any

from podium.plans import graph
from podium.plans.model import Plan, estimate_minutes
from podium.scheduling import scheduler
from podium.store import Event, Store


def progress_line(task: str, what: str, detail: str) -> None:
    """One line per event: safe for CI logs (no control codes)."""
    stamp = time.strftime("%H:%M:%S")
    first = detail.splitlines()[0] if detail else ""
    print(f"{stamp}  {task:<24} {what:<9} {first}".rstrip(), flush=True)


def status_data(store: Store, run_id: str | None) -> dict[str, Any]:
    run = store.run(run_id)
    attempts = store.attempts(run.id)
    warned = janitor_warnings(store.events(run.id))
    tasks = []
    for row in store.tasks(run.id):
        mine = [a for a in attempts if a.task_id == row.task_id]
        tasks.append(
            {
                "id": row.task_id,
                "state": row.state,
                "attempts": row.attempts,
                "agent": mine[-1].agent if mine else None,
                "reason": row.reason,
                "merged_commit": row.merged_commit,
                "warnings": warned.get(row.task_id, []),
                "attempt_list": [
                    {
                        "n": a.n,
                        "agent": a.agent,
                        "model": a.model,
                        "branch": a.branch,
                        "started_at": a.started_at,
                        "finished_at": a.finished_at,
                        "outcome": a.outcome,
                        "exit_code": a.exit_code,
                        "reason": a.reason,
                        "input_tokens": a.input_tokens,
                        "output_tokens": a.output_tokens,
                        "cost_usd": a.cost_usd,
                    }
                    for a in mine
                ],
            }
        )
    return {
        "run": run.id,
        "plan": run.plan_name,
        "target": run.target,
        "status": run.status,
        "created_at": run.created_at,
        "finished_at": run.finished_at,
        "tasks": tasks,
    }


def janitor_warnings(events: Iterable[Event]) -> dict[str, list[str]]:
    """Task -> the warnings of its latest checks (evasions under a `warn` policy)."""
    out: dict[str, list[str]] = {}
    for ev in events:
        if ev.kind == "task.checks" and ev.task_id is not None:
            details = [str(c.get("detail", "")) for c in ev.data.get("checks", ()) if c.get("ok")]
            lines = [ln for d in details for ln in d.splitlines() if ln.startswith("warning: ")]
            out[ev.task_id] = lines
    return out


def status_text(data: dict[str, Any]) -> str:
    counts: dict[str, int] = {}
    for t in data["tasks"]:
        counts[t["state"]] = counts.get(t["state"], 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    lines = [f"run {data['run']} ({data['plan']}) on {data['target']}: {data['status']}; {summary}"]
    for t in data["tasks"]:
        agent = t["agent"] or "-"
        lines.append(f"  {t['id']:<24} {t['state']:<10} attempts {t['attempts']}  {agent}")
        for a in t["attempt_list"]:
            start = time.strftime("%H:%M:%S", time.localtime(a["started_at"]))
            end = (
                time.strftime("%H:%M:%S", time.localtime(a["finished_at"]))
                if a["finished_at"]
                else "…"
            )
            lines.append(f"      a{a['n']} {start}-{end} {a['outcome'] or 'running'}")
        lines += [f"      {w}" for w in t.get("warnings", [])[:6]]
        if t["reason"]:
            for i, line in enumerate(t["reason"].splitlines()[:6]):
                lines.append(("      why: " if i == 0 else "           ") + line)
    return "\n".join(lines)


def dry_run_text(plan: Plan, max_parallel: int, gates: tuple[str, ...]) -> str:
    deps = plan.deps()
    weight = {t.id: estimate_minutes(t) for t in plan.tasks}
    lines = [f"plan {plan.name!r}: {len(plan.tasks)} tasks, up to {max_parallel} at once"]
    for i, wave in enumerate(graph.waves(deps)):
        lines.append(f"  wave {i + 1}: {', '.join(wave)}")
    path = graph.critical_path(deps, weight)
    total = sum(weight[t] for t in path)
    lines.append(f"  critical path: {' -> '.join(path)} (~{total:.0f} min)")
    views = tuple(
        scheduler.TaskView(t.id, t.after, t.files, t.priority, weight[t.id], t.agent)
        for t in plan.tasks
    )
    for a, b in scheduler.serialized_pairs(views):
        lines.append(f"  ownership serializes: {a} / {b}")
    agents = sorted({t.agent for t in plan.tasks})
    lines.append(f"  agents: {', '.join(agents)}")
    lines.append(f"  gates: {', '.join(gates) if gates else 'none'}")
    unchecked = [t.id for t in plan.tasks if not t.checks]
    if unchecked and not gates:
        lines.append(
            f"  warning: no checks and no gates for {', '.join(unchecked)}: "
            "only 'changed something' is verified"
        )
    return "\n".join(lines)


def err(message: str) -> None:
    print(f"podium: {message}", file=sys.stderr)
