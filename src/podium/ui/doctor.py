"""`podium agents` and `podium doctor`: what is here, what works, and what to do if not."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

from podium.api import doctor
from podium.errors import PodiumError


@click.command("agents")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def agents_command(as_json: bool) -> None:
    """Each agent: found, version, usable or why not."""
    from podium import api

    try:
        repo: Path | None = api.repo_root()
    except PodiumError:
        repo = None
    rows = doctor.agent_rows(repo)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        mark = "ok " if row["usable"] else "-- "
        version = f" {row['version']}" if row["version"] else ""
        why = "" if row["usable"] else f"  {row['why']}"
        click.echo(f"{mark}{row['agent']:<10}{version}{why}")


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def doctor_command(as_json: bool) -> None:
    """Check git, the repository, podium.toml, the gates and the agents."""
    findings = doctor.diagnose(Path.cwd())
    if as_json:
        click.echo(json.dumps([asdict(f) for f in findings], indent=2))
    else:
        for f in findings:
            click.echo(f"{'ok ' if f.ok else 'XX '}{f.what:<11}{f.detail}")
    sys.exit(0 if all(f.ok for f in findings) else 1)
