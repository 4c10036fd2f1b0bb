"""What `podium resume` asks git: which tasks of a run already landed, and in which commit."""

from __future__ import annotations

from pathlib import Path

from podium.landing.merge import Member, batch_message, trailer_message
from podium.runs.trailers import landed_commits

from conftest import git


def land(repo: Path, name: str, message: str) -> str:
    (repo / name).write_text(f"{name}\n")
    git(repo, "add", name)
    git(repo, "commit", "-qm", message)
    return git(repo, "rev-parse", "HEAD")


def test_each_task_maps_to_the_commit_that_landed_it(calc_repo: Path) -> None:
    base = git(calc_repo, "rev-parse", "HEAD")
    api = land(calc_repo, "api.txt", trailer_message("Add the API", "", "r1", "api", 1))
    land(calc_repo, "by-hand.txt", "a person's commit, no trailer")
    batch = batch_message(
        [
            Member("r1/docs", "x", trailer_message("Docs", "", "r1", "docs", 2)),
            Member("r1/ui", "y", trailer_message("UI", "Body text.", "r1", "ui", 1)),
        ]
    )
    both = land(calc_repo, "batch.txt", batch)
    assert landed_commits(calc_repo, base, "main") == {
        "r1/api": api,
        "r1/docs": both,
        "r1/ui": both,
    }


def test_only_commits_since_the_runs_base_count(calc_repo: Path) -> None:
    land(calc_repo, "early.txt", trailer_message("Early", "", "r0", "early", 1))
    base = git(calc_repo, "rev-parse", "HEAD")
    assert landed_commits(calc_repo, base, "main") == {}
    late = land(calc_repo, "late.txt", trailer_message("Late", "", "r1", "late", 1))
    assert landed_commits(calc_repo, base, "main") == {"r1/late": late}


def test_a_task_landed_twice_is_known_by_its_latest_commit(calc_repo: Path) -> None:
    base = git(calc_repo, "rev-parse", "HEAD")
    land(calc_repo, "one.txt", trailer_message("First", "", "r1", "api", 1))
    again = land(calc_repo, "two.txt", trailer_message("Again", "", "r1", "api", 2))
    assert landed_commits(calc_repo, base, "main") == {"r1/api": again}
