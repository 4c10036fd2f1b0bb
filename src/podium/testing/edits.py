"""Turn "write/edit/read this file" into a call of a tool the client offers.

Preference: the CLI's own file tool (argument names read from its schema) > `apply_patch`
> a shell tool > aider's text edit formats. Paths are absolute for file tools when the
agent's working directory is known, relative to it for `apply_patch` and aider.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from podium.testing import patches
from podium.testing.outcomes import Call, Outcome, Text
from podium.testing.requests import GEMINI, Conversation, Tool

WRITE_TOOLS = (
    "Write", "write", "write_file", "create", "create_file", "WriteFile", "write_to_file",
    "str_replace_based_edit_tool", "str_replace_editor",
)  # fmt: skip
EDIT_TOOLS = (
    "Edit", "edit", "replace", "edit_file", "str_replace", "search_replace",
    "str_replace_based_edit_tool", "str_replace_editor",
)  # fmt: skip
READ_TOOLS = (
    "Read",
    "read",
    "read_file",
    "view",
    "str_replace_based_edit_tool",
    "str_replace_editor",
)
SHELL_TOOLS = ("exec_command", "shell", "shell_command", "Bash", "bash", "run_shell_command")
# Tools that refuse to touch an existing file the session has not read, and the read tool to
# use first: Claude Code, opencode, Qwen Code (measured). Gemini CLI's `write_file` does not
# refuse, and Gemini calls carry no ids to mark the extra call with, so not on that API.
READ_FIRST = {
    "Write": ("Read",),
    "Edit": ("Read",),
    "MultiEdit": ("Read",),
    "write": ("read",),
    "edit": ("read", "read_file"),
    "write_file": ("read_file",),
}

PATH_KEYS = ("file_path", "filePath", "path", "absolute_path", "filename", "file", "target_file")
CONTENT_KEYS = ("content", "file_text", "contents", "text", "new_content", "code", "data")
OLD_KEYS = ("old_string", "oldString", "old_str", "old_text", "old", "search")
NEW_KEYS = ("new_string", "newString", "new_str", "new_text", "new", "replacement")
_COMMANDS = {"write": "create", "edit": "str_replace", "read": "view"}


@dataclass(frozen=True)
class Workspace:
    """The agent's working directory (if the prompt told) and a way to read its files."""

    cwd: str | None
    read: Callable[[str], str | None]
    is_dir: Callable[[str], bool] = os.path.isdir

    def absolute(self, path: str) -> str:
        if os.path.isabs(path) or not self.cwd:
            return path
        return os.path.normpath(os.path.join(self.cwd, path))

    def relative(self, path: str) -> str:
        if self.cwd and os.path.isabs(path) and path.startswith(self.cwd.rstrip("/") + "/"):
            return os.path.relpath(path, self.cwd)
        return path

    def current(self, path: str) -> str | None:
        """The file's text now, or None when it does not exist (or cannot be located)."""
        full = self.absolute(path)
        return self.read(full) if os.path.isabs(full) else None

    def has_parent(self, path: str) -> bool:
        """Whether the file's directory exists (True when it cannot be located)."""
        full = self.absolute(path)
        return not os.path.isabs(full) or self.is_dir(os.path.dirname(full))


