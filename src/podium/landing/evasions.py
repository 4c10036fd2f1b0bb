"""Evasions: ways an attempt makes the checks pass by weakening them, each a named class.

Pure functions over what the janitor gathered for one attempt against its base: the files it
changed (text before and after, the lines it added) and the test ids collected on each side.
Nothing here runs git or a process; `podium.landing.audit` gathers. The Python-specific
readings (assertions, stubs, broad excepts) are in `podium.landing.pysource`.
docs/verification.md lists the classes, what each looks at and how a plan allows one.
"""

from __future__ import annotations

import configparser
import re
import shlex
import tomllib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from podium.landing import pysource
from podium.plans import globs

ADVICE = {
    "remove-tests": "do not remove or deselect tests; make them pass",
    "disable-tests": "do not skip or xfail tests; make them pass",
    "weaken-assertions": "do not weaken assertions; make the code meet them",
    "empty-files": "do not empty or stub out code to get past the checks; implement it",
    "change-config": "do not change what the gates check; leave their configuration alone",
    "add-suppressions": "do not silence the checkers; fix what they report",
    "untested-changes": "add a test that runs the lines you changed",
}
JS = frozenset({".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs"})
CODE = JS | frozenset({".py", ".pyi", ".go", ".rs", ".java", ".kt", ".rb", ".c", ".h", ".cc"})
CODE |= frozenset({".cpp", ".hpp", ".cs", ".swift", ".php", ".scala", ".sh"})
DISABLERS: tuple[tuple[frozenset[str], re.Pattern[str]], ...] = (
    (
        frozenset({".py"}),
        re.compile(
            r"\bpytest\.mark\.(skip|skipif|xfail)\b|\bpytest\.(skip|xfail)\s*\("
            r"|\bunittest\.(skip|skipIf|skipUnless|expectedFailure)\b"
            r"|@(skip|skipIf|skipUnless|expectedFailure)\b|\.skipTest\s*\("
        ),
    ),
    (JS, re.compile(r"\b(it|test|describe)\.(only|skip)\s*\(|\b(xit|xtest|xdescribe|fit)\s*\(")),
    (frozenset({".go"}), re.compile(r"\bt\.Skip(f|Now)?\s*\(")),
    (frozenset({".java", ".kt"}), re.compile(r"@(Disabled|Ignore)\b")),
    (CODE, re.compile(r"pragma:\s*no\s*cover")),
)
SUPPRESSIONS = re.compile(
    r"#\s*type:\s*ignore|#\s*noqa\b|#\s*pyright:\s*ignore|#\s*pylint:\s*disable|#\s*nosec\b"
    r"|eslint-disable|@ts-(ignore|expect-error|nocheck)\b|//\s*nolint\b|@SuppressWarnings\b"
)
CONFIG_GLOBS = (
    "**/conftest.py",
    "**/pytest.ini",
    "**/tox.ini",
    "**/.coveragerc",
    "**/ruff.toml",
    "**/.ruff.toml",
    "**/mypy.ini",
    "**/.mypy.ini",
    "**/.flake8",
    "**/.pylintrc",
    "**/jest.config.*",
    "**/vitest.config.*",
    "**/.eslintrc*",
    "**/eslint.config.*",
    "**/.golangci.*",
    ".pre-commit-config.yaml",
    "noxfile.py",
    "podium.toml",
    ".github/workflows/**",
    ".gitlab-ci.yml",
    ".circleci/**",
    ".travis.yml",
    "azure-pipelines.yml",
    "Jenkinsfile",
)
TOOL_TABLES = ("pytest", "ruff", "mypy", "coverage", "pyright", "pylint", "flake8", "isort")
CFG_SECTIONS = ("tool:pytest", "pytest", "flake8", "mypy", "coverage:", "pycodestyle", "isort")
MIN_LINES = 5  # a file shorter than this cannot "lose most of its content"


@dataclass(frozen=True)
class Finding:
    """One evasion: its class, where it is (path, first and last line), what was seen."""

    kind: str
    path: str
    lines: tuple[int, int] | None
    what: str

    def __str__(self) -> str:
        where = self.path
        if self.lines is not None:
            first, last = self.lines
            where += f":{first}" if first == last else f":{first}-{last}"
        return f"{self.kind}: {where}: {self.what}"


@dataclass(frozen=True)
class Change:
    """One changed file: its path on each side (None where it does not exist), its text."""

    old: str | None
    new: str | None
    before: str | None = None
    after: str | None = None
    added: Mapping[int, str] = field(default_factory=dict)  # new line number -> text

    @property
    def path(self) -> str:
        return self.new or self.old or ""

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.path).suffix


