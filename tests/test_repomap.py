"""The repository map the planner reads, from a real repository at a chosen commit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from podium.planning.repomap import Caps, key_file_heads, list_files, repo_map, size_text

from conftest import git


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0"),
        (999, "999"),
        (1000, "1.0K"),
        (1234, "1.2K"),
        (2_500_000, "2.5M"),
        (3 * 10**9, "3.0G"),
    ],
)
def test_sizes_read_like_ls_h(size: int, text: str) -> None:
    assert size_text(size) == text


def test_the_map_is_of_a_commit_not_of_the_working_tree(calc_repo: Path) -> None:
    first = git(calc_repo, "rev-parse", "HEAD")
    (calc_repo / "README.md").write_text("# calc, second edition\n")
    (calc_repo / "calc" / "extra.py").write_text("X = 1\n")
    os.symlink("calc/core.py", calc_repo / "link.py")
    git(calc_repo, "add", "-A")
    git(calc_repo, "commit", "-qm", "more")
    then = dict(list_files(calc_repo, first))
    now = dict(list_files(calc_repo))
    assert "calc/extra.py" not in then and now["calc/extra.py"] == 6
    assert now["link.py"] == len("calc/core.py")  # a link counts its target's name
    assert key_file_heads(calc_repo, list(then.items()), first)[0] == ("README.md", "# calc\n")
    assert "# calc, second edition" in repo_map(calc_repo, [])
    assert "# calc, second edition" not in repo_map(calc_repo, [], commit=first)


def test_key_files_come_in_their_fixed_order_and_respect_the_cap(calc_repo: Path) -> None:
    files = list_files(calc_repo)
    names = [name for name, _ in key_file_heads(calc_repo, files)]
    assert names == ["README.md", "pyproject.toml"]
    text = repo_map(calc_repo, ["pytest"], Caps(key_files=1))
    assert "### README.md" in text and "### pyproject.toml" not in text
