"""git through its CLI, on real repositories: what podium asks and what it makes of the answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from podium import git
from podium.errors import GitError, PodiumError

from conftest import git as sh
from conftest import make_repo


def commit(repo: Path, files: dict[str, str], message: str = "change") -> str:
    for name, text in files.items():
        (repo / name).write_text(text)
    sh(repo, "add", "-A")
    sh(repo, "commit", "-qm", message)
    return sh(repo, "rev-parse", "HEAD")


def test_a_failing_command_names_itself_the_place_and_gits_last_words(calc_repo: Path) -> None:
    with pytest.raises(GitError) as info:
        git.run(calc_repo, "checkout", "--quiet", "no-such-branch")
    message = str(info.value)
    assert message.startswith(f"git checkout --quiet no-such-branch failed in {calc_repo}: ")
    assert "no-such-branch" in message.split(": ", 1)[1]
    assert info.value.exit_code == 1
    assert git.run(calc_repo, "checkout", "nope", check=False).code != 0


def test_outside_a_repository_podium_says_to_run_git_init(tmp_path: Path) -> None:
    with pytest.raises(
        PodiumError, match="is not inside a git repository \\(run `git init` first\\)"
    ):
        git.toplevel(tmp_path)


def test_toplevel_and_common_dir_from_a_subfolder(calc_repo: Path) -> None:
    assert git.toplevel(calc_repo / "calc") == calc_repo
    assert git.common_dir(calc_repo) == calc_repo / ".git"


def test_refs_branches_and_ancestry(calc_repo: Path) -> None:
    first = sh(calc_repo, "rev-parse", "HEAD")
    second = commit(calc_repo, {"README.md": "# calc 2\n"})
    assert git.rev(calc_repo, "main") == second
    assert git.rev(calc_repo, "no-such-ref") is None
    assert git.tree_of(calc_repo, second) == sh(calc_repo, "rev-parse", "HEAD^{tree}")
    assert git.is_ancestor(calc_repo, first, second)
    assert not git.is_ancestor(calc_repo, second, first)
    assert git.current_branch(calc_repo) == "main"
    sh(calc_repo, "checkout", "-q", "--detach", first)
    assert git.current_branch(calc_repo) is None


def test_tip_reads_a_branchs_commit_and_its_tree_together(calc_repo: Path) -> None:
    head = commit(calc_repo, {"tip.txt": "one\n"})
    assert git.tip(calc_repo, "refs/heads/main") == (head, git.tree_of(calc_repo, head))
    assert git.tip(calc_repo, "refs/heads/no-such-branch") is None


def test_a_rename_counts_as_a_delete_and_an_add(calc_repo: Path) -> None:
    base = sh(calc_repo, "rev-parse", "HEAD")
    sh(calc_repo, "mv", "settings.py", "config.py")
    head = commit(calc_repo, {"notes with space.txt": "x\n"})
    assert sorted(git.changed_files(calc_repo, base, head)) == [
        "config.py",
        "notes with space.txt",
        "settings.py",
    ]
    # One process for the files (renames followed) and the -U0 patch the audit reads.
    diff = git.diff(calc_repo, base, head, patch=True)
    assert diff.files == (
        ("R", "settings.py", "config.py"),
        ("A", None, "notes with space.txt"),
    )
    assert diff.paths == sorted(git.changed_files(calc_repo, base, head))
    assert "+++ b/notes with space.txt\t\n@@ -0,0 +1 @@\n+x" in diff.patch
    assert git.diff(calc_repo, base, head).patch == ""
    assert git.diff(calc_repo, head, head, patch=True) == git.Diff(())


def test_dirty_files_are_tracked_changes_only(calc_repo: Path) -> None:
    (calc_repo / "README.md").write_text("edited\n")
    (calc_repo / "untracked.txt").write_text("new\n")
    assert git.dirty_files(calc_repo) == ["README.md"]


def test_the_worktree_that_has_a_branch_checked_out(calc_repo: Path, tmp_path: Path) -> None:
    other = tmp_path / "wt"
    sh(calc_repo, "worktree", "add", "-q", "-b", "feature", str(other))
    assert git.checked_out_at(calc_repo, "feature") == other
    assert git.checked_out_at(calc_repo, "main") == calc_repo
    assert git.checked_out_at(calc_repo, "gone") is None
    # Read from the HEAD files, without a process: a branch no HEAD names is not checked out.
    assert git.may_be_checked_out(calc_repo, "feature")
    assert git.may_be_checked_out(other, "main")  # asked from a linked worktree too
    assert not git.may_be_checked_out(calc_repo, "gone")
    sh(other, "checkout", "-q", "--detach")
    assert not git.may_be_checked_out(calc_repo, "feature")
    # A HEAD file that is neither a branch nor a commit (half written): ask git.
    head = calc_repo / ".git" / "worktrees" / "wt" / "HEAD"
    head.write_text("ref: refs/he")
    assert git.may_be_checked_out(calc_repo, "gone")


def branches(repo: Path, ours: dict[str, str], theirs: dict[str, str]) -> tuple[str, str]:
    base = sh(repo, "rev-parse", "HEAD")
    sh(repo, "checkout", "-q", "-b", "theirs")
    b = commit(repo, theirs)
    sh(repo, "checkout", "-q", "main")
    a = commit(repo, ours)
    assert git.rev(repo, base)
    return a, b


def test_merge_tree_merges_without_touching_the_checkout(calc_repo: Path) -> None:
    a, b = branches(calc_repo, {"README.md": "# calc\nours\n"}, {"settings.py": 'MODE = "x"\n'})
    tree, conflicts = git.merge_tree(calc_repo, a, b)
    assert conflicts == [] and tree is not None
    assert sh(calc_repo, "show", f"{tree}:settings.py") == 'MODE = "x"'
    assert (calc_repo / "settings.py").read_text() == 'MODE = "base"\n'


def test_merge_tree_lists_the_conflicted_paths(calc_repo: Path) -> None:
    a, b = branches(
        calc_repo,
        {"settings.py": 'MODE = "a"\n', "README.md": "a\n"},
        {"settings.py": 'MODE = "b"\n', "README.md": "b\n"},
    )
    assert git.merge_tree(calc_repo, a, b) == (None, ["README.md", "settings.py"])


def test_merge_tree_of_an_unknown_commit_is_an_error_that_names_it(calc_repo: Path) -> None:
    missing = "0" * 40
    with pytest.raises(GitError, match=f"git merge-tree HEAD {missing} failed in ") as caught:
        git.merge_tree(calc_repo, "HEAD", missing)
    assert str(calc_repo) in str(caught.value)
    assert "not something we can merge" in str(caught.value)


def test_podiums_commits_carry_its_own_identity_and_move_refs_only_from_where_expected(
    calc_repo: Path,
) -> None:
    head = sh(calc_repo, "rev-parse", "HEAD")
    made = git.commit_tree(calc_repo, git.tree_of(calc_repo, head), [head], "podium: land a\n")
    assert (
        sh(calc_repo, "log", "-1", "--format=%an <%ae>|%s", made)
        == "podium <podium@localhost>|podium: land a"
    )
    assert not git.update_ref(calc_repo, "refs/heads/main", made, made)  # main is not at `made`
    assert git.rev(calc_repo, "main") == head
    assert git.update_ref(calc_repo, "refs/heads/main", made, head)
    assert git.rev(calc_repo, "main") == made


def test_user_hooks_do_not_run_for_podium(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\nexit 1\n")
    hook.chmod(0o755)
    (repo / "a.txt").write_text("b\n")
    git.run(repo, "commit", "-qam", "through podium")
    assert git.out(repo, "log", "-1", "--format=%s") == "through podium"
