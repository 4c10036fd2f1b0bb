"""The evasion audit on real git repositories: renames, collected ids, another test runner."""

from __future__ import annotations

from pathlib import Path

from podium.config import Config, JanitorConfig
from podium.landing.audit import Against, audit, read_changes
from podium.plans.model import Task

from conftest import PYTHON, git, make_repo

GATE = f"{PYTHON} -m pytest -q -p no:cacheprovider"
LIB = "def f(x):\n    y = x * 2\n    z = y + 1\n    w = z - 1\n    return w\n"
TESTS = "from lib import f\n\n\ndef test_f():\n    assert f(1) == 2\n\n\ndef test_g():\n    pass\n"


def attempt(tmp_path: Path, *edits: tuple[str, str | None]) -> tuple[Path, str, Path]:
    """A repository and an attempt's worktree with `edits` committed (None deletes)."""
    repo = make_repo(tmp_path / "repo", {"lib.py": LIB, "test_lib.py": TESTS, "ids.txt": "a\nb\n"})
    base = git(repo, "rev-parse", "HEAD")
    worktree = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", "attempt", str(worktree), base)
    for path, text in edits:
        if text is None:
            (worktree / path).unlink()
        else:
            (worktree / path).write_text(text)
    git(worktree, "add", "-A")
    git(worktree, "commit", "-qm", "attempt")
    return repo, base, worktree


def test_a_moved_module_is_not_an_emptied_one(tmp_path: Path) -> None:
    repo, base, worktree = attempt(tmp_path, ("lib.py", None), ("core.py", LIB))
    (change,) = read_changes(worktree, base)
    assert (change.old, change.new, change.before == change.after) == ("lib.py", "core.py", True)
    found = audit(Task("t", "g"), worktree, Against(repo, base, (), Config()), 60)
    assert found.result.ok, found.result.detail


def test_removed_test_ids_are_collected_on_both_sides(tmp_path: Path) -> None:
    repo, base, worktree = attempt(tmp_path, ("test_lib.py", TESTS.split("\n\n\ndef test_g")[0]))
    found = audit(Task("t", "g"), worktree, Against(repo, base, (GATE,), Config()), 60)
    assert not found.result.ok
    assert found.result.detail.startswith(
        "remove-tests: test_lib.py:8-9: test_lib.py::test_g collected on the base, not now"
    )
    allowed = Task("t", "g", allow=("remove-tests",))
    assert audit(allowed, worktree, Against(repo, base, (GATE,), Config()), 60).result.ok


def test_another_runner_lists_its_ids_with_the_collect_command(tmp_path: Path) -> None:
    repo, base, worktree = attempt(tmp_path, ("ids.txt", "a\n"))
    janitor = JanitorConfig(collect=f"{PYTHON} -c \"print(open('ids.txt').read())\"")
    warn = JanitorConfig({**janitor.policy, "remove-tests": "warn"}, janitor.collect)
    found = audit(Task("t", "g"), worktree, Against(repo, base, (), Config(janitor=janitor)), 60)
    assert (
        found.result.detail.splitlines()[0] == "remove-tests: b: b collected on the base, not now"
    )
    found = audit(Task("t", "g"), worktree, Against(repo, base, (), Config(janitor=warn)), 60)
    assert found.result.ok and found.warnings == (
        "warning: remove-tests: b: b collected on the base, not now",
    )


def test_changed_code_no_test_runs_is_found_by_coverage_on_the_attempts_tree(
    tmp_path: Path,
) -> None:
    untested = LIB + "\n\ndef g(x):\n    return x * 3\n"
    repo, base, worktree = attempt(tmp_path, ("lib.py", untested))
    policy = JanitorConfig().policy
    fail = Config(janitor=JanitorConfig({**policy, "untested-changes": "fail"}))
    found = audit(Task("t", "g"), worktree, Against(repo, base, (GATE,), fail), 60)
    assert found.result.detail.splitlines() == [
        "untested-changes: lib.py:8-9: none of these changed lines ran under the tests",
        "untested-changes: add a test that runs the lines you changed",
    ]
    assert not found.result.ok
    assert audit(Task("t", "g"), worktree, Against(repo, base, (GATE,), Config()), 60).result.ok
    tested = TESTS + "\n\ndef test_h():\n    from lib import g\n    assert g(1) == 3\n"
    repo, base, worktree = attempt(tmp_path / "2", ("lib.py", untested), ("test_lib.py", tested))
    found = audit(Task("t", "g"), worktree, Against(repo, base, (GATE,), fail), 60)
    assert found.result.ok and found.warnings == ()
