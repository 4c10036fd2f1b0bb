"""What the planner asks for and how its answer becomes plan YAML. Pure functions.

The JSON schema follows podium's plan format (docs/plan-format.md) and is written so that
strict structured-output modes accept it: every property is required, optional values are
nullable, no extra keys. `answer_yaml` turns an answer (an object from structured output, or
text with JSON in it) into YAML text for `parse_plan`, which alone judges the plan.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from podium.plans.checks import slug

_STR = {"type": "string"}
_STRS = {"type": "array", "items": _STR}


def _nullable(kind: str) -> dict[str, Any]:
    return {"type": [kind, "null"]}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    required = list(properties)
    return {
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": properties,
    }


def _check() -> dict[str, Any]:
    contains = _object({"path": _STR, "text": _STR})
    kinds = [
        _object({"path_exists": _STR}),
        _object({"glob_exists": _STR}),
        _object({"file_contains": contains}),
        _object({"command": _STR}),
    ]
    return {"anyOf": kinds}


TASK_SCHEMA = _object(
    {
        "id": _STR,
        "goal": _STR,
        "description": _STR,
        "files": _STRS,
        "after": _STRS,
        "priority": {"type": "integer", "enum": [1, 2, 3, 4, 5]},
        "role": _STR,
        "complexity": {"type": "string", "enum": ["low", "medium", "high"]},
        "estimated_minutes": _nullable("number"),
        "checks": {"type": "array", "items": _check()},
    }
)
PLAN_SCHEMA = _object(
    {
        "name": _STR,
        "description": _STR,
        "constraints": _STRS,
        "tasks": {"type": "array", "items": TASK_SCHEMA},
    }
)

INSTRUCTIONS = """\
You are the planner of podium, which runs several coding agents at once on this git
repository, each task in its own worktree, and merges their work one task at a time.
Do not change any file: read what you need, then answer with a plan.

Split the goal into tasks that agents can do in parallel:
- `id`: lowercase letters, digits, '-' and '_' (e.g. "add-auth"); unique.
- `goal`: one sentence, what must be true when the task is done.
- `description`: what the agent needs to know (files, functions, conventions).
- `files`: the repository paths or globs the task owns ("src/app/auth/**", "docs/auth.md").
  Tasks whose files overlap never run at the same time, so keep them apart where you can.
- `after`: ids of tasks that must be merged first. No cycles.
- `priority` 1 (most urgent) to 5; `complexity` low, medium or high;
  `estimated_minutes` or null; `role` a word such as backend, tests, docs.
- `checks`: how to tell the task is done, each exactly one of
  {"path_exists": PATH}, {"glob_exists": GLOB}, {"file_contains": {"path": P, "text": T}},
  {"command": "COMMAND LINE"}.
Prefer few, well separated tasks; each must be worth an agent's run."""


def build_prompt(
    goal: str, repo_map: str, structured: bool, repair: Sequence[str] = (), previous: str = ""
) -> str:
    """The planning prompt; with `repair`, the validator's errors on the `previous` answer."""
    parts = [INSTRUCTIONS, f"## The goal\n\n{goal.strip()}", f"## The repository\n\n{repo_map}"]
    if repair:
        parts.append(
            "## Your previous answer was rejected\n\nThe plan validator reported:\n\n"
            + "\n".join(f"- {line}" for line in repair)
            + "\n\nLine numbers refer to your answer as podium read it:\n\n```yaml\n"
            + previous.rstrip("\n")
            + "\n```\n\nAnswer again with the whole plan, corrected."
        )
    if structured:
        parts.append("Answer with the plan as structured output.")
    else:
        schema = json.dumps(PLAN_SCHEMA, sort_keys=True)
        parts.append(
            "## Answer\n\nAnswer with one JSON object in a ```json fenced block and nothing "
            f"after it, matching this JSON schema:\n\n{schema}"
        )
    return "\n\n".join(parts) + "\n"


_FENCE = re.compile(r"```(?:json|JSON)?[ \t]*\n(.*?)```", re.S)


def extract_json(text: str) -> Any | None:
    """The JSON object in an answer: the last fenced block that parses, else the outermost
    `{...}` that parses; None when there is none."""
    for block in reversed(_FENCE.findall(text)):
        value = _loads(block)
        if isinstance(value, dict):
            return value
    start, end = text.find("{"), text.rfind("}")
    while start != -1 and end > start:
        value = _loads(text[start : end + 1])
        if isinstance(value, dict):
            return value
        start = text.find("{", start + 1)
    return None


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def answer_yaml(answer: Any, agent: str, fallback_name: str) -> str:
    """The answer as plan YAML: a JSON object is tidied (nulls and empty values dropped, the
    planner's agent and a name filled in); anything else is passed on as text, for the
    validator to say what is wrong with it."""
    import yaml

    if isinstance(answer, str):
        found = extract_json(answer)
        if found is None:
            return answer if answer.strip() else "# the planner gave an empty answer\n"
        answer = found
    if not isinstance(answer, dict):
        return yaml.safe_dump(answer, sort_keys=False, allow_unicode=True, width=100)
    plan = {"name": fallback_name, "agent": agent, **_tidy(answer)}
    tasks = plan.get("tasks")
    if isinstance(tasks, list):
        plan["tasks"] = [_tidy(t) if isinstance(t, dict) else t for t in tasks]
    return yaml.safe_dump(plan, sort_keys=False, allow_unicode=True, width=100)


def _tidy(mapping: dict[str, Any]) -> dict[str, Any]:
    """Drop null and empty optional values of the plan or a task; keep the rest as given."""
    return {k: v for k, v in mapping.items() if v not in (None, "", []) or k in ("id", "goal")}


def plan_slug(goal: str) -> str:
    """The goal as a plan name and file name: `Café au lait (v2)!` -> `cafe-au-lait-v2`, the
    same slug plans use for task ids; "plan" when nothing is left."""
    return slug(goal) or "plan"
