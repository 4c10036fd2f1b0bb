"""Edits the scripted model writes as text: a shell script that really runs, apply_patch and
aider blocks in the exact form those tools parse."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from podium.testing.patches import (
    add_file_patch,
    aider_edit,
    aider_format,
    replaced_lines,
    search_replace,
    shell_replace,
    update_file_patch,
    whole_file,
)


def test_apply_patch_adds_and_updates_whole_lines() -> None:
    assert add_file_patch("a.py", "x = 1\ny = 2\n") == (
        "*** Begin Patch\n*** Add File: a.py\n+x = 1\n+y = 2\n*** End Patch\n"
    )
    assert update_file_patch("a.py", "x = 1", "x = 3\nz = 0") == (
        "*** Begin Patch\n*** Update File: a.py\n@@\n-x = 1\n+x = 3\n+z = 0\n*** End Patch\n"
    )


def test_replaced_lines_widen_a_match_to_whole_lines() -> None:
    current = "a = 1\nb = 'old'  # keep\nc = 3\n"
    assert replaced_lines(current, "old", "new") == ("b = 'old'  # keep", "b = 'new'  # keep")
    assert replaced_lines("last = old", "old", "new") == ("last = old", "last = new")
    assert replaced_lines(current, "absent", "x") is None
    assert replaced_lines(current, "", "x") is None


@pytest.mark.parametrize(
    ("system", "form"),
    [
        ("Use SEARCH/REPLACE blocks", "diff"),
        ("Answer with a unified diff like diff -U0", "udiff"),
        ("Return the whole file listing", "whole"),
        ("You are a helpful assistant", None),
    ],
)
def test_aiders_edit_format_is_read_from_its_system_prompt(system: str, form: str | None) -> None:
    assert aider_format(system) == form


def test_aider_blocks_use_the_fence_and_language_aider_expects() -> None:
    assert search_replace("SEARCH/REPLACE", "m.py", "a = 1", "a = 2") == (
        "m.py\n```python\n<<<<<<< SEARCH\na = 1\n=======\na = 2\n>>>>>>> REPLACE\n```\n"
    )
    assert whole_file("file listing ````", "notes", "hi") == "notes\n````\nhi\n````\n"
    assert aider_edit("diff -U0", "new.rs", "", "fn main() {}") == (
        "```diff\n--- /dev/null\n+++ new.rs\n@@ ... @@\n+fn main() {}\n```\n"
    )


def test_a_shell_replace_changes_only_the_first_match(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    target.write_text("it's x and x, $HOME\n")
    script = shell_replace(str(target), "x", 'it\'s "y"')
    subprocess.run(["bash", "-c", script], check=True, cwd=tmp_path)
    assert target.read_text() == "it's it's \"y\" and x, $HOME\n"
