"""`podium mcp`: podium's tools for an MCP client (an IDE's agent), over stdio or HTTP.

The tools live in `tools.py` (plain functions over the library API), the MCP wiring in
`server.py`; this module only parses the command line, so `podium --help` imports no MCP.
"""

from __future__ import annotations

from pathlib import Path

import click

DEFAULT_PORT = 8765


@click.command("mcp")
@click.option("--http", "use_http", is_flag=True, help="Serve streamable HTTP instead of stdio.")
@click.option("--host", help="Interface to listen on with --http.  [default: 127.0.0.1]")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    help=f"Port with --http (0: any free one).  [default: {DEFAULT_PORT}]",
)
@click.option("--allow-remote", is_flag=True, help="Allow a --host that is not loopback.")
@click.option(
    "--repo",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="The repository to serve (default: the current directory's).",
)
def mcp_command(
    use_http: bool, host: str | None, port: int | None, allow_remote: bool, repo: Path | None
) -> None:
    """Serve podium's tools to an IDE over MCP: run a plan, wait, status, cost, logs, cancel.

    Over HTTP it listens on 127.0.0.1 and wants the bearer token it prints (or the one in
    PODIUM_MCP_TOKEN) in an `Authorization: Bearer TOKEN` header.
    """
    from podium import api

    root = api.repo_root(repo)
    if not use_http and (host or port is not None or allow_remote):
        raise click.UsageError("--host, --port and --allow-remote go with --http")
    from podium.ui.mcp import server

    if not use_http:
        server.serve_stdio(root)
        return
    server.serve_http(
        root, host or "127.0.0.1", DEFAULT_PORT if port is None else port, allow_remote
    )
