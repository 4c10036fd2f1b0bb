"""A compact map of a repository at a commit, for the planner's prompt.

The file tree with sizes (from `git ls-tree`, so it shows exactly what the planner's worktree
holds), the heads of the files that say what a project is (README, pyproject.toml,
package.json, Cargo.toml, go.mod, AGENTS.md) and the gates every merge must pass. A big
repository is summarised: folders with their file counts and sizes instead of every file.
`render_map` is pure; `repo_map` reads git.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from podium import git

KEY_FILES = (
    *("README.md", "README.rst", "README", "README.txt", "AGENTS.md", "CLAUDE.md"),
    *("pyproject.toml", "package.json", "Cargo.toml", "go.mod"),
)


@dataclass(frozen=True)
class Caps:
    files: int = 300  # list every file up to this many; summarise folders beyond it
    lines: int = 200  # at most this many lines of tree in a summary
    head_lines: int = 40  # lines of each key file
    head_chars: int = 2000  # characters of each key file
    key_files: int = 4  # at most this many key files


def size_text(size: int) -> str:
    """1234 -> '1.2K'; bytes below 1000 as they are."""
    if size < 1000:
        return str(size)
    value = size / 1000
    for unit in ("K", "M"):
        if value < 1000:
            return f"{value:.1f}{unit}"
        value /= 1000
    return f"{value:.1f}G"


def tree_lines(files: Sequence[tuple[str, int]], caps: Caps) -> list[str]:
    """Every file with its size; past `caps.files`, folders as deep as `caps.lines` allows."""
    if len(files) <= caps.files:
        return [f"{path}  {size_text(size)}" for path, size in files]
    for depth in (3, 2, 1):
        groups = _groups(files, depth)
        if len(groups) <= caps.lines:
            break
    lines = [_group_line(key, sizes) for key, sizes in sorted(groups.items())]
    if len(lines) > caps.lines:
        rest = len(lines) - caps.lines
        lines = [*lines[: caps.lines], f"... and {rest} more folders and files"]
    return lines


def _groups(files: Sequence[tuple[str, int]], depth: int) -> dict[str, list[int]]:
    """Files grouped by their first `depth` folders; a file less deep is its own group."""
    groups: dict[str, list[int]] = {}
    for path, size in files:
        parts = path.split("/")
        key = "/".join(parts[:depth]) + "/" if len(parts) > depth else path
        groups.setdefault(key, []).append(size)
    return groups


def _group_line(key: str, sizes: list[int]) -> str:
    if not key.endswith("/"):
        return f"{key}  {size_text(sizes[0])}"
    count = f"{len(sizes)} file{'s' if len(sizes) != 1 else ''}"
    return f"{key}  ({count}, {size_text(sum(sizes))})"


def head(text: str, caps: Caps) -> str:
    lines = text.splitlines()
    cut = "\n".join(lines[: caps.head_lines])[: caps.head_chars]
    return cut + ("\n[...]" if cut != text.rstrip("\n") else "")


def render_map(
    files: Sequence[tuple[str, int]],
    heads: Sequence[tuple[str, str]],
    gates: Sequence[str],
    caps: Caps = Caps(),
) -> str:
    """The map as text; the same inputs always give the same text."""
    total = sum(size for _, size in files)
    shown = "" if len(files) <= caps.files else ", summarised by folder"
    out = [f"### Files ({len(files)} files, {size_text(total)} in all{shown})", ""]
    out += tree_lines(files, caps)
    for name, text in heads[: caps.key_files]:
        out += ["", f"### {name}", "", "```", head(text, caps), "```"]
    out += ["", "### Gates (commands every merge must pass)", ""]
    out += [f"- `{gate}`" for gate in gates] or ["none configured"]
    return "\n".join(out)


def list_files(repo: Path, commit: str = "HEAD") -> list[tuple[str, int]]:
    """(path, bytes) of every file at `commit`, sorted; submodules and links count 0."""
    listing = git.run(repo, "ls-tree", "-r", "-l", "-z", "--full-tree", commit).out
    files = []
    for entry in listing.split("\0"):
        if not entry:
            continue
        meta, _, path = entry.partition("\t")
        size = meta.split()[-1]
        files.append((path, int(size) if size.isdigit() else 0))
    return sorted(files)


def key_file_heads(
    repo: Path, files: Sequence[tuple[str, int]], commit: str = "HEAD"
) -> list[tuple[str, str]]:
    present = {path for path, _ in files}
    found: list[tuple[str, str]] = []
    for name in KEY_FILES:
        readme_again = name.startswith("README") and any(n.startswith("README") for n, _ in found)
        if name in present and not readme_again:
            text = git.run(repo, "show", f"{commit}:{name}", check=False).out
            found.append((name, text))
    return found


def repo_map(repo: Path, gates: Sequence[str], caps: Caps = Caps(), commit: str = "HEAD") -> str:
    files = list_files(repo, commit)
    return render_map(files, key_file_heads(repo, files, commit), gates, caps)
