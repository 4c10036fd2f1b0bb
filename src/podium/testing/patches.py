"""Edits written as text: Codex `apply_patch` patches, aider's edit formats, shell scripts."""

from __future__ import annotations

import os
import shlex

_LANGS = {
    ".py": "python",
    ".js": "javascript",
    ".ts": "typescript",
    ".sh": "bash",
    ".md": "markdown",
    ".json": "json",
    ".toml": "toml",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".rs": "rust",
    ".go": "go",
}
_MARKER = "PODIUM_EOF"


def _lines(text: str) -> list[str]:
    return text.splitlines()


# --- apply_patch -----------------------------------------------------------------------


def add_file_patch(path: str, content: str) -> str:
    body = "".join(f"+{line}\n" for line in _lines(content))
    return f"*** Begin Patch\n*** Add File: {path}\n{body}*** End Patch\n"


def update_file_patch(path: str, old: str, new: str) -> str:
    """A one-hunk patch replacing the whole lines `old` by the lines `new`."""
    minus = "".join(f"-{line}\n" for line in _lines(old))
    plus = "".join(f"+{line}\n" for line in _lines(new))
    return f"*** Begin Patch\n*** Update File: {path}\n@@\n{minus}{plus}*** End Patch\n"


def replaced_lines(current: str, old: str, new: str) -> tuple[str, str] | None:
    """The whole lines of `current` holding the first `old`, and those lines with it replaced."""
    at = current.find(old) if old else -1
    if at < 0:
        return None
    start = current.rfind("\n", 0, at) + 1
    end = current.find("\n", at + len(old))
    block = current[start : len(current) if end < 0 else end]
    offset = at - start
    return block, block[:offset] + new + block[offset + len(old) :]


# --- aider -----------------------------------------------------------------------------


def aider_format(system: str) -> str | None:
    """Which of aider's edit formats its system prompt asks for (None: not aider)."""
    if "SEARCH/REPLACE" in system:
        return "diff"
    if "diff -U0" in system or "unified diff" in system:
        return "udiff"
    if "file listing" in system:
        return "whole"
    return None


def _fence(system: str) -> str:
    return "````" if "````" in system else "```"


def _lang(path: str) -> str:
    return _LANGS.get(os.path.splitext(path)[1], "")


def _nl(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


def search_replace(system: str, path: str, search: str, replace: str) -> str:
    fence = _fence(system)
    return (
        f"{path}\n{fence}{_lang(path)}\n<<<<<<< SEARCH\n{_nl(search)}=======\n"
        f"{_nl(replace)}>>>>>>> REPLACE\n{fence}\n"
    )


def whole_file(system: str, path: str, content: str) -> str:
    fence = _fence(system)
    return f"{path}\n{fence}{_lang(path)}\n{_nl(content)}{fence}\n"


def unified_diff(path: str, old: str, new: str) -> str:
    source = "/dev/null" if not old else path
    minus = "".join(f"-{line}\n" for line in _lines(old))
    plus = "".join(f"+{line}\n" for line in _lines(new))
    return f"```diff\n--- {source}\n+++ {path}\n@@ ... @@\n{minus}{plus}```\n"


def aider_edit(system: str, path: str, old: str, new: str) -> str:
    """Replace the lines `old` by `new` (old "" = create) as a SEARCH/REPLACE block or udiff."""
    if aider_format(system) == "udiff":
        return unified_diff(path, old, new)
    return search_replace(system, path, old, new)


# --- shell -----------------------------------------------------------------------------


def shell_write(path: str, content: str) -> str:
    """A shell script that writes `content` to `path` exactly (heredoc when it can be one)."""
    folder = os.path.dirname(path)
    prefix = f"mkdir -p {shlex.quote(folder)} && " if folder else ""
    if content.endswith("\n") and _MARKER not in content:
        return f"{prefix}cat > {shlex.quote(path)} <<'{_MARKER}'\n{content}{_MARKER}\n"
    return f"{prefix}printf '%s' {shlex.quote(content)} > {shlex.quote(path)}"


def shell_replace(path: str, old: str, new: str) -> str:
    """A shell script that replaces the first `old` in `path` by `new`."""
    code = (
        f"import pathlib\np = pathlib.Path({path!r})\n"
        f"p.write_text(p.read_text().replace({old!r}, {new!r}, 1))\n"
    )
    return f"python3 - <<'{_MARKER}'\n{code}{_MARKER}\n"
