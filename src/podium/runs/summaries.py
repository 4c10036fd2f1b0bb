"""The optional summary for people: one cheap model call per failed task, after the run.

With `[summaries] agent = "claude:claude-haiku-4-5"`, each task that ended failed gets its
latest structured failure summary turned into two or three sentences (a `task.summary`
event, shown beside the structured summary), and the call's cost is a `run.coordination`
event like the planner's. It never stands in the run's way: it runs once the run's loop has
ended, `[summaries] timeout` bounds each call, and a call that fails or times out is skipped
with a note (`task.summary` with `skipped`) instead.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from podium.config import Config
from podium.errors import PodiumError
from podium.runs.setup import Reporter, RunSetup
from podium.scheduling import lifecycle
from podium.store import Store

MAX_CHARS = 600

PROMPT = """\
Below is podium's structured summary of why a coding agent's task failed. Turn it into two
or three plain sentences for a person: what failed, the likely cause, what to try next. No
lists, no markdown, nothing else. Do not change any file.

## The task

{task}

## The summary

{summary}
"""


def summarize(setup: RunSetup, store: Store, report: Reporter | None = None) -> None:
    """`[summaries] agent`: two or three sentences per failed task; skipped ones noted."""
    for note in summarize_failed(setup.repo, store, setup.run_id, setup.config):
        if report is not None:
            task, _, what = note.partition(": ")
            report(task, "note", what)


def summarize_failed(
    repo: Path, store: Store, run_id: str, config: Config, clock: Callable[[], float] = time.time
) -> list[str]:
    """Add the summaries of the run's failed tasks that have none yet; the notes of those
    skipped. Does nothing without `[summaries] agent`."""
    if config.summary_agent is None:
        return []
    events = store.events(run_id)
    done = {(e.task_id, e.data.get("attempt")) for e in events if e.kind == "task.summary"}
    latest = {e.task_id: e.data for e in events if e.kind == "task.failure" and e.task_id}
    notes = []
    for row in store.tasks(run_id):
        failure = latest.get(row.task_id)
        if row.state != lifecycle.FAILED or failure is None:
            continue
        if (row.task_id, failure.get("attempt")) in done:
            continue
        note = _one(repo, store, run_id, row.task_id, failure, config, clock)
        if note:
            notes.append(note)
    return notes


def _one(
    repo: Path,
    store: Store,
    run_id: str,
    task_id: str,
    failure: dict[str, object],
    config: Config,
    clock: Callable[[], float],
) -> str:
    from podium.planning.planner import Call, ask

    assert config.summary_agent is not None
    agent, model = config.summary_agent
    text = PROMPT.format(task=task_id, summary=failure.get("text", ""))
    base = {"attempt": failure.get("attempt"), "agent": agent, "model": model}
    try:
        with tempfile.TemporaryDirectory(prefix="podium-summary-") as logs:
            call = Call(
                repo, agent, config, Path(logs), 1,
                model=model, structured=False, wall=config.summary_timeout,
            )  # fmt: skip
            answer, usage = ask(call, f"summary of {task_id}", text)
    except (PodiumError, OSError) as exc:
        why = str(exc).splitlines()[0]
        store.add_event(run_id, task_id, clock(), "task.summary", {**base, "skipped": why})
        return f"{task_id}: summary skipped: {why}"
    said = " ".join(str(answer).split())[:MAX_CHARS]
    store.add_event(run_id, task_id, clock(), "task.summary", {**base, "text": said})
    cost = {"what": "summary", "task": task_id, **asdict(usage)}
    store.add_event(run_id, None, clock(), "run.coordination", cost)
    return ""
