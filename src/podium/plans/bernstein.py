"""Bernstein plans (`stages` of `steps`), read unchanged into a podium `Plan`.

Each step becomes a task whose id is a slug of its title; every step of a stage runs after
every step of the stages in its `depends_on`. Keys podium has no use for are reported once
each as a note, never dropped in silence. Priorities keep their meaning (Bernstein also puts
1 first and defaults to 2) and are clamped to podium's 1..5.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from podium.plans.bernsteinmap import Origin, ignored_notes, locator, unused_keys
from podium.plans.checks import Built, slug
from podium.plans.graph import find_cycle
from podium.plans.model import Check, Plan, Task
from podium.plans.schema import TextList, explain_all
from podium.plans.yamlpos import Loc, Pos, Positions, plan_error

CLIS = ("claude", "codex", "gemini", "aider", "opencode", "qwen", "copilot")
SIGNALS = ("path_exists", "glob_exists", "file_contains", "command", "test_passes")
IGNORED_SIGNALS = ("llm_review", "llm_judge")


def _budget(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        return float(value.strip().removeprefix("$").replace(",", ""))
    except ValueError:
        raise ValueError(f'expected an amount like "$15" or 15, got {value!r}') from None


def _priority(value: object) -> object:
    """Bernstein's 1 (critical) 2 (normal) 3 (low) stay; "p0".."p4" (p0 first) become 1..5."""
    if isinstance(value, str) and re.fullmatch(r"[pP]\d+", value.strip()):
        return int(value.strip()[1:]) + 1
    return value


class _Lax(BaseModel):  # Bernstein itself coerces ("priority: '1'"), so podium does too
    model_config = ConfigDict(extra="ignore")


class SignalModel(_Lax):
    type: str
    path: str | None = None
    contains: str | None = None
    run: str | None = None
    command: str | None = None
    value: str | None = None


class StepModel(_Lax):
    title: str | None = None
    goal: str | None = None
    description: str | None = None
    role: str | None = None
    complexity: str | None = None
    priority: Annotated[int, BeforeValidator(_priority)] | None = None
    files: TextList | None = None
    completion_signals: list[SignalModel] | None = None
    estimated_minutes: float | None = None
    model: str | None = None
    cli: str | None = None


class StageModel(_Lax):
    name: str
    description: str | None = None
    depends_on: TextList | None = None
    steps: list[StepModel] | None = None


class BernsteinModel(_Lax):
    name: str | None = None
    description: str | None = None
    cli: str | None = None
    budget: Annotated[float, BeforeValidator(_budget)] | None = None
    max_agents: int | None = None
    constraints: TextList | None = None
    stages: list[StageModel]


class _Reader:
    """Collects errors and notes while turning stages into tasks."""

    def __init__(self, pos: Positions) -> None:
        self.pos = pos
        self.errors: list[str] = []
        self.notes: list[tuple[int, str]] = []  # (line, note)
        self.ignored: dict[str, list[Pos]] = {}
        self.ids: set[str] = set()

    def error(self, loc: Loc, text: str) -> None:
        self.errors.append(f"{self.pos.at(loc)}: {text}")

    def note(self, loc: Loc, text: str) -> None:
        where = self.pos.at(loc)
        self.notes.append((where.line, f"{where.source}:{where.line}: {text}"))

    def ignore(self, name: str, loc: Loc) -> None:
        self.ignored.setdefault(name, []).append(self.pos.at(loc, key=True))

    def agent(self, cli: str | None, loc: Loc, inherited: str) -> str:
        if cli is None or cli == "auto":
            return inherited
        if cli not in CLIS:
            known = ", ".join(("auto", *CLIS))
            self.error(loc, f"cli '{cli}' has no podium agent (podium runs: {known})")
            return inherited
        return cli

    def task_id(self, title: str) -> str:
        base = slug(title) or "step"
        task_id, n = base, 1
        while task_id in self.ids:
            n += 1
            task_id = f"{base}-{n}"
        self.ids.add(task_id)
        return task_id


def build(data: dict[str, Any], pos: Positions, default_agent: str | None, name: str) -> Built:
    """Read a Bernstein plan; shape and stage errors raise one PlanError."""
    try:
        model = BernsteinModel.model_validate(data)
    except ValidationError as exc:
        raise plan_error(explain_all(exc, data, pos, lambda loc, key: None)) from None
    reader = _Reader(pos)
    for what, loc in unused_keys(data):
        reader.ignore(what, loc)
    _check_stages(reader, model.stages)
    agent = default_agent or reader.agent(model.cli, ("cli",), "auto" if model.cli else "")
    tasks, origins = _tasks(reader, model.stages, agent)
    plan = Plan(
        name=model.name or name,
        tasks=tuple(tasks),
        agent=agent,
        max_parallel=model.max_agents,
        description=(model.description or "").strip(),
        constraints=tuple(model.constraints or ()),
        budget_usd=model.budget,
    )
    notes = sorted([*reader.notes, *ignored_notes(reader.ignored)])
    return Built(plan, locator(pos, origins), tuple(n for _, n in notes), tuple(reader.errors))


