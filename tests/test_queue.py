"""The merge queue on a real repository: batches gated once, a red batch bisected to its culprit."""

from __future__ import annotations

import asyncio
import shlex
from pathlib import Path
from typing import Any

from podium.config import Config
from podium.landing.merge import Member, MergeContext, MergeOutcome, trailer_message
from podium.landing.queue import MergeQueue

from conftest import PYTHON, git, make_repo

NO_BAD_FILE = f"{shlex.quote(PYTHON)} -c 'import os, sys; sys.exit(os.path.exists(\"bad.txt\"))'"


def task_commit(repo: Path, task: str, files: dict[str, str]) -> Member:
    """A task's verified attempt: a branch off main with `files` written."""
    git(repo, "checkout", "-q", "-b", f"podium/r1/{task}/a1", "main")
    for path, text in files.items():
        (repo / path).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", task)
    git(repo, "checkout", "-q", "main")
    head = git(repo, "rev-parse", f"podium/r1/{task}/a1")
    return Member(f"r1/{task}", head, trailer_message(f"do {task}", "", "r1", task, 1))


def land_all(repo: Path, members: list[Member]) -> tuple[list[MergeOutcome], list[Any]]:
    """Submit every member at once, as tasks verified close together are; serve until done."""
    base = git(repo, "rev-parse", "main")
    ctx = MergeContext(repo, "main", (NO_BAD_FILE,), Config(shared=(), copy=()), repo.parent / "g")
    batches: list[Any] = []
    queue = MergeQueue(ctx, base, batch=8, wait=0.0, record=lambda kind, data: batches.append(data))

    async def main() -> list[MergeOutcome]:
        server = asyncio.create_task(queue.serve())
        try:
            return list(await asyncio.gather(*(queue.submit(m) for m in members)))
        finally:
            server.cancel()

    return asyncio.run(main()), batches


def test_a_green_batch_lands_as_one_commit_with_every_tasks_trailer(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"README.md": "x\n"})
    members = [task_commit(repo, t, {f"{t}.txt": t}) for t in ("api", "ui", "docs")]
    outcomes, batches = land_all(repo, members)
    assert [o.status for o in outcomes] == ["merged"] * 3
    assert len({o.commit for o in outcomes}) == 1
    assert batches == [
        {"tasks": ["r1/api", "r1/ui", "r1/docs"], "status": "merged", "gate_runs": 1}
    ]
    message = git(repo, "log", "-1", "--format=%B", "main")
    assert message.startswith("podium: land 3 tasks")
    assert all(f"Podium-Task: r1/{t}" in message for t in ("api", "ui", "docs"))
    assert (repo / "docs.txt").read_text() == "docs"  # the checkout of main came along


def test_a_red_batch_is_bisected_until_only_the_culprit_fails(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"README.md": "x\n"})
    members = [
        task_commit(repo, "api", {"api.txt": "api"}),
        task_commit(repo, "ui", {"ui.txt": "ui"}),
        task_commit(repo, "bad", {"bad.txt": "breaks the gate"}),
    ]
    outcomes, batches = land_all(repo, members)
    assert [o.status for o in outcomes] == ["merged", "merged", "gates_failed"]
    assert [(b["tasks"], b["status"]) for b in batches] == [
        (["r1/api", "r1/ui", "r1/bad"], "gates_failed"),
        (["r1/api"], "merged"),
        (["r1/ui", "r1/bad"], "gates_failed"),
        (["r1/ui"], "merged"),
        (["r1/bad"], "gates_failed"),
    ]
    assert not (repo / "bad.txt").exists()
    assert git(repo, "log", "--format=%s", "main").splitlines()[:2] == ["do ui", "do api"]


def test_a_task_that_conflicts_inside_a_batch_fails_once_the_other_lands(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"settings.py": "MODE = 0\n"})
    first = task_commit(repo, "one", {"settings.py": "MODE = 1\n"})
    second = task_commit(repo, "two", {"settings.py": "MODE = 2\n"})
    outcomes, batches = land_all(repo, [first, second])
    assert [o.status for o in outcomes] == ["merged", "conflict"]
    assert outcomes[1].conflicts == ("settings.py",)
    assert [b["tasks"] for b in batches] == [["r1/one"]]
    assert (repo / "settings.py").read_text() == "MODE = 1\n"
