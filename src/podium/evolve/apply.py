"""Write an evolution's edits: compare-and-swap on the files, a backup, a line in the store.

Each file is written to a temporary file beside it and renamed over it (atomic per file);
the template goes first, so podium.toml never names a template that is not there yet. A file
that changed since `evolve` read it is never overwritten.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from podium.errors import StateError
from podium.evolve.changes import CONFIG, FileEdit
from podium.evolve.history import APPLIED, NO_RUN
from podium.store import Store


def write_edits(
    repo: Path, state: Path, edits: Sequence[FileEdit], record: dict[str, Any], now: float
) -> Path:
    """Write `edits` under `repo`, back the old files up under `state`/evolve/; return the
    backup folder. Raises `StateError` (nothing written) if a file changed since it was read."""
    for edit in edits:
        _unchanged(repo / edit.path, edit)
    backup = state / "evolve" / f"{now:.6f}".replace(".", "-")
    backup.mkdir(parents=True, exist_ok=True)
    staged = [(_stage(repo / e.path, e.new), repo / e.path, e) for e in edits]
    for _, _, edit in staged:
        if edit.old is not None:
            (backup / edit.path.replace("/", "__")).write_text(edit.old, encoding="utf-8")
    try:
        for temp, path, edit in sorted(staged, key=lambda s: s[2].path == CONFIG):
            _unchanged(path, edit)
            os.replace(temp, path)
    finally:
        for temp, _, _ in staged:
            temp.unlink(missing_ok=True)
    store = Store(state / "podium.db")
    try:
        store.add_event(NO_RUN, None, now, APPLIED, {**record, "backup": str(backup)})
    finally:
        store.close()
    return backup


def _unchanged(path: Path, edit: FileEdit) -> None:
    now = path.read_text(encoding="utf-8") if path.exists() else None
    if now != edit.old:
        raise StateError(
            f"{edit.path} changed since `podium evolve` read it; nothing was written "
            "(run `podium evolve --apply` again to propose against the new text)"
        )


def _stage(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(name, path.stat().st_mode & 0o777 if path.exists() else 0o644)
    return Path(name)
