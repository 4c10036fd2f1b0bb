"""`podium evolve --apply` writing its edits: all or nothing, a backup, a line in the store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from podium.errors import StateError
from podium.evolve.apply import write_edits
from podium.evolve.changes import FileEdit
from podium.evolve.history import read_history

OLD = "max_parallel = 4\n"
NEW = 'max_parallel = 2\n\n[prompt]\ntemplate = "podium-prompt.md"\n'
RECORD = {"keys": ["max_parallel", "prompt.tests"], "values": {"max_parallel": 2}}


def setup(tmp_path: Path) -> tuple[Path, Path, list[FileEdit]]:
    repo, state = tmp_path / "repo", tmp_path / "state"
    repo.mkdir()
    (repo / "podium.toml").write_text(OLD)
    edits = [FileEdit("podium.toml", OLD, NEW), FileEdit("podium-prompt.md", None, "{goal}\n")]
    return repo, state, edits


def test_the_edits_are_written_and_the_old_text_is_backed_up(tmp_path: Path) -> None:
    repo, state, edits = setup(tmp_path)
    backup = write_edits(repo, state, edits, RECORD, now=1234.5)
    assert (repo / "podium.toml").read_text() == NEW
    assert (repo / "podium-prompt.md").read_text() == "{goal}\n"
    assert backup.parent == state / "evolve"
    assert (backup / "podium.toml").read_text() == OLD
    assert not (backup / "podium-prompt.md").exists()  # it had no old text
    # no temporary file is left beside the files written
    assert sorted(p.name for p in repo.iterdir()) == ["podium-prompt.md", "podium.toml"]


def test_the_change_is_recorded_for_the_next_evolve(tmp_path: Path) -> None:
    repo, state, edits = setup(tmp_path)
    backup = write_edits(repo, state, edits, RECORD, now=1234.5)
    [applied] = read_history(state / "podium.db", runs=5).applied
    assert applied.at == 1234.5
    assert applied.keys == ("max_parallel", "prompt.tests")
    assert applied.values == {"max_parallel": 2}
    assert backup.is_dir()


def test_a_podium_toml_changed_since_it_was_read_is_not_overwritten(tmp_path: Path) -> None:
    repo, state, edits = setup(tmp_path)
    (repo / "podium.toml").write_text("max_parallel = 8  # the user's own edit\n")
    with pytest.raises(StateError, match=r"podium\.toml changed since"):
        write_edits(repo, state, edits, RECORD, now=1.0)
    assert (repo / "podium.toml").read_text() == "max_parallel = 8  # the user's own edit\n"
    assert not (repo / "podium-prompt.md").exists()  # nothing written at all
    assert not state.exists()
    assert read_history(state / "podium.db", runs=5).applied == ()


def test_a_file_that_appeared_since_it_was_read_is_not_overwritten(tmp_path: Path) -> None:
    repo, state, edits = setup(tmp_path)
    (repo / "podium-prompt.md").write_text("my own prompt {goal}\n")
    with pytest.raises(StateError, match=r"podium-prompt\.md changed since"):
        write_edits(repo, state, edits, RECORD, now=1.0)
    assert (repo / "podium-prompt.md").read_text() == "my own prompt {goal}\n"
    assert (repo / "podium.toml").read_text() == OLD


def test_a_files_permissions_are_kept(tmp_path: Path) -> None:
    repo, state, edits = setup(tmp_path)
    os.chmod(repo / "podium.toml", 0o600)
    write_edits(repo, state, edits, RECORD, now=1.0)
    assert (repo / "podium.toml").stat().st_mode & 0o777 == 0o600
    assert (repo / "podium-prompt.md").stat().st_mode & 0o777 == 0o644


def test_a_template_in_a_new_folder_is_written_there(tmp_path: Path) -> None:
    repo, state, _ = setup(tmp_path)
    edit = FileEdit("prompts/agent.md", None, "{goal}\n")
    write_edits(repo, state, [edit], RECORD, now=1.0)
    assert (repo / "prompts" / "agent.md").read_text() == "{goal}\n"


def test_two_applies_keep_two_backups(tmp_path: Path) -> None:
    repo, state, _ = setup(tmp_path)
    first = write_edits(repo, state, [FileEdit("podium.toml", OLD, NEW)], RECORD, now=1.0)
    again = FileEdit("podium.toml", NEW, "max_parallel = 1\n")
    second = write_edits(repo, state, [again], RECORD, now=2.0)
    assert first != second
    assert (first / "podium.toml").read_text() == OLD
    assert (second / "podium.toml").read_text() == NEW
    assert len(read_history(state / "podium.db", runs=5).applied) == 2
