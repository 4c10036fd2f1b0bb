"""podium's own plan format: pydantic models for the raw mapping, then the frozen `Plan`.

pydantic checks shapes and types (strict: YAML already typed the values); `plancheck` checks
meaning. pydantic's messages are rewritten here into plain words at the YAML position.
"""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Callable, Collection, Mapping
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from podium.plans.checks import Built
from podium.plans.model import Check, Plan, Task
from podium.plans.yamlpos import Loc, Positions, plan_error


def _one_or_many(value: object) -> object:
    single = isinstance(value, str | int | float) and not isinstance(value, bool)
    return [value] if single else value


def _text(value: object) -> object:
    """Ids written as bare numbers (`id: 7`) are still ids."""
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    return str(value) if is_number else value


def _argv(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        return shlex.split(value)
    except ValueError as exc:
        raise ValueError(f"cannot split the command line: {exc}") from None


CHECK_KINDS = ("path_exists", "glob_exists", "file_contains", "command")
Text = Annotated[str, BeforeValidator(_text)]
TextList = Annotated[list[Text], BeforeValidator(_one_or_many)]
Argv = Annotated[list[str], BeforeValidator(_argv)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class FileContainsModel(_Model):
    path: str
    text: str


class CheckModel(_Model):
    path_exists: str | None = None
    glob_exists: str | None = None
    file_contains: FileContainsModel | None = None
    command: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> CheckModel:
        given = [name for name, value in self if value is not None]
        if len(given) != 1:
            got = f"; got {', '.join(given)}" if given else ""
            raise ValueError(f"needs exactly one of {', '.join(CHECK_KINDS)}{got}")
        return self


class TaskModel(_Model):
    id: Text
    goal: str
    description: str = ""
    files: TextList = Field(default_factory=list)
    after: TextList = Field(default_factory=list)
    priority: int = 2
    role: str = ""
    complexity: str = "medium"
    estimated_minutes: float | None = None
    agent: str = ""
    model: str | None = None
    command: Argv = Field(default_factory=list)
    checks: list[CheckModel] = Field(default_factory=list)
    budget_usd: float | None = None
    agents: TextList = Field(default_factory=list)
    allow: TextList = Field(default_factory=list)


class PlanModel(_Model):
    name: Text = ""
    agent: str = ""  # "": settled at run time ([roles], then the first usable CLI); or "auto"
    max_parallel: int | None = None
    gates: TextList | None = None
    description: str = ""
    constraints: TextList = Field(default_factory=list)
    budget_usd: float | None = None
    tasks: list[TaskModel]


Suggest = Callable[[Loc, str], str | None]
FIELDS: dict[tuple[str, ...], Collection[str]] = {
    (): PlanModel.model_fields,
    ("tasks",): TaskModel.model_fields,
    ("tasks", "checks"): CheckModel.model_fields,
    ("tasks", "checks", "file_contains"): FileContainsModel.model_fields,
}
ALIASES = {  # what people coming from other tools write, and podium's word for it
    "depends_on": "after",
    "deps": "after",
    "needs": "after",
    "title": "goal",
    "name": "id",
    "owns": "files",
    "paths": "files",
    "prompt": "description",
    "cli": "agent",
    "max_agents": "max_parallel",
    "budget": "budget_usd",
    "completion_signals": "checks",
    "contains": "text file_contains",
    "run": "command",
    "file_exists": "path_exists",
    "exists": "path_exists",
    "glob": "glob_exists",
}


def build(data: dict[str, Any], pos: Positions, default_agent: str | None, name: str) -> Built:
    """Validate the raw mapping and build the plan; shape errors raise one PlanError."""
    try:
        model = PlanModel.model_validate(data)
    except ValidationError as exc:
        raise plan_error(explain_all(exc, data, pos, _suggest)) from None
    agent = default_agent or model.agent
    tasks = tuple(_task(t, agent) for t in model.tasks)
    plan = Plan(
        name=model.name or name,
        tasks=tasks,
        agent=agent,
        max_parallel=model.max_parallel,
        gates=None if model.gates is None else tuple(model.gates),
        description=model.description,
        constraints=tuple(model.constraints),
        budget_usd=model.budget_usd,
    )
    return Built(plan, pos.at)


def _task(m: TaskModel, plan_agent: str) -> Task:
    return Task(
        id=m.id,
        goal=m.goal,
        description=m.description,
        files=tuple(m.files),
        after=tuple(m.after),
        priority=m.priority,
        role=m.role,
        complexity=m.complexity,
        estimated_minutes=m.estimated_minutes,
        agent=m.agent or plan_agent,
        model=m.model,
        command=tuple(m.command),
        checks=tuple(_check(c) for c in m.checks),
        budget_usd=m.budget_usd,
        agents=tuple(m.agents),
        allow=tuple(m.allow),
    )


def _check(m: CheckModel) -> Check:
    if m.file_contains is not None:
        return Check("file_contains", path=m.file_contains.path, text=m.file_contains.text)
    if m.command is not None:
        return Check("command", run=m.command)
    if m.glob_exists is not None:
        return Check("glob_exists", path=m.glob_exists)
    return Check("path_exists", path=m.path_exists or "")


def _suggest(loc: Loc, key: str) -> str | None:
    fields = FIELDS.get(tuple(p for p in loc if isinstance(p, str)), ())
    for alias in ALIASES.get(key, "").split():
        if alias in fields:
            return alias
    close = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.6)
    return close[0] if close else None


def explain_all(exc: ValidationError, data: object, pos: Positions, suggest: Suggest) -> list[str]:
    """Every pydantic error of `exc` in plain words, in file order."""
    found = [(_where(e, pos), explain(e, data, pos, suggest)) for e in exc.errors()]
    return [text for _, text in sorted(found, key=lambda pair: pair[0])]


def _where(err: ErrorDetails, pos: Positions) -> tuple[int, int]:
    place = pos.at(tuple(err["loc"]), key=err["type"] == "extra_forbidden")
    return place.line, place.col


def explain(err: ErrorDetails, data: object, pos: Positions, suggest: Suggest) -> str:
    """One pydantic error as `file:line:col: plain words`."""
    loc = tuple(err["loc"])
    kind = err["type"]
    if kind == "missing":
        return f"{pos.at(loc)}: missing key '{loc[-1]}' in {owner(loc[:-1], data)}"
    if kind == "extra_forbidden":
        hint = suggest(loc[:-1], str(loc[-1]))
        tail = f" (did you mean '{hint}'?)" if hint else ""
        return f"{pos.at(loc, key=True)}: unknown key '{loc[-1]}' in {owner(loc[:-1], data)}{tail}"
    what = located_value(loc, data)
    need = _NEEDS.get(kind)
    if need:
        return f"{pos.at(loc)}: {what} must be {need}, got {describe(err['input'])}"
    msg = err["msg"].removeprefix("Value error, ")
    return f"{pos.at(loc)}: {what}: {msg}"


_NEEDS = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "int_parsing": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "bool_type": "true or false",
}


