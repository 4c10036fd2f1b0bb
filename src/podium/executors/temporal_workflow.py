"""The Temporal workflow of one attempt: a single activity, run once.

Kept trivial for Temporal's determinism rules (and its sandbox: nothing but temporalio is
imported here). The coordinator owns retries: a lost attempt comes back as a failure, and
the next try is a new attempt with its own number, branch and workflow id.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.workflow import ActivityCancellationType

WORKFLOW = "PodiumAttempt"
ACTIVITY = "podium-attempt"


@workflow.defn(name=WORKFLOW)
class AttemptWorkflow:
    @workflow.run
    async def run(self, spec: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await workflow.execute_activity(
            ACTIVITY,
            spec,
            task_queue=spec["queue"],
            start_to_close_timeout=timedelta(seconds=spec["deadline"]),
            heartbeat_timeout=timedelta(seconds=spec["heartbeat"]),
            retry_policy=RetryPolicy(maximum_attempts=1),
            cancellation_type=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        return result
