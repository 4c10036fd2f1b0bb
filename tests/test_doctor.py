"""`podium agents` and `podium doctor` as a user meets them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

TOOLS_BIN = Path(__file__).resolve().parents[1] / ".tools" / "bin"


def podium(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "podium", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_agents_say_why_not_in_one_line(calc_repo: Path) -> None:
    proc = podium(calc_repo, "agents", "--json", env={"PATH": "/usr/bin:/bin"})
    rows = {r["agent"]: r for r in json.loads(proc.stdout)}
    assert {"claude", "codex", "gemini", "aider", "opencode", "qwen", "copilot", "command"} <= set(
        rows
    )
    assert rows["command"]["usable"]
    assert rows["claude"]["why"].startswith("not installed")
    assert all("\n" not in str(r["why"]) for r in rows.values())


def test_an_installed_agent_with_a_key_is_usable(calc_repo: Path) -> None:
    path = f"{TOOLS_BIN}{os.pathsep}{os.environ['PATH']}"
    without = json.loads(
        podium(calc_repo, "agents", "--json", env={"PATH": path, "ANTHROPIC_API_KEY": ""}).stdout
    )
    claude = next(r for r in without if r["agent"] == "claude")
    assert not claude["usable"] and "not authenticated" in claude["why"]
    with_key = json.loads(
        podium(
            calc_repo, "agents", "--json", env={"PATH": path, "ANTHROPIC_API_KEY": "sk-test"}
        ).stdout
    )
    claude = next(r for r in with_key if r["agent"] == "claude")
    assert claude["usable"] and claude["version"].startswith("2.")


def test_doctor_finds_a_gate_that_cannot_run(calc_repo: Path) -> None:
    (calc_repo / "podium.toml").write_text('gates = ["no-such-linter --check", "git status"]\n')
    proc = podium(calc_repo, "doctor")
    assert proc.returncode == 1
    assert "'no-such-linter' not found on PATH" in proc.stdout
    assert "ok git" in proc.stdout and "ok repository" in proc.stdout


def test_doctor_outside_a_repository(tmp_path: Path) -> None:
    proc = podium(tmp_path, "doctor")
    assert proc.returncode == 1 and "not inside a git repository" in proc.stdout


def test_agents_install_then_found_from_another_repository(calc_repo: Path, tmp_path: Path) -> None:
    """Installed once into podium's data directory, an agent is found from any repository,
    with no PATH change; `podium agents` says where."""
    data = Path(os.environ["XDG_DATA_HOME"])
    bare = {"PATH": "/usr/local/bin:/usr/bin:/bin"}  # node, not the checkout's .tools/bin
    before = json.loads(podium(calc_repo, "agents", "--json", env=bare).stdout)
    assert next(r for r in before if r["agent"] == "qwen")["why"].startswith(
        "not installed (`podium agents install qwen`"
    )
    done = podium(tmp_path, "agents", "install", "qwen", "--from", str(TOOLS_BIN.parent), env=bare)
    assert done.returncode == 0, done.stderr
    tools_bin = data / "podium" / "tools" / "bin"
    assert f"agents installed in {tools_bin}" in done.stdout
    rows = json.loads(podium(calc_repo, "agents", "--json", env=bare).stdout)
    qwen = next(r for r in rows if r["agent"] == "qwen")
    assert qwen["where"] == str(tools_bin / "qwen")
    assert qwen["version"] and "not installed" not in qwen["why"]
    listed = podium(calc_repo, "agents", env=bare).stdout
    assert f"({tools_bin / 'qwen'})" in listed


def test_agents_install_refuses_an_unknown_name(tmp_path: Path) -> None:
    proc = podium(tmp_path, "agents", "install", "qwen", "cursor")
    assert proc.returncode == 2
    assert "podium agents install: unknown agent 'cursor' (known: claude, codex" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (Path(os.environ["XDG_DATA_HOME"]) / "podium").exists()


def test_agents_install_from_a_directory_that_is_not_a_tools_directory(tmp_path: Path) -> None:
    proc = podium(tmp_path, "agents", "install", "qwen", "--from", str(tmp_path))
    assert proc.returncode == 2
    assert f"--from {tmp_path}: not a tools directory (no npm/ in it)" in proc.stderr
    assert not (Path(os.environ["XDG_DATA_HOME"]) / "podium").exists()
