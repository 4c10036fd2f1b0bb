"""The merge step on real repositories: conflicts, gates on the merged tree, compare-and-swap."""

from __future__ import annotations

from pathlib import Path

from podium.config import Config
from podium.landing.merge import MergeContext, landed_tasks, merge_commit, trailer_message

from conftest import PYTHON, git, make_repo

BOTH_ON = (
    f"{PYTHON} -c \"import sys; sys.exit(open('a.txt').read() == open('b.txt').read() == 'on\\n')\""
)


def branch_with(repo: Path, name: str, files: dict[str, str], base: str = "main") -> str:
    git(repo, "checkout", "-q", "-b", name, base)
    for path, text in files.items():
        (repo / path).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", name)
    commit = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "main")
    return commit


def ctx(repo: Path, gates: tuple[str, ...] = ()) -> MergeContext:
    return MergeContext(repo, "main", gates, Config(shared=(), copy=()), repo.parent / "gates")


def msg(task: str) -> str:
    return trailer_message(f"do {task}", "", "r1", task, 1)


def test_clean_merge_moves_target_and_checkout(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"f.txt": "a\n", "g.txt": "g\n"})
    one = branch_with(repo, "one", {"f.txt": "one\n"})
    two = branch_with(repo, "two", {"g.txt": "two\n"})
    assert merge_commit(ctx(repo), one, msg("one")).status == "merged"
    result = merge_commit(ctx(repo), two, msg("two"))
    assert result.status == "merged"
    assert git(repo, "rev-parse", "main") == result.commit
    # The checked-out target's files and index follow, and nothing looks modified.
    assert (repo / "f.txt").read_text() == "one\n" and (repo / "g.txt").read_text() == "two\n"
    assert git(repo, "status", "--porcelain") == ""
    assert landed_tasks(repo, git(repo, "rev-list", "--max-parents=0", "main"), "main") == [
        "r1/one",
        "r1/two",
    ]


def test_conflict_is_reported_and_nothing_moves(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"f.txt": "a\n"})
    one = branch_with(repo, "one", {"f.txt": "one\n"})
    two = branch_with(repo, "two", {"f.txt": "two\n"})
    assert merge_commit(ctx(repo), one, msg("one")).status == "merged"
    before = git(repo, "rev-parse", "main")
    result = merge_commit(ctx(repo), two, msg("two"))
    assert result.status == "conflict" and result.conflicts == ("f.txt",)
    assert git(repo, "rev-parse", "main") == before


def test_gates_run_on_the_merged_tree(tmp_path: Path) -> None:
    # Each change passes alone; together they break the gate. Only the merge can tell.
    repo = make_repo(tmp_path / "r", {"a.txt": "off\n", "b.txt": "off\n"})
    one = branch_with(repo, "one", {"a.txt": "on\n"})
    two = branch_with(repo, "two", {"b.txt": "on\n"})
    c = ctx(repo, (BOTH_ON,))
    assert merge_commit(c, one, msg("one")).status == "merged"
    before = git(repo, "rev-parse", "main")
    result = merge_commit(c, two, msg("two"))
    assert result.status == "gates_failed" and "merged tree" in result.detail
    assert git(repo, "rev-parse", "main") == before
    assert (repo / "b.txt").read_text() == "off\n"


def test_compare_and_swap_refuses_a_moved_target(tmp_path: Path) -> None:
    from podium import git as g

    repo = make_repo(tmp_path / "r", {"f.txt": "a\n"})
    old = git(repo, "rev-parse", "main")
    one = branch_with(repo, "one", {"f.txt": "one\n"})
    assert not g.update_ref(repo, "refs/heads/main", one, "0" * 40)
    assert g.update_ref(repo, "refs/heads/main", one, old)


def test_local_changes_in_the_way_stop_the_merge(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"f.txt": "a\n", "g.txt": "g\n"})
    one = branch_with(repo, "one", {"f.txt": "one\n"})
    before = git(repo, "rev-parse", "main")
    (repo / "f.txt").write_text("my edit\n")
    result = merge_commit(ctx(repo), one, msg("one"))
    assert result.status == "dirty"
    assert (repo / "f.txt").read_text() == "my edit\n"
    assert git(repo, "rev-parse", "main") == before


def test_local_changes_elsewhere_are_carried(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"f.txt": "a\n", "g.txt": "g\n"})
    one = branch_with(repo, "one", {"f.txt": "one\n"})
    (repo / "g.txt").write_text("mine\n")
    assert merge_commit(ctx(repo), one, msg("one")).status == "merged"
    assert (repo / "g.txt").read_text() == "mine\n" and (repo / "f.txt").read_text() == "one\n"


def test_the_screen_takes_the_merged_trees_test_ids_from_the_gates_run(tmp_path: Path) -> None:
    """A tree about to land may not lose tests; its ids come from the pytest gate's own run,
    so only the first base is collected on its own (a `--collect-only` per merge before)."""
    starts = tmp_path / "starts.log"
    conftest = f"import sys\nopen({str(starts)!r}, 'a').write(' '.join(sys.argv) + '\\n')\n"
    tests = "def test_one():\n    pass\n\n\ndef test_two():\n    pass\n"
    repo = make_repo(tmp_path / "r", {"conftest.py": conftest, "test_a.py": tests})
    one = branch_with(repo, "one", {"f.txt": "one\n"})
    two = branch_with(repo, "two", {"test_a.py": "def test_one():\n    pass\n"})
    c = ctx(repo, (f"{PYTHON} -m pytest -q -p no:cacheprovider",))
    assert merge_commit(c, one, msg("one")).status == "merged"
    result = merge_commit(c, two, msg("two"))
    assert result.status == "gates_failed"
    assert "remove-tests: test_a.py" in result.detail and "test_a.py::test_two" in result.detail
    runs = starts.read_text().splitlines()
    assert len([r for r in runs if "--collect-only" in r]) == 1  # the first merge's base
    assert len([r for r in runs if "--collect-only" not in r]) == 2  # a gate run per merge