def _check_stages(reader: _Reader, stages: list[StageModel]) -> None:
    first: dict[str, int] = {}
    for s, stage in enumerate(stages):
        where = reader.pos.at(("stages", s, "name"))
        if stage.name in first:
            reader.error(
                ("stages", s, "name"),
                f"duplicate stage '{stage.name}' (first on line {first[stage.name]})",
            )
        first.setdefault(stage.name, where.line)
    known = ", ".join(first)
    for s, stage in enumerate(stages):
        for k, dep in enumerate(stage.depends_on or ()):
            if dep not in first:
                text = f"stage '{stage.name}' depends on unknown stage '{dep}' (known: {known})"
                reader.error(("stages", s, "depends_on", k), text)
    cycle = find_cycle({st.name: st.depends_on or [] for st in stages})
    if cycle:
        index = [st.name for st in stages].index(cycle[0])
        reader.error(
            ("stages", index, "depends_on"), f"stage dependency cycle: {' -> '.join(cycle)}"
        )


def _tasks(
    reader: _Reader, stages: list[StageModel], agent: str
) -> tuple[list[Task], list[Origin]]:
    tasks: list[Task] = []
    origins: list[Origin] = []
    own: dict[str, list[str]] = {}
    for s, stage in enumerate(stages):
        if not stage.steps:
            reader.note(("stages", s), f"stage '{stage.name}' has no steps")
        for j, step in enumerate(stage.steps or ()):
            made = _task(reader, (s, j), stage, step, agent)
            if made:
                tasks.append(made[0])
                origins.append(made[1])
                own.setdefault(stage.name, []).append(made[0].id)
    if reader.errors:
        return tasks, origins
    waits = _stage_waits(stages, own)
    pairs = zip(tasks, origins, strict=True)
    return [replace(t, after=waits[stages[o.stage].name]) for t, o in pairs], origins


def _stage_waits(
    stages: list[StageModel], own: Mapping[str, list[str]]
) -> dict[str, tuple[str, ...]]:
    """Stage -> the task ids its steps wait for; an empty stage passes its own waits on."""
    by_name = {st.name: st for st in stages}
    done: dict[str, list[str]] = {}

    def finished(name: str) -> list[str]:  # the ids that mean "stage `name` is done"
        if name not in done:
            done[name] = own.get(name) or _unique(
                i for d in by_name[name].depends_on or () for i in finished(d)
            )
        return done[name]

    return {
        st.name: tuple(_unique(i for d in st.depends_on or () for i in finished(d)))
        for st in stages
    }


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def _task(
    reader: _Reader, at: tuple[int, int], stage: StageModel, step: StepModel, agent: str
) -> tuple[Task, Origin] | None:
    loc: Loc = ("stages", at[0], "steps", at[1])
    title = step.title or step.goal
    if not title or not title.strip():
        reader.error(loc, f"stage '{stage.name}' step {at[1] + 1} needs a 'title' (or 'goal')")
        return None
    if step.title and step.goal is not None:
        reader.ignore("key 'goal'", (*loc, "goal"))
    checks, signals = _checks(reader, loc, step.completion_signals or [])
    task = Task(
        id=reader.task_id(title),
        goal=title.strip(),
        description=_description(step, stage),
        files=tuple(step.files or ()),
        priority=_clamp(reader, loc, step.priority),
        role=step.role or "",
        complexity=step.complexity or "medium",
        estimated_minutes=step.estimated_minutes,
        agent=reader.agent(step.cli, (*loc, "cli"), agent),
        model=None if step.model in (None, "", "auto") else step.model,
        checks=checks,
    )
    return task, Origin(at[0], at[1], signals)


def _description(step: StepModel, stage: StageModel) -> str:
    text = (step.description or "").strip()
    if stage.description and stage.description.strip():
        text += f"\n\nStage '{stage.name}': {stage.description.strip()}"
    return text.strip()


def _clamp(reader: _Reader, loc: Loc, priority: int | None) -> int:
    if priority is None:
        return 2
    clamped = min(5, max(1, priority))
    if clamped != priority:
        reader.note(
            (*loc, "priority"), f"priority {priority} is outside podium's 1..5; using {clamped}"
        )
    return clamped


def _checks(
    reader: _Reader, loc: Loc, signals: list[SignalModel]
) -> tuple[tuple[Check, ...], tuple[int, ...]]:
    checks: list[Check] = []
    indexes: list[int] = []
    for k, signal in enumerate(signals):
        check = _check(reader, (*loc, "completion_signals", k), signal)
        if check:
            checks.append(check)
            indexes.append(k)
    return tuple(checks), tuple(indexes)


def _check(reader: _Reader, loc: Loc, sig: SignalModel) -> Check | None:
    if sig.type in IGNORED_SIGNALS:
        reader.ignore(f"completion signal type '{sig.type}'", (*loc, "type"))
        return None
    if sig.type == "file_contains":
        return Check("file_contains", path=sig.path or "", text=sig.contains or sig.value or "")
    if sig.type in ("command", "test_passes"):
        return Check("command", run=sig.run or sig.command or sig.value or "")
    if sig.type == "path_exists":
        return Check("path_exists", path=sig.path or sig.value or "")
    if sig.type == "glob_exists":
        return Check("glob_exists", path=sig.path or sig.value or "")
    known = ", ".join(SIGNALS)
    reader.error((*loc, "type"), f"completion signal type '{sig.type}' is unknown (known: {known})")
    return None
