"""`podium evolve` for front ends: read the history, propose, and (on request) apply."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from podium.config import CONFIG_FILE, Config, load_config
from podium.errors import ConfigError, PodiumError
from podium.evolve import apply, changes, history, proposals, wording
from podium.evolve.facts import Settings
from podium.runs.worktrees import state_dir

DEFAULT_RUNS = 20  # the latest runs `evolve` reads unless told otherwise


@dataclass(frozen=True)
class Wording:
    """How `--agent` worded the prompt lessons: by the model, or not (and why)."""

    agent: str
    worded: int  # lessons the model worded; the others keep their fixed sentence
    usage: dict[str, Any] | None  # the call's tokens and cost (None: no answer came)
    note: str = ""  # why the fixed sentences stay, when they do


@dataclass(frozen=True)
class Evolution:
    analysis: proposals.Analysis
    edits: changes.Edits
    wording: Wording | None = None

    @property
    def diff(self) -> str:
        return "".join(edit.diff() for edit in self.edits.files)


def evolve(repo: Path, runs: int = DEFAULT_RUNS, agent: str | None = None) -> Evolution:
    """What the latest `runs` runs suggest changing, and the file edits that would do it;
    with `agent`, one call to that agent words the prompt lessons."""
    if runs < 1:
        raise PodiumError(f"--runs must be 1 or more, not {runs}")
    config = load_config(repo)  # a bad podium.toml or template is a located error here
    found = history.read_history(state_dir(repo) / "podium.db", runs)
    analysis = proposals.analyse(found, settings_of(config))
    worded = None
    if agent is not None:
        _check_agent(agent)
        if wording.lessons(analysis.proposals):
            props, worded = word_lessons(repo, config, agent, analysis.proposals)
            analysis = replace(analysis, proposals=props)
    path = repo / CONFIG_FILE
    text = path.read_text(encoding="utf-8") if path.exists() else None
    edits = changes.plan_edits(text, config.prompt_path, config.prompt_template, analysis.proposals)
    return Evolution(analysis, edits, worded)


def _check_agent(agent: str) -> None:
    from podium.agents import registry

    known = [n for n in registry.names() if n != "command"]
    if agent not in known:
        raise ConfigError(f"--agent: {agent!r} is not an agent CLI (known: {', '.join(known)})")


def word_lessons(
    repo: Path, config: Config, agent: str, found: tuple[proposals.Proposal, ...]
) -> tuple[tuple[proposals.Proposal, ...], Wording]:
    """One call to `agent` (as the planner makes it, in a scratch worktree) that words the
    prompt lessons; its cost goes into the store as coordination. Any failure keeps the fixed
    sentences and says why."""
    from podium.agents import registry
    from podium.planning import planner

    logs = state_dir(repo) / "logs" / "evolve" / time.strftime("%Y%m%d-%H%M%S")
    try:
        usable = registry.get(agent).available(config.agents.get(agent))
        if not usable.usable:
            raise PodiumError(f"cannot word with {agent}: {usable.why}")
        logs.mkdir(parents=True, exist_ok=True)
        call = planner.Call(repo, agent, config, logs, 1, wording.SCHEMA)
        answer, usage = planner.ask(call, "word the prompt lessons", wording.prompt(found))
    except (PodiumError, OSError) as exc:
        return found, Wording(agent, 0, None, f"{exc}; the fixed sentences stay")
    cost = asdict(usage)
    _record_coordination(repo, {"what": "evolve wording", **cost, "logs": str(logs)})
    props, n = wording.worded(found, answer)
    note = "" if n else "the answer worded no lesson; the fixed sentences stay"
    return props, Wording(agent, n, cost, note)


def _record_coordination(repo: Path, data: dict[str, Any]) -> None:
    """A `run.coordination` event outside any run (run id ""), where `evolve.applied` goes."""
    from podium.store import Store

    store = Store(state_dir(repo) / "podium.db")
    try:
        store.add_event(history.NO_RUN, None, time.time(), "run.coordination", data)
    finally:
        store.close()


def apply_evolution(repo: Path, evolution: Evolution, now: float | None = None) -> Path | None:
    """Write the edits (see `podium.evolve.apply`); the backup folder, or None if no edits."""
    if not evolution.edits.files:
        return None
    keys = [p.key for p in evolution.analysis.proposals if p.setting or p.prompt_line]
    values = {
        p.key: p.setting[2] if p.setting else p.prompt_line
        for p in evolution.analysis.proposals
        if p.key in keys
    }
    record = {"keys": keys, "values": values, "files": [e.path for e in evolution.edits.files]}
    at = time.time() if now is None else now
    return apply.write_edits(repo, state_dir(repo), evolution.edits.files, record, at)


def settings_of(config: Config) -> Settings:
    return Settings(
        max_attempts=config.max_attempts,
        silence=config.silence_timeout,
        wall=config.wall_timeout,
        max_parallel=config.max_parallel,
        ladder=tuple(f"{a}:{m}" if m else a for a, m in config.ladder),
        caps=dict(config.caps),
        roles={r: f"{a}:{m}" if m else a for r, (a, m) in config.roles.items()},
        prompt=config.prompt_template,
    )


def evolution_json(evolution: Evolution) -> dict[str, Any]:
    a = evolution.analysis
    return {
        "runs": list(a.runs),
        "attempts": a.attempts,
        "too_little": a.too_little,
        "proposals": [asdict(p) for p in a.proposals],
        "effects": [{**asdict(e), "text": e.describe()} for e in a.effects],
        "files": [{"path": e.path, "diff": e.diff()} for e in evolution.edits.files],
        "by_hand": list(evolution.edits.by_hand),
        "wording": asdict(evolution.wording) if evolution.wording else None,
    }
