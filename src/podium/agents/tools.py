"""Where podium finds agent CLIs: on PATH first, then in podium's own tools directory.

`podium agents install` (and `scripts/install-agents`, which it runs) puts the pinned CLIs in
`$PODIUM_TOOLS_DIR`, by default `$XDG_DATA_HOME/podium/tools` (`~/.local/share/podium/tools`),
with one link per CLI in its `bin/`. Looking there after PATH means an agent installed once is
found from every repository, without anyone editing PATH.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import podium

# What `podium agents install` can install (scripts/install-agents pins each one).
INSTALLABLE = ("claude", "codex", "gemini", "qwen", "opencode", "copilot", "aider")


def tools_dir() -> Path:
    """podium's own directory of agent CLIs (`bin/` holds one link per CLI)."""
    chosen = os.environ.get("PODIUM_TOOLS_DIR")
    if chosen:
        return Path(chosen).expanduser()
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "podium" / "tools"


def find(program: str) -> str | None:
    """The program's path: as given (a path), on PATH, else in podium's tools `bin/`."""
    return shutil.which(program) or shutil.which(program, path=str(tools_dir() / "bin"))


def installer() -> Path | None:
    """The install-agents script: shipped in the package, else in podium's source checkout."""
    here = Path(podium.__file__).resolve().parent
    for path in (
        here / "agents" / "install" / "install-agents",
        here.parents[1] / "scripts" / "install-agents",
    ):
        if path.is_file():
            return path
    return None


def not_installed(name: str) -> str:
    """The one line an adapter gives when its CLI is nowhere to be found, with the fix."""
    return (
        f"not installed (`podium agents install {name}` puts it in {tools_dir() / 'bin'}, "
        f"or set [agents.{name}] bin in podium.toml)"
    )