def owner(loc: Loc, data: object) -> str:
    """What holds `loc`: "the plan", "task 'api'", "task 'api' checks[0]"."""
    who, path = label(loc, data)
    return " ".join(p for p in (who, path) if p) or "the plan"


def located_value(loc: Loc, data: object) -> str:
    """ "task 'api': priority" or "max_parallel": the value a message talks about."""
    who, path = label(loc, data)
    return f"{who}: {path}" if who and path else who or path


def label(loc: Loc, data: object) -> tuple[str, str]:
    """Items named by their id, name or title; the rest as a dotted path."""
    who: list[str] = []
    path = ""
    node = data
    for i, part in enumerate(loc):
        node = _child(node, part)
        name = _item_name(node) if isinstance(part, int) else None
        parent = str(loc[i - 1]) if i else ""
        if name and parent.endswith("s") and path == parent:
            who.append(f"{parent[:-1]} '{name}'")
            path = ""
        elif isinstance(part, int):
            path = f"{path}[{part}]"
        else:
            path = f"{path}.{part}" if path else part
    return " ".join(who), path


def _child(node: object, part: str | int) -> object:
    if isinstance(node, Mapping):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and part < len(node):
        return node[part]
    return None


def _item_name(node: object) -> str | None:
    if not isinstance(node, Mapping):
        return None
    for key in ("id", "name", "title"):
        value = node.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return str(value)[:40]
    return None


def describe(value: object) -> str:
    """A YAML value in words: "text 'four'", "the number 3", "a list", "nothing"."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"text {shown!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"
