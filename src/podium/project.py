"""`podium init`: detect a project's gates and write podium.toml."""

from __future__ import annotations

import json
from pathlib import Path

from podium.config import CONFIG_FILE, Config
from podium.errors import PodiumError
from podium.runs import worktrees


def detect_gates(repo: Path) -> list[str]:
    """Test, lint and type commands this project already uses, cheapest first."""
    gates: list[str] = []
    pyproject = repo / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8") if pyproject.exists() else ""
    if "[tool.ruff" in text or (repo / "ruff.toml").exists():
        gates.append("ruff check .")
    if "[tool.pytest" in text or (repo / "pytest.ini").exists() or (repo / "tests").is_dir():
        gates.append("python -m pytest -q")
    package = repo / "package.json"
    if package.exists():
        scripts = json.loads(package.read_text(encoding="utf-8") or "{}").get("scripts", {})
        gates += [f"npm run {name}" for name in ("lint", "test") if name in scripts]
    if (repo / "Cargo.toml").exists():
        gates.append("cargo test")
    if (repo / "go.mod").exists():
        gates.append("go test ./...")
    return gates


def render_config(gates: list[str]) -> str:
    quoted = ", ".join(json.dumps(g) for g in gates)
    defaults = Config()
    return (
        "# podium's settings for this repository: see docs/configuration.md\n"
        f"gates = [{quoted}]\n"
        "# the gates run on each merge, on exactly the merged tree; also on each task's own\n"
        "# result with `[merge] gate_attempts = true`\n"
        'ownership = "fail"           # changes outside a task\'s `files`: fail | warn\n'
        f"max_parallel = {defaults.max_parallel}\n\n"
        "[worktrees]\n"
        f"shared = {json.dumps(list(defaults.shared))}   # symlinked into each worktree\n"
        f"copy = {json.dumps(list(defaults.copy))}                   # copied into each worktree\n"
        'setup = ""                      # a command run in each new worktree\n\n'
        "[timeouts]\n"
        f"wall = {defaults.wall_timeout:.0f}      # seconds an agent may run\n"
        f"silence = {defaults.silence_timeout:.0f}    # seconds an agent may print nothing\n"
    )


def init_repo(repo: Path, force: bool) -> tuple[Path, list[str]]:
    path = repo / CONFIG_FILE
    if path.exists() and not force:
        raise PodiumError(f"{path} already exists (use --force to overwrite it)")
    gates = detect_gates(repo)
    path.write_text(render_config(gates), encoding="utf-8")
    worktrees.ignore_local_files(repo, Config())
    return path, gates