def added_lines(diff: str) -> dict[str, dict[int, str]]:
    """The lines an attempt added, by file and new line number, from `git diff -U0` output."""
    out: dict[str, dict[int, str]] = {}
    path: str | None = None
    header, line = True, 0
    for raw in diff.splitlines():
        if raw.startswith("diff --git "):
            header, path = True, None
        elif header and raw.startswith("+++ "):
            name = raw[4:].rstrip("\t")
            path = None if name == "/dev/null" else name.removeprefix("b/")
        elif raw.startswith("@@"):
            header = False
            hunk = re.match(r"@@ -\S+ \+(\d+)", raw)
            line = int(hunk.group(1)) if hunk else 0
        elif not header and raw.startswith("+") and path is not None:
            out.setdefault(path, {})[line] = raw[1:]
            line += 1
        elif not header and raw.startswith(" "):
            line += 1
    return out


def is_test_file(path: str) -> bool:
    p = PurePosixPath(path)
    name = p.name
    return (
        name.startswith("test_")
        or name == "conftest.py"
        or p.stem.endswith(("_test", ".test", ".spec"))
        or any(part in ("tests", "test", "__tests__") for part in p.parts[:-1])
    )


def test_ids(output: str, pytest: bool) -> frozenset[str]:
    """Test ids from a listing: pytest's `--collect-only` (`path::name` lines), else every
    non-blank line of a `[janitor] collect` command."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if not pytest:
        return frozenset(lines)
    return frozenset(ln for ln in lines if "::" in ln and " " not in ln.partition("::")[0])


def removed_tests(
    before: Collection[str], after: Collection[str], sources: Mapping[str, str]
) -> list[Finding]:
    """Test ids collected on the base but not on the attempt, one finding per test function
    (its parametrized cases together), located in the base's source."""
    groups: dict[tuple[str, str], list[str]] = {}
    for test_id in sorted(set(before) - set(after)):
        path, _, rest = test_id.partition("::")
        groups.setdefault((path, rest.split("[")[0]), []).append(test_id)
    out = []
    for (path, name), ids in groups.items():
        lines = pysource.locate(sources.get(path, ""), name.split("::")) if name else None
        shown = ids[0] if len(ids) == 1 else f"{len(ids)} cases of {path}::{name}"
        out.append(Finding("remove-tests", path, lines, f"{shown} collected on the base, not now"))
    return out


def _matching(change: Change, kind: str, patterns: Iterable[re.Pattern[str]]) -> list[Finding]:
    out = []
    for number, text in sorted(change.added.items()):
        for pattern in patterns:
            hit = pattern.search(text)
            if hit:
                out.append(Finding(kind, change.path, (number, number), f"adds {hit.group(0)!r}"))
                break
    return out


def disabled_tests(change: Change) -> list[Finding]:
    """New skip / xfail / only markers, skip calls and `pragma: no cover` in added lines."""
    patterns = [p for suffixes, p in DISABLERS if change.suffix in suffixes]
    return _matching(change, "disable-tests", patterns)


def suppressions(change: Change) -> list[Finding]:
    """New `# type: ignore`, `# noqa`, `eslint-disable`, ... and broad excepts that pass."""
    if change.suffix not in CODE:
        return []
    out = _matching(change, "add-suppressions", [SUPPRESSIONS])
    if change.suffix == ".py" and change.after is not None:
        for first, last in pysource.silent_excepts(change.after):
            if any(n in change.added for n in range(first, last + 1)):
                what = "adds a broad except that swallows the error"
                out.append(Finding("add-suppressions", change.path, (first, last), what))
    return out


def weakened_assertions(change: Change) -> list[Finding]:
    """Existing Python tests that now assert less, or assert something trivially true."""
    if change.suffix != ".py" or change.before is None or change.after is None:
        return []
    if not is_test_file(change.path):
        return []
    before, after = pysource.assertions(change.before), pysource.assertions(change.after)
    out = []
    for name in sorted(before.keys() & after.keys()):
        was, now = before[name], after[name]
        if now.count < was.count:
            what = f"{name} has {now.count} assertion(s), had {was.count}"
            out.append(Finding("weaken-assertions", change.path, now.lines, what))
        elif len(now.trivial) > len(was.trivial):
            line = now.trivial[-1]
            what = f"{name} now asserts something trivially true"
            out.append(Finding("weaken-assertions", change.path, (line, line), what))
    return out


def emptied(change: Change) -> list[Finding]:
    """Source files deleted or cut to a fraction, and functions now only `pass` or raise
    NotImplementedError."""
    if change.suffix not in CODE or change.before is None:
        return []
    had = _nonblank(change.before)
    if change.new is None and had >= MIN_LINES:
        return [Finding("empty-files", change.path, None, f"deleted ({had} lines on the base)")]
    if change.after is None:
        return []
    has = _nonblank(change.after)
    if had >= MIN_LINES and has * 4 < had:
        what = f"lost most of its content ({had} lines on the base, {has} now)"
        return [Finding("empty-files", change.path, None, what)]
    if change.suffix != ".py":
        return []
    return [
        Finding("empty-files", change.path, lines, f"{name} now only passes or raises")
        for name, lines in pysource.new_stubs(change.before, change.after)
    ]


