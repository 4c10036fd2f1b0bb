"""Turning runs and plans into text for people (and JSON for programs)."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

UNVERIFIED = "not verified (failing on the baseline)"  # as landing.gates says it

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from podium.api import Choice, Event, Plan, RunRecord, TaskCost


def progress_line(task: str, what: str, detail: str) -> None:
    """One line per event: safe for CI logs (no control codes)."""
    stamp = time.strftime("%H:%M:%S")
    first = detail.splitlines()[0] if detail else ""
    print(f"{stamp}  {task:<24} {what:<9} {first}".rstrip(), flush=True)


def status_data(record: RunRecord) -> dict[str, Any]:
    run = record.run
    warned = janitor_warnings(record.events)
    failures = record.failures()
    summaries = {e.task_id: e.data for e in record.events_of("task.summary") if e.task_id}
    on = record.speculative_starts()
    tasks = []
    for row in record.tasks:
        mine = record.attempts_of(row.task_id)
        tasks.append(
            {
                "id": row.task_id,
                "state": row.state,
                "attempts": row.attempts,
                "agent": mine[-1].agent if mine else None,
                "reason": row.reason,
                "merged_commit": row.merged_commit,
                "warnings": warned.get(row.task_id, []),
                "failure": failures.get(row.task_id),
                "summary": summaries.get(row.task_id),
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
                        "on": [{"task": t, "attempt": n} for t, n in on.get((a.task_id, a.n), ())],
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
        "speculation": record.speculation(),
        "paused": next(
            (str(e.data.get("reason")) for e in reversed(record.events_of("account.exhausted"))), ""
        ),
    }


def janitor_warnings(events: Iterable[Event]) -> dict[str, list[str]]:
    """Task -> the warnings of its latest checks (evasions under a `warn` policy), and of its
    merge (a gate that fails on the baseline too, compared by exit status, verified nothing)."""
    out: dict[str, list[str]] = {}
    attempt: dict[str, object] = {}  # task -> the attempt its warnings so far are from
    for ev in events:
        if ev.kind == "task.checks" and ev.task_id is not None:
            details = [str(c.get("detail", "")) for c in ev.data.get("checks", ()) if c.get("ok")]
            lines = [ln for d in details for ln in d.splitlines() if ln.startswith("warning: ")]
            if attempt.get(ev.task_id) != ev.data.get("attempt"):  # a later attempt's checks
                out[ev.task_id], attempt[ev.task_id] = [], ev.data.get("attempt")
            out[ev.task_id] += lines  # its checks, and those that ran while it queued
        elif ev.kind == "task.merge" and ev.task_id is not None:
            detail = str(ev.data.get("detail", ""))
            if ev.data.get("status") == "merged" and UNVERIFIED in detail:
                out.setdefault(ev.task_id, []).append(f"warning: {detail}")
            if ev.data.get("status") == "merged":  # what the tree it landed in was screened for
                details = [str(g.get("detail", "")) for g in ev.data.get("gates", ())]
                lines = [ln for d in details for ln in d.splitlines() if ln.startswith("warning: ")]
                out.setdefault(ev.task_id, []).extend(lines)
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
            on = ", ".join(f"{o['task']} a{o['attempt']}" for o in a.get("on", ()))
            held = f" (started on {on}, about to land)" if on else ""
            lines.append(f"      a{a['n']} {start}-{end} {a['outcome'] or 'running'}{held}")
        lines += [f"      {w}" for w in t.get("warnings", [])[:6]]
        failure = t.get("failure")
        if failure and t["state"] not in ("merged", "split"):
            lines += [f"      {line}" for line in failure["text"].splitlines()]
            lines += summary_lines(t.get("summary"))
        elif t["reason"]:
            for i, line in enumerate(t["reason"].splitlines()[:6]):
                lines.append(("      why: " if i == 0 else "           ") + line)
    lines += speculation_lines(data.get("speculation", {}))
    blind = [t["id"] for t in data["tasks"] if any(UNVERIFIED in w for w in t["warnings"])]
    if blind:
        lines.append(
            f"note: {len(blind)} merge(s) passed a gate that fails on the baseline too, so it "
            f'verified nothing there ({", ".join(blind)}); baseline = "strict" refuses that'
        )
    hint = next_step(data)
    if hint:
        lines.append(f"next: {hint}")
    return "\n".join(lines)


def speculation_lines(spec: dict[str, int]) -> list[str]:
    """How many tasks started before their dependencies landed, and what was thrown away."""
    if not spec.get("attempts"):
        return []
    tasks, attempts, discarded = spec["tasks"], spec["attempts"], spec["discarded"]
    return [
        f"speculation: {tasks} task(s) started on work about to land ({attempts} attempt(s)), "
        f"{discarded} attempt(s) thrown away"
    ]


def summary_lines(summary: dict[str, Any] | None) -> list[str]:
    """The summary for people (`[summaries] agent`) under the structured one, or its note."""
    if not summary:
        return []
    if summary.get("skipped"):
        return [f"      (summary skipped: {summary['skipped']})"]
    return [f"      in short: {summary.get('text', '')}"]


def next_step(data: dict[str, Any]) -> str:
    """What a user does now with this run, or "" when there is nothing to do."""
    run, status = data["run"], data["status"]
    if status == "interrupted":
        return (
            f"run {run} was interrupted (its coordinator is gone): `podium resume {run}` "
            "finishes it, or run its plan again (what is already on the target is not redone)"
        )
    if status == "cancelled":
        return f"run {run} was cancelled: `podium resume {run}` carries it on"
    if status == "paused":
        why = data.get("paused") or "an account's credit is used up"
        return f"run {run} paused: {why}; `podium resume {run}` carries it on"
    if status == "stopped":
        return f"run {run} stopped at its budget: `podium resume {run} --budget N` carries it on"
    failed = [t["id"] for t in data["tasks"] if t["state"] == "failed"]
    if status == "finished" and failed:
        names = " ".join(failed)
        return (
            f"fix the cause, then run the plan again (only what is not on {data['target']} "
            f"runs), or `podium retry {names}`"
        )
    return ""


def dry_run_text(
    plan: Plan, max_parallel: int, gates: tuple[str, ...], choices: Sequence[Choice] = ()
) -> str:
    from podium import api

    shape = api.preview(plan)
    lines = [f"plan {plan.name!r}: {len(plan.tasks)} tasks, up to {max_parallel} at once"]
    for i, wave in enumerate(shape.waves):
        lines.append(f"  wave {i + 1}: {', '.join(wave)}")
    path = " -> ".join(shape.critical_path)
    lines.append(f"  critical path: {path} (~{shape.critical_minutes:.0f} min)")
    for a, b in shape.serialized:
        lines.append(f"  ownership serializes: {a} / {b}")
    agents = sorted({t.agent for t in plan.tasks})
    lines.append(f"  agents: {', '.join(agents)}")
    for c in choices:
        who = f"{c.agent}:{c.model}" if c.model else c.agent
        lines.append(f"    {c.task:<22} {who} ({c.why})")
    lines.append(f"  gates: {', '.join(gates) if gates else 'none'}")
    unchecked = [t.id for t in plan.tasks if not t.checks]
    if unchecked and not gates:
        lines.append(
            f"  warning: no checks and no gates for {', '.join(unchecked)}: "
            "only 'changed something' is verified"
        )
    return "\n".join(lines)


def estimate_text(items: Sequence[TaskCost]) -> str:
    """The estimated cost of a plan, per task, as `podium plan --dry-run` shows it."""
    total = sum(item.usd for item in items)
    lines = [f"estimated cost: ${total:.2f} (one attempt per task)"]
    for item in items:
        who = f"{item.agent}/{item.model}" if item.model else item.agent
        lines.append(f"  {item.task:<24} ${item.usd:.2f}  {who} ({item.basis})")
    return "\n".join(lines)


def err(message: str) -> None:
    print(f"podium: {message}", file=sys.stderr)
