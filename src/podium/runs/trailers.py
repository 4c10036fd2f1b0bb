"""What git says landed: the trailers on podium's commits to the target."""

from __future__ import annotations

from pathlib import Path

from podium import git
from podium.plans.identity import TRAILER
from podium.scheduling.convergence import Landed


def landed_commits(repo: Path, base: str, target: str) -> dict[str, str]:
    """`run/task` -> the commit that landed it, for podium commits on target since base."""
    text = git.out(
        repo,
        "log",
        "--format=%H %(trailers:key=Podium-Task,valueonly,separator=%x2C)",
        f"{base}..refs/heads/{target}",
    )
    found: dict[str, str] = {}
    for line in text.splitlines():
        commit, _, keys = line.partition(" ")
        for key in keys.split(","):  # a batch commit carries one trailer per task
            if key.strip():
                found.setdefault(key.strip(), commit)
    return found


def landed_identities(repo: Path, target: str) -> dict[str, Landed]:
    """identity -> the commit that landed it (the newest) and its run, from the target's log."""
    text = git.out(
        repo,
        "log",
        f"--grep=^{TRAILER}: ",
        "--format=%H%x1f%(trailers:key=Podium-Identity,valueonly,separator=%x1e)"
        "%x1f%(trailers:key=Podium-Task,valueonly,separator=%x1e)",
        f"refs/heads/{target}",
    )
    found: dict[str, Landed] = {}
    for line in text.split("\n"):  # not splitlines: it would split at \x1e too
        commit, _, rest = line.partition("\x1f")
        identities, _, tasks = rest.partition("\x1f")
        pairs = [t.strip() for t in tasks.split("\x1e") if t.strip()]
        runs = {t.rpartition("/")[2]: t.partition("/")[0] for t in pairs}
        for ident in identities.split("\x1e"):
            ident = ident.strip()
            if ident and ident not in found:
                task_id = ident.rpartition("@")[0].rpartition("/")[2]
                found[ident] = Landed(commit, runs.get(task_id, "?"))
    return found
