"""`podium demo` as the README's first command runs it: real agent CLIs, everything merged."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from agentkit import TOOLS_BIN, require_cli


def test_demo_lands_every_task_with_two_real_agents(tmp_path: Path) -> None:
    require_cli("claude")
    require_cli("gemini")
    env = {**os.environ, "PATH": f"{TOOLS_BIN}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(
        [sys.executable, "-m", "podium", "demo", "--dir", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    assert "finished; 6 merged" in proc.stdout
    assert "not verified" not in proc.stdout  # the gate checked every merge (pytest is there)
    assert "agent claude" in proc.stdout and "agent gemini" in proc.stdout
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("tokens recorded"))
    recorded, served = line.split(": ")[1].split(" (the model server served ")
    assert recorded == served.split(")")[0]  # every token the model served is accounted for
    out = subprocess.run(
        [sys.executable, "-m", "inventory"],
        cwd=tmp_path / "inventory",
        capture_output=True,
        text=True,
    )
    assert "'low': ['apples']" in out.stdout


def test_demo_says_how_to_install_missing_agents(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-m", "podium", "demo", "--dir", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "run `podium agents install claude gemini`" in proc.stderr
    assert not (tmp_path / "inventory").exists()