def read_disk(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def write_file(conv: Conversation, ws: Workspace, path: str, content: str) -> Outcome | None:
    """The call (or aider text) that makes `path` hold `content`; None if nothing fits."""
    current = ws.current(path)
    found = _find(conv, WRITE_TOOLS, PATH_KEYS, CONTENT_KEYS)
    if found and found[0].name == "create" and (current is not None or not ws.has_parent(path)):
        # Copilot's `create` refuses existing files (replace the whole text through `edit`)
        # and missing directories (a shell script makes them).
        swap = _find(conv, EDIT_TOOLS, PATH_KEYS, OLD_KEYS, NEW_KEYS) if current else None
        if swap:
            return _file_call(conv, ws, swap, "edit", path, current or "", content)
        found = None
    if found:
        return _file_call(conv, ws, found, "write", path, content, exists=current is not None)
    if current:
        patch = patches.update_file_patch(ws.relative(path), current, content)
    else:
        patch = patches.add_file_patch(ws.relative(path), content)
    return (
        _apply_patch(conv, patch)
        or _shell(conv, patches.shell_write(ws.absolute(path), content))
        or _aider(conv, ws.relative(path), _known_text(conv, ws, path) or "", content, content)
    )


def edit_file(
    conv: Conversation, ws: Workspace, path: str, old: str, new: str, content: str | None = None
) -> Outcome | None:
    """The call that replaces the first `old` by `new` in `path` (`content`: the whole result)."""
    found = _find(conv, EDIT_TOOLS, PATH_KEYS, OLD_KEYS, NEW_KEYS)
    if found:
        return _file_call(conv, ws, found, "edit", path, old, new)
    current = _known_text(conv, ws, path)
    span = patches.replaced_lines(current, old, new) if current is not None else None
    rel = ws.relative(path)
    search, replace = span or (old, new)
    patch = patches.update_file_patch(rel, search, replace)
    if content is None and current is not None and old in current:
        content = current.replace(old, new, 1)
    writer = _find(conv, WRITE_TOOLS, PATH_KEYS, CONTENT_KEYS) if content is not None else None
    return (
        _apply_patch(conv, patch)
        or (
            _file_call(conv, ws, writer, "write", path, content or "", exists=True)
            if writer
            else None
        )
        or _shell(conv, patches.shell_replace(ws.absolute(path), old, new))
        or _aider(conv, rel, search, replace, content)
    )


def read_file(conv: Conversation, ws: Workspace, path: str) -> Outcome | None:
    found = _find(conv, READ_TOOLS, PATH_KEYS)
    if found:
        return _file_call(conv, ws, found, "read", path)
    return _shell(conv, f"cat {shlex.quote(ws.absolute(path))}")


# --- choosing a tool and its argument names ----------------------------------------------

_Found = tuple[Tool, tuple[str, ...]]


def _find(conv: Conversation, names: tuple[str, ...], *groups: tuple[str, ...]) -> _Found | None:
    """The first offered function tool among `names` whose schema has a key from each group."""
    for name in names:
        tool = conv.tool(name)
        if tool is None or tool.kind != "function":
            continue
        props = tool.properties
        keys = tuple(next((k for k in group if k in props), "") for group in groups)
        if all(keys):
            return tool, keys
    return None


def _file_call(
    conv: Conversation, ws: Workspace, found: _Found, verb: str, path: str, *values: str,
    exists: bool = True,
) -> Call:  # fmt: skip
    tool, keys = found
    target = ws.absolute(path)
    if verb != "read" and exists and conv.api != GEMINI and not _touched(conv, target):
        reader = _find(conv, READ_FIRST.get(tool.name, ()), PATH_KEYS)
        if reader:
            return Call(reader[0].name, {reader[1][0]: target}, aux=True)
    args: dict[str, Any] = dict(zip(keys, (target, *values), strict=True))
    if "command" in tool.properties:
        args["command"] = _COMMANDS[verb]
    return Call(tool.name, fill_required(tool, args))


def _touched(conv: Conversation, target: str) -> bool:
    """Whether an earlier call of this conversation read or wrote `target`."""
    return any(target in call.args.values() for call in conv.history)


def fill_required(tool: Tool, args: dict[str, Any]) -> dict[str, Any]:
    """Give required arguments the script does not know a harmless value of their type."""
    defaults = {"integer": 1, "number": 1, "boolean": False, "array": [], "object": {}}
    for key in tool.required:
        if key not in args:
            spec = tool.properties.get(key)
            spec = spec if isinstance(spec, dict) else {}
            if isinstance(spec.get("enum"), list) and spec["enum"]:
                args[key] = spec["enum"][0]
            else:
                kind = str(spec.get("type", "string")).lower()
                args[key] = defaults.get(kind, "Scripted edit by podium.")
    return args


def _apply_patch(conv: Conversation, patch: str) -> Call | None:
    tool = conv.tool("apply_patch")
    if tool is None:
        return None
    if tool.kind == "custom":
        return Call("apply_patch", input=patch)
    key = (
        "input"
        if "input" in tool.properties or not tool.properties
        else next(iter(tool.properties))
    )
    return Call("apply_patch", {key: patch})


def _shell(conv: Conversation, script: str) -> Call | None:
    for name in SHELL_TOOLS:
        tool = conv.tool(name)
        if tool is None or tool.kind != "function":
            continue
        props = tool.properties
        key = next((k for k in ("cmd", "command", "script") if k in props), "")
        key = key or ("cmd" if name == "exec_command" else "command")
        spec = props.get(key)
        is_argv = isinstance(spec, dict) and str(spec.get("type", "")).lower() == "array"
        return Call(
            name, fill_required(tool, {key: ["bash", "-lc", script] if is_argv else script})
        )
    return None


def _aider(
    conv: Conversation, rel: str, search: str, replace: str, whole: str | None
) -> Text | None:
    """aider's text edit (no tools offered, its system prompt names the edit format)."""
    fmt = patches.aider_format(conv.system)
    if conv.tools or fmt is None or (fmt == "whole" and whole is None):
        return None
    if fmt == "whole":
        return Text(patches.whole_file(conv.system, rel, whole or ""))
    return Text(patches.aider_edit(conv.system, rel, search, replace))


def _known_text(conv: Conversation, ws: Workspace, path: str) -> str | None:
    """The file's current text: from disk, else from the copy aider pasted into the chat."""
    current = ws.current(path)
    return current if current is not None else chat_copy(conv, ws.relative(path))


def chat_copy(conv: Conversation, rel: str) -> str | None:
    """The file's text as aider pasted it into the chat (`path` line, then a fenced copy)."""
    pattern = re.compile(rf"^{re.escape(rel)}\n(`{{3,}})[^\n]*\n(.*?)^\1[ \t]*$", re.M | re.S)
    copies = [m.group(2) for text in conv.user_texts for m in pattern.finditer(text)]
    return copies[-1] if copies else None
