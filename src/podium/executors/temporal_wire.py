"""What travels through Temporal for one attempt, both ways: plain JSON, small, no secrets.

Out goes the decided attempt (task, base commit, branch, prompt, limits, the agent's settings
without its `env` table); back come the outcome, the head commit, usage and rate limits and
the tail of the agent's log. A payload warns at 256 KB and fails at 2 MB, so events are
trimmed and the log is cut to its tail; the full log stays on the worker.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from podium.agents.base import AgentEvent
from podium.agents.runner import Outcome
from podium.config import AgentConfig, Config
from podium.executors.base import AttemptRequest, AttemptResult
from podium.executors.temporal_workflow import ACTIVITY, WORKFLOW
from podium.plans.model import Task
from podium.routing.prices import Price

__all__ = ["ACTIVITY", "WORKFLOW"]
LOG_TAIL = 64 * 1024  # bytes of the agent's log sent back
KEPT = ("usage", "rate_limit", "result", "error")  # event kinds the coordinator records
TASK_FIELDS = ("id", "goal", "description", "agent", "model", "command", "budget_usd")
SETUP_SLACK = 600.0  # seconds beyond the wall timeout for fetch, set-up, commit and push


def workflow_id(remote: str, run_id: str, task_id: str, n: int) -> str:
    """The same attempt always gets the same id: starting it twice is refused by Temporal."""
    where = hashlib.sha1(remote.encode()).hexdigest()[:10]
    return f"podium-{where}/{run_id}/{task_id}/a{n}"


def activity_queue(task_queue: str, agent: str) -> str:
    """Attempts of one agent go to the workers that have it (`podium worker --agents`)."""
    return f"{task_queue}.{agent}"


def spec_of(
    request: AttemptRequest, remote: str, task_queue: str, heartbeat: float
) -> dict[str, Any]:
    task, config = request.task, request.config
    own = config.agents.get(task.agent)
    agent = None
    if own is not None:  # its `env` table stays here: secrets come from the worker's environment
        agent = {f.name: getattr(own, f.name) for f in fields(AgentConfig) if f.name != "env"}
    return {
        "run": request.run_id,
        "task": {name: getattr(task, name) for name in TASK_FIELDS},
        "n": request.n,
        "base": request.base,
        "branch": request.branch,
        "prompt": request.prompt,
        "message": request.message,
        "remote": remote,
        "queue": activity_queue(task_queue, task.agent),
        "heartbeat": heartbeat,
        "deadline": config.wall_timeout + SETUP_SLACK,
        "wall": config.wall_timeout,
        "silence": config.silence_timeout,
        "setup": config.setup,
        "agent": agent,
        "prices": {name: [p.input, p.output] for name, p in config.prices.items()},
    }


def request_of(spec: dict[str, Any], home: Path) -> AttemptRequest:
    """The attempt as this worker carries it out, in folders under `home`."""
    run_id, n = spec["run"], spec["n"]
    raw = dict(spec["task"], command=tuple(spec["task"]["command"]))
    task = Task(**raw)
    agents = {}
    if spec["agent"] is not None:
        agents[task.agent] = AgentConfig(**dict(spec["agent"], args=tuple(spec["agent"]["args"])))
    config = Config(
        shared=(),
        copy=(),
        setup=spec["setup"],
        wall_timeout=spec["wall"],
        silence_timeout=spec["silence"],
        agents=agents,
        prices={name: Price(i, o) for name, (i, o) in spec["prices"].items()},
    )
    where = f"{run_id}/{task.id}"
    return AttemptRequest(
        run_id=run_id,
        task=task,
        n=n,
        base=spec["base"],
        branch=spec["branch"],
        worktree=home / "worktrees" / where / f"a{n}",
        prompt=spec["prompt"],
        logs=home / "logs" / where,
        home=home / "homes" / where / f"a{n}",
        config=config,
        message=spec["message"],
    )


def result_of(result: AttemptResult, model: str | None, log: Path, worker: str) -> dict[str, Any]:
    outcome = result.outcome
    data: dict[str, Any] = {"failure": result.failure, "head": result.head, "model": model}
    data["worker"] = worker
    data["log"] = _tail(log)
    if outcome is not None:
        data["outcome"] = {
            "exit_code": outcome.exit_code,
            "killed": outcome.killed,
            "error": outcome.error,
            "events": [_event(e) for e in outcome.events if e.kind in KEPT],
        }
    return data


def outcome_of(data: dict[str, Any]) -> Outcome | None:
    raw = data.get("outcome")
    if raw is None:
        return None
    events = tuple(AgentEvent(**e) for e in raw["events"])
    return Outcome(raw["exit_code"], raw["killed"], events, None, raw["error"])


def _event(event: AgentEvent) -> dict[str, Any]:
    return dict(asdict(event), text=event.text[:500])


def _tail(log: Path) -> str:
    try:
        with log.open("rb") as handle:
            handle.seek(max(0, log.stat().st_size - LOG_TAIL))
            return handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
