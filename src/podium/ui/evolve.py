"""`podium evolve`: what the history of runs suggests changing, as a report and a diff."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from podium.api.evolve import Evolution, Wording


def report_text(evolution: Evolution) -> str:
    """The readable report: what was read, each proposal with its evidence, earlier changes."""
    a = evolution.analysis
    lines = [f"read {len(a.runs)} run(s), {a.attempts} finished attempt(s)"]
    for effect in a.effects:
        lines.append(f"applied earlier: {effect.describe()}")
    if a.too_little:
        return "\n".join([*lines, f"nothing proposed: {a.too_little}"]) + "\n"
    if not a.proposals:
        lines.append("nothing to propose: the history shows no setting worth changing")
    for n, p in enumerate(a.proposals, start=1):
        lines += ["", f"{n}. {p.title}"]
        lines += [f"   evidence: {line}" for line in p.evidence]
        lines.append(f"   expected: {p.effect}")
    lines += [f"by hand: {line}" for line in evolution.edits.by_hand]
    if evolution.wording is not None:
        lines.append(wording_line(evolution.wording))
    if evolution.diff:
        lines += ["", evolution.diff.rstrip("\n")]
    return "\n".join(lines) + "\n"


def wording_line(w: Wording) -> str:
    """What `--agent` did: the lessons it worded and what that call cost, or why it did not."""
    head = f"wording: {w.agent} worded {w.worded} lesson(s)"
    if w.usage is not None:
        u = w.usage
        head += (
            f", 1 call, {u['input_tokens']} tokens in, {u['output_tokens']} out, "
            f"${u['cost_usd']:.4f} (coordination)"
        )
    return f"{head}; {w.note}" if w.note else head


@click.command("evolve")
@click.option("--runs", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many of the latest runs to read.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the proposals as JSON.")
@click.option("--apply", "do_apply", is_flag=True, help="Write the proposed changes.")
@click.option("--agent", help="Ask this agent CLI once to word the prompt lessons.")
def evolve_command(runs: int, as_json: bool, do_apply: bool, agent: str | None) -> None:
    """Propose better settings from the history of runs; --apply writes them."""
    from podium import api
    from podium.api import evolve as evolving

    repo = api.repo_root()
    evolution = evolving.evolve(repo, runs, agent)
    backup = evolving.apply_evolution(repo, evolution) if do_apply else None
    if as_json:
        data = {**evolving.evolution_json(evolution), "applied": backup is not None}
        click.echo(json.dumps({**data, "backup": str(backup) if backup else None}, indent=2))
        return
    click.echo(report_text(evolution), nl=False)
    if backup is not None:
        written = ", ".join(e.path for e in evolution.edits.files)
        click.echo(
            f"\nwrote {written} (the old text is in {backup}); commit them before the next run"
        )
    elif evolution.edits.files:
        click.echo("\n(run `podium evolve --apply` to write this)")
