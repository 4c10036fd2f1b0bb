"""A task's identity across runs: its plan's name, its id, and a digest of what it asks.

What lands carries the identity in a `Podium-Identity: <plan>/<task>@<digest>` trailer, so
git answers "is this task, as the plan asks it now, already on the target?" for any run.
The digest covers the goal, the description, the owned files and the checks: change any of
them and the task is new work; change its agent, model or priority and it is the same task.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from podium.plans.model import Task

TRAILER = "Podium-Identity"


def digest(task: Task) -> str:
    asked = {
        "goal": task.goal.strip(),
        "description": task.description.strip(),
        "files": sorted(task.files),
        "checks": [asdict(c) for c in task.checks],
    }
    text = json.dumps(asked, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def identity(plan_name: str, task: Task) -> str:
    return f"{plan_name}/{task.id}@{digest(task)}"
