"""The run API's own decisions, on real repositories: where a run lands, its id, its options."""

from __future__ import annotations

from pathlib import Path

import pytest

from podium import api
from podium.errors import PodiumError, StateError

from conftest import git


def test_a_clean_checked_out_target_is_landed_on_directly(calc_repo: Path) -> None:
    assert api.landing_branch(calc_repo, None) == ("main", "")
    assert api.choose_target(calc_repo, "main") == "main"


def test_a_dirty_target_lands_on_its_land_branch_and_says_so(calc_repo: Path) -> None:
    (calc_repo / "README.md").write_text("# calc, edited by hand\n")
    head = git(calc_repo, "rev-parse", "main")
    branch, notice = api.landing_branch(calc_repo, None)
    assert branch == "podium/land/main"
    assert git(calc_repo, "rev-parse", branch) == head
    assert "'main' has uncommitted changes (README.md)" in notice
    assert "`git merge podium/land/main`" in notice
    with pytest.raises(PodiumError, match=r"uncommitted changes .*README\.md.*never writes into"):
        api.choose_target(calc_repo, "main")
    assert (calc_repo / "README.md").read_text() == "# calc, edited by hand\n"  # untouched


def test_a_land_branch_that_diverged_is_refused(calc_repo: Path) -> None:
    (calc_repo / "README.md").write_text("# dirty\n")
    api.landing_branch(calc_repo, None)
    git(calc_repo, "stash")
    git(calc_repo, "commit", "-qm", "x", "--allow-empty")
    git(calc_repo, "branch", "-f", "podium/land/main", "HEAD~1")
    git(calc_repo, "commit", "-qm", "y", "--allow-empty")
    git(calc_repo, "stash", "pop")
    sha = git(calc_repo, "commit-tree", "-p", "podium/land/main", "-m", "other",
              git(calc_repo, "rev-parse", "HEAD^{tree}"))  # fmt: skip
    git(calc_repo, "update-ref", "refs/heads/podium/land/main", sha)
    with pytest.raises(PodiumError, match="'podium/land/main' and 'main' have diverged"):
        api.landing_branch(calc_repo, None)


def test_targets_that_cannot_be_used_are_named(calc_repo: Path) -> None:
    with pytest.raises(PodiumError, match="target branch 'nope' does not exist"):
        api.landing_branch(calc_repo, "nope")
    git(calc_repo, "checkout", "-q", "--detach")
    with pytest.raises(PodiumError, match="HEAD is detached: pass --target BRANCH"):
        api.landing_branch(calc_repo, None)


def test_run_ids_skip_ones_whose_branches_exist(calc_repo: Path) -> None:
    store = api.open_store(calc_repo)
    try:
        assert api.next_run_id(store, calc_repo) == "r1"
        git(calc_repo, "branch", "podium/r1/task/a1")  # left by a store that was moved aside
        assert api.next_run_id(store, calc_repo) == "r2"
    finally:
        store.close()


def test_a_second_coordinator_is_refused_while_the_first_holds_the_lock(calc_repo: Path) -> None:
    store = api.open_store(calc_repo)
    try:
        with (
            api.repo_lock(calc_repo, store),
            pytest.raises(StateError, match="another podium process is active"),
        ):
            api.ensure_idle(calc_repo)
        api.ensure_idle(calc_repo)  # released
    finally:
        store.close()


def test_an_unknown_routing_mode_is_refused_before_anything_is_written(calc_repo: Path) -> None:
    plan = api.parse_plan("name: p\nagent: command\ntasks:\n  - {id: t, goal: g, command: [x]}\n")
    with pytest.raises(PodiumError, match=r"--routing: unknown mode 'fast' \(known: off"):
        api.run_plan(plan, cwd=calc_repo, routing="fast")
    assert not (calc_repo / ".podium").exists()
