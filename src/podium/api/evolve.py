"""`podium evolve` for front ends: read the history, propose, and (on request) apply."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from podium.config import CONFIG_FILE, Config, load_config
from podium.errors import PodiumError
from podium.evolve import apply, changes, history, proposals
from podium.evolve.facts import Settings
from podium.runs.worktrees import state_dir

DEFAULT_RUNS = 20  # the latest runs `evolve` reads unless told otherwise


@dataclass(frozen=True)
class Evolution:
    analysis: proposals.Analysis
    edits: changes.Edits

    @property
    def diff(self) -> str:
        return "".join(edit.diff() for edit in self.edits.files)


def evolve(repo: Path, runs: int = DEFAULT_RUNS) -> Evolution:
    """What the latest `runs` runs suggest changing, and the file edits that would do it."""
    if runs < 1:
        raise PodiumError(f"--runs must be 1 or more, not {runs}")
    config = load_config(repo)  # a bad podium.toml or template is a located error here
    found = history.read_history(state_dir(repo) / "podium.db", runs)
    analysis = proposals.analyse(found, settings_of(config))
    path = repo / CONFIG_FILE
    text = path.read_text(encoding="utf-8") if path.exists() else None
    edits = changes.plan_edits(text, config.prompt_path, config.prompt_template, analysis.proposals)
    return Evolution(analysis, edits)


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
    }
