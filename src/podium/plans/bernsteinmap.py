"""Where a Bernstein plan's parts are, for messages: podium paths mapped back to the file,
and the keys podium has no use for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from podium.plans.checks import Locate
from podium.plans.yamlpos import Loc, Pos, Positions

USED_KEYS = {
    "plan": {"name", "description", "cli", "budget", "max_agents", "constraints", "stages"},
    "stage": {"name", "description", "depends_on", "steps"},
    "step": {"title", "goal", "description", "role", "complexity", "priority", "files"}
    | {"completion_signals", "estimated_minutes", "model", "cli"},
    "signal": {"type", "path", "contains", "run", "command", "value"},
}
TOP_RENAMES: dict[str | int, str] = {
    "agent": "cli",
    "max_parallel": "max_agents",
    "budget_usd": "budget",
    "tasks": "stages",
}


@dataclass(frozen=True)
class Origin:
    """Where one task came from: its stage, its step, and each check's signal index."""

    stage: int
    step: int
    signals: tuple[int, ...]


def unused_keys(data: Mapping[str, Any]) -> list[tuple[str, Loc]]:
    """Every key podium does not use, as ("key 'scope'", where), in file order."""
    found = _unused(data, "plan", ())
    for s, stage in _items(data.get("stages")):
        found += _unused(stage, "stage", ("stages", s))
        for j, step in _items(stage.get("steps")):
            found += _unused(step, "step", ("stages", s, "steps", j))
            loc: Loc = ("stages", s, "steps", j, "completion_signals")
            for k, signal in _items(step.get("completion_signals")):
                found += _unused(signal, "signal", (*loc, k))
    return found


def _items(value: object) -> list[tuple[int, Mapping[str, Any]]]:
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, Mapping)]


def _unused(mapping: Mapping[str, Any], kind: str, loc: Loc) -> list[tuple[str, Loc]]:
    return [(f"key '{key}'", (*loc, str(key))) for key in mapping if key not in USED_KEYS[kind]]


def ignored_notes(ignored: Mapping[str, list[Pos]]) -> list[tuple[int, str]]:
    """One note per ignored thing: `file:line: key 'scope' is ignored by podium (9 places)`."""
    notes = []
    for what, places in ignored.items():
        first = places[0]
        more = f" ({len(places)} places)" if len(places) > 1 else ""
        notes.append(
            (first.line, f"{first.source}:{first.line}: {what} is ignored by podium{more}")
        )
    return notes


def locator(pos: Positions, origins: list[Origin]) -> Locate:
    """Podium-format paths (`tasks[i].files[k]`) to the Bernstein file's own places."""

    def at(loc: Loc) -> Pos:
        if len(loc) > 1 and loc[0] == "tasks" and isinstance(loc[1], int):
            return _step_pos(pos, origins[loc[1]], loc[2:])
        if not loc:
            return pos.at(())
        return pos.at((TOP_RENAMES.get(loc[0], loc[0]), *loc[1:]))

    return at


def _step_pos(pos: Positions, origin: Origin, rest: Loc) -> Pos:
    step: Loc = ("stages", origin.stage, "steps", origin.step)
    field, more = (rest[0], rest[1:]) if rest else ("", ())
    if field == "after":
        return pos.at(("stages", origin.stage, "depends_on"))
    if field == "checks" and more and isinstance(more[0], int):
        return pos.at((*step, "completion_signals", origin.signals[more[0]]))
    if field == "agent":
        return pos.at((*step, "cli")) if pos.has((*step, "cli")) else pos.at(("cli",))
    if field == "goal":
        field = "title" if pos.has((*step, "title")) else "goal"
    return pos.at((*step, field, *more) if field else step)
