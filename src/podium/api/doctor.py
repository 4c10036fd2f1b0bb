"""What is here and what works: git, the repository, podium.toml, the gates, the agents.

`podium doctor` and `podium agents` print these findings; a run checks them before it starts.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from podium import git
from podium.errors import PodiumError

MIN_GIT = (2, 38)  # git merge-tree --write-tree


@dataclass(frozen=True)
class Finding:
    what: str
    ok: bool
    detail: str


def agent_rows(repo: Path | None) -> list[dict[str, object]]:
    """Each registered agent: usable or why not, its version, and where its CLI was found."""
    from podium.agents import registry, tools
    from podium.config import Config, load_config

    config = load_config(repo) if repo is not None else Config()
    rows: list[dict[str, object]] = []
    for name in registry.names():
        own = config.agents.get(name)
        where = "" if name == "command" else tools.find(own.bin if own and own.bin else name)
        try:
            state = registry.get(name).available(own)
            rows.append(
                {
                    "agent": name,
                    "usable": state.usable,
                    "version": state.version,
                    "why": state.why,
                    "where": where or "",
                }
            )
        except Exception as exc:  # a broken plug-in must not hide the others
            row = {"agent": name, "usable": False, "version": "", "why": f"error: {exc}"}
            rows.append({**row, "where": where or ""})
    return rows


def install_agents(names: Sequence[str], source: Path | None = None, verbose: bool = False) -> int:
    """Install the pinned agent CLIs into podium's tools directory; the installer's status.

    `source`: another tools directory with the same pins to copy from instead of downloading.
    """
    from podium.agents import tools
    from podium.errors import ConfigError

    unknown = [n for n in names if n not in tools.INSTALLABLE]
    if unknown:
        known = ", ".join(tools.INSTALLABLE)
        raise ConfigError(f"podium agents install: unknown agent {unknown[0]!r} (known: {known})")
    script = tools.installer()
    if script is None:
        raise PodiumError(
            "podium agents install: this copy of podium has no installer; install the CLIs "
            f"yourself and put them on PATH or in {tools.tools_dir() / 'bin'}"
        )
    flags = [*(["-v"] if verbose else []), *(["--from", str(source)] if source else [])]
    env = {**os.environ, "PODIUM_TOOLS_DIR": str(tools.tools_dir())}
    argv = ["bash", str(script), *flags, *names]
    return subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, check=False).returncode


def git_version() -> tuple[int, ...]:
    text = git.run(Path.cwd(), "--version", check=False).out
    numbers = text.split()[-1].split(".") if text else []
    return tuple(int(n) for n in numbers[:3] if n.isdigit())


def check_git() -> Finding:
    version = git_version()
    shown = ".".join(map(str, version)) or "not found"
    ok = version[:2] >= MIN_GIT
    need = "" if ok else f" (podium needs {MIN_GIT[0]}.{MIN_GIT[1]} or newer for merge-tree)"
    return Finding("git", ok, f"git {shown}{need}")


def check_repo(cwd: Path) -> tuple[Path | None, list[Finding]]:
    from podium.api.runs import repo_root

    try:
        repo = repo_root(cwd)
    except PodiumError as exc:
        return None, [Finding("repository", False, str(exc))]
    branch = git.current_branch(repo) or "(detached HEAD)"
    dirty = git.dirty_files(repo)
    state = f"on {branch}, " + (
        f"{len(dirty)} uncommitted change(s): runs land on podium/land/{branch}"
        if dirty
        else "clean"
    )
    return repo, [Finding("repository", True, f"{repo} {state}")]


def check_config(repo: Path) -> tuple[list[str], list[Finding]]:
    from podium.config import CONFIG_FILE, load_config

    try:
        config = load_config(repo)
    except PodiumError as exc:
        return [], [Finding("config", False, str(exc))]
    where = CONFIG_FILE if (repo / CONFIG_FILE).exists() else "defaults (no podium.toml)"
    findings = [Finding("config", True, where)]
    for gate in config.gates:
        findings.append(check_gate(repo, gate))
    if not config.gates:
        findings.append(Finding("gates", True, "none configured (`podium init` detects them)"))
    return list(config.gates), findings


def check_gate(repo: Path, gate: str) -> Finding:
    try:
        argv = shlex.split(gate)
    except ValueError as exc:
        return Finding("gate", False, f"{gate!r}: {exc}")
    program = argv[0] if argv else ""
    found = shutil.which(program) or ((repo / program).exists() and program)
    detail = f"`{gate}`" + ("" if found else f": {program!r} not found on PATH")
    return Finding("gate", bool(found), detail)


def diagnose(cwd: Path) -> list[Finding]:
    findings = [check_git()]
    repo, more = check_repo(cwd)
    findings += more
    if repo is not None:
        findings += check_config(repo)[1]
        from podium.api.workers import executor_findings  # the temporal executor's service

        findings += [Finding(*row) for row in executor_findings(repo)]
    usable = [r for r in agent_rows(repo) if r["usable"]]
    names = ", ".join(str(r["agent"]) for r in usable)
    findings.append(
        Finding(
            "agents",
            bool(usable),
            f"usable: {names or 'none'} (`podium agents` says why the others are not)",
        )
    )
    return findings


def tools_bin() -> Path:
    """Where `podium agents install` links the CLIs; podium looks there after PATH."""
    from podium.agents import tools

    return tools.tools_dir() / "bin"
