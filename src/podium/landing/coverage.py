"""Which lines of an attempt's tree ran under its tests: the pytest gate, run under coverage.py.

The edge for the `untested-changes` evasion class. The gate's own Python runs
`python -m coverage run -m pytest ...` with the gate's arguments in the attempt's worktree
(data and report in a temporary folder, so the worktree stays as it was), then
`coverage json` reports the lines that ran in the files the attempt changed. The gate's Python
is the one before `-m pytest`, else the one in the `pytest` script's `#!` line (a wrapper such
as `uv run pytest` becomes `uv run python`). coverage.py must be importable by that Python:
pre-flight says so before a run starts (`problem`).
"""

from __future__ import annotations

import json
import shlex
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from podium.landing import gates
from podium.landing.commands import capture, gist

MISSING = "No module named coverage"


@dataclass(frozen=True)
class Measured:
    executed: dict[str, frozenset[int]] | None  # path -> lines that ran; None: not measured
    why: str = ""  # why it was not measured


def pytest_gate(gates_: Sequence[str]) -> str | None:
    """The gate whose tests are measured: the first pytest command."""
    return next((g for g in gates_ if gates.is_pytest(g)), None)


def split(gate: str, cwd: Path) -> tuple[list[str], list[str]] | None:
    """(the gate's Python as argv, pytest's arguments), or None when that cannot be told."""
    try:
        argv = shlex.split(gate)
    except ValueError:
        return None
    for i, arg in enumerate(argv):
        if arg == "pytest" and i > 0 and argv[i - 1] == "-m":
            return argv[: i - 1], argv[i + 1 :]
        if PurePosixPath(arg).name in ("pytest", "py.test"):
            python = interpreter(arg, cwd) if i == 0 else ["python"]
            return ([*argv[:i], *python], argv[i + 1 :]) if python else None
    return None


def interpreter(script: str, cwd: Path) -> list[str] | None:
    """The Python a `pytest` script runs on: its `#!` line, else a `python` beside it."""
    found = str(cwd / script) if "/" in script else shutil.which(script)
    if found is None or not Path(found).is_file():
        return None
    try:
        with open(found, "rb") as f:
            head = f.readline(512).decode("utf-8", "replace")
    except OSError:
        return None
    if head.startswith("#!") and "python" in head:
        return shlex.split(head[2:].strip())
    beside = Path(found).parent / "python"
    return [str(beside)] if beside.exists() else None


def measure(gate: str, worktree: Path, files: Sequence[str], timeout: float) -> Measured:
    """The lines of `files` (worktree-relative) that ran under the gate's tests."""
    parts = split(gate, worktree)
    if parts is None:
        return Measured(None, f"cannot tell which Python runs `{gate}`")
    python, args = parts
    cov = [*python, "-m", "coverage"]
    with tempfile.TemporaryDirectory(prefix="podium-coverage-") as tmp:
        data, report = f"--data-file={tmp}/coverage", Path(tmp) / "coverage.json"
        ran = capture(
            [*cov, "run", "--parallel-mode", data, "-m", "pytest", *args], worktree, timeout
        )
        if ran.code is None or (ran.code != 0 and MISSING in ran.output):
            why = (
                ran.output
                if ran.code is None
                else f"coverage.py is not importable by `{shlex.join(python)}`"
            )
            return Measured(None, why)
        capture([*cov, "combine", "--quiet", data], worktree, timeout)
        include = "--include=" + ",".join(files)
        done = capture([*cov, "json", data, include, "-o", str(report)], worktree, timeout)
        if done.code != 0:
            nothing = "No data to report" in done.output
            return Measured({}) if nothing else Measured(None, gist(done.output))
        return Measured(executed_lines(report.read_text(encoding="utf-8")))


def executed_lines(report: str) -> dict[str, frozenset[int]]:
    """`coverage json`'s report -> each file's lines that ran."""
    files = json.loads(report).get("files", {})
    return {path: frozenset(entry.get("executed_lines", ())) for path, entry in files.items()}


def problem(repo: Path, gates_: Sequence[str]) -> str:
    """Why `untested-changes` cannot be measured in this repository, or ""."""
    gate = pytest_gate(gates_)
    if gate is None:
        return "it measures the tests of a pytest gate, and no gate runs pytest"
    parts = split(gate, repo)
    if parts is None:
        return f"cannot tell which Python runs the gate `{gate}`"
    done = capture([*parts[0], "-c", "import coverage"], repo, 60)
    if done.code is not None and done.code != 0:
        python = shlex.join(parts[0])
        return f"coverage.py is not importable by `{python}` (install `coverage` there)"
    return ""
