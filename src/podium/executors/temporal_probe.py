"""`podium doctor` for the temporal executor: the service, the remote, the workers polling.

Run as its own short process (`python -m podium.executors.temporal_probe SETTINGS-JSON
REMOTE`): a Temporal client can crash the interpreter as it exits (sdk-python#300), so the
doctor never holds one itself. Prints one JSON list of [what, ok, detail] and ends with
os._exit.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from podium import git
from podium.config import ExecutorConfig
from podium.errors import PodiumError
from podium.executors.temporal import connect

Row = tuple[str, bool, str]


async def probe(settings: ExecutorConfig, remote: str) -> list[Row]:
    rows: list[Row] = []
    seen = git.run(Path.cwd(), "ls-remote", "--heads", remote, check=False)
    why = seen.err.strip().splitlines()[-1:] or ["no answer"]
    rows.append(("remote", seen.code == 0, remote if seen.code == 0 else f"{remote}: {why[0]}"))
    try:
        client = await connect(settings)
    except PodiumError as exc:
        return [*rows, ("temporal", False, str(exc))]
    where = f"{settings.address}, namespace {settings.namespace!r}"
    rows.append(("temporal", True, where))
    pollers = await _pollers(client, settings)
    names = ", ".join(sorted(pollers)) or "none"
    rows.append(("workers", bool(pollers), f"polling {settings.task_queue!r}: {names}"))
    return rows


async def _pollers(client: Any, settings: ExecutorConfig) -> set[str]:
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

    request = DescribeTaskQueueRequest(
        namespace=settings.namespace,
        task_queue=TaskQueue(name=settings.task_queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    answer = await client.workflow_service.describe_task_queue(request)
    return {p.identity for p in answer.pollers}


def main(argv: list[str]) -> None:
    settings = ExecutorConfig(**json.loads(argv[0]))
    print(json.dumps(asyncio.run(probe(settings, argv[1]))), flush=True)
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