def untested(change: Change, executed: Collection[int]) -> list[Finding]:
    """A changed Python source file (not a test) whose changed code did not run at all.

    `executed` are the file's line numbers that ran under the tests (coverage of the attempt's
    tree). Changed lines that are not code (blank, comments, docstrings) do not count."""
    if change.suffix != ".py" or change.after is None or is_test_file(change.path):
        return []
    changed = []
    for (first, last), (start, end) in pysource.statements(change.after):
        mine = [n for n in range(first, last + 1) if n in change.added]
        if mine and any(n in executed for n in range(start, end + 1)):
            return []
        changed += mine
    if not changed:
        return []
    what = "none of these changed lines ran under the tests"
    return [Finding("untested-changes", change.path, (min(changed), max(changed)), what)]


def _nonblank(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.strip())


def gate_files(gates: Sequence[str]) -> tuple[str, ...]:
    """Repository paths the gates name (`python scripts/check.py` -> scripts/check.py)."""
    out: list[str] = []
    for gate in gates:
        try:
            argv = shlex.split(gate)
        except ValueError:
            continue
        for arg in argv:
            script = arg.removeprefix("./")
            if arg.startswith(("-", "/")) or "=" in arg:
                continue
            if "/" in script or PurePosixPath(script).suffix in (".py", ".sh", ".js", ".ts"):
                out.append(script)
    return tuple(dict.fromkeys(out))


def config_changed(change: Change, owned: Sequence[str], extra: Sequence[str]) -> list[Finding]:
    """A file that decides what the gates check, changed by a task that does not name it.

    `owned` are the task's `files`; only an entry that is exactly this path names it (a glob
    such as `**` does not). `extra` are more globs: `[janitor] config_files`, gate scripts.
    """
    path = change.path
    if any(globs.parse(entry).literal == path for entry in owned if not globs.validate(entry)):
        return []
    lines = (min(change.added), max(change.added)) if change.added else None
    if any(globs.matches(g, path) for g in (*CONFIG_GLOBS, *extra)):
        what = "deleted" if change.new is None else "added" if change.old is None else "changed"
        return [Finding("change-config", path, lines, f"{what} (it decides what the gates check)")]
    name = PurePosixPath(path).name
    if name in ("pyproject.toml", "setup.cfg"):
        read = _tool_tables if name == "pyproject.toml" else _cfg_sections
        was, now = read(change.before), read(change.after)
        if was != now:
            parts = sorted(set(was or {}) ^ set(now or {}) | _differing(was, now)) or ["all"]
            what = f"changes its checkers' settings ({', '.join(parts)})"
            return [Finding("change-config", path, lines, what)]
    return []


def _differing(a: Mapping[str, str] | None, b: Mapping[str, str] | None) -> set[str]:
    a, b = a or {}, b or {}
    return {k for k in a.keys() & b.keys() if a[k] != b[k]}


def _tool_tables(text: str | None) -> dict[str, str] | None:
    """pyproject's [tool.X] tables for the checkers, as comparable text; None if unreadable."""
    try:
        data = tomllib.loads(text or "")
    except tomllib.TOMLDecodeError:
        return None
    tool = data.get("tool", {})
    return {f"tool.{k}": repr(tool[k]) for k in TOOL_TABLES if k in tool}


def _cfg_sections(text: str | None) -> dict[str, str] | None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text or "")
    except configparser.Error:
        return None
    return {
        s: repr(sorted(parser.items(s))) for s in parser.sections() if s.startswith(CFG_SECTIONS)
    }


def judge(
    findings: Sequence[Finding], policy: Mapping[str, str], allow: Collection[str]
) -> tuple[list[Finding], list[Finding]]:
    """(findings that fail the attempt, findings that only warn) under the policy; classes the
    task's plan allows, or that the policy allows, drop out."""
    kept = [f for f in findings if f.kind not in allow]
    fail = [f for f in kept if policy.get(f.kind, "fail") == "fail"]
    warn = [f for f in kept if policy.get(f.kind, "fail") == "warn"]
    return fail, warn


def summary(findings: Sequence[Finding], limit: int = 12) -> str:
    """One line per finding (at most `limit`), then what to do instead, once per class."""
    lines = [str(f) for f in findings[:limit]]
    if len(findings) > limit:
        lines.append(f"... and {len(findings) - limit} more")
    kinds = dict.fromkeys(f.kind for f in findings)
    lines += [f"{kind}: {ADVICE[kind]}" for kind in kinds]
    return "\n".join(lines)
