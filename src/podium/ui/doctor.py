"""`podium agents` and `podium doctor`: what is here, what works, and what to do if not."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

from podium.api import doctor
from podium.errors import PodiumError


@click.group("agents", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def agents_command(ctx: click.Context, as_json: bool) -> None:
    """Each agent: usable or why not, its version, where it was found."""
    if ctx.invoked_subcommand is not None:
        return
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
        where = f"  ({row['where']})" if row["where"] else ""
        why = "" if row["usable"] else f"  {row['why']}"
        click.echo(f"{mark}{row['agent']:<10}{version}{where}{why}")


@agents_command.command("install")
@click.argument("names", nargs=-1)
@click.option(
    "--from",
    "source",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Copy from another tools directory with the same pins (no download).",
)
@click.option("-v", "--verbose", is_flag=True, help="Say what is being done.")
def install_command(names: tuple[str, ...], source: Path | None, verbose: bool) -> None:
    """Install the pinned agent CLIs (default: all) where podium finds them from any repository."""
    code = doctor.install_agents(names, source, verbose)
    if code == 0:
        click.echo(f"agents installed in {doctor.tools_bin()} (`podium agents` lists them)")
    sys.exit(code)


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
