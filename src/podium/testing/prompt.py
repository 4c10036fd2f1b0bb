"""Facts read from the prompt text: working directory, tag, inline script, injected faults."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from typing import Any

from podium.testing.requests import Conversation

_PATH = r"[`'\"]?(/[^\s`'\"]*)"
# How the CLIs state their working directory: Codex; Claude Code, opencode, Copilot
# ("Current working directory:"); Gemini/Qwen, old and new; others.
_CWD_PATTERNS = (
    re.compile(r"<cwd>\s*([^<\n]+?)\s*</cwd>"),
    re.compile(r"[Ww]orking directory(?: is)?:\s*" + _PATH),
    re.compile(r"working in the directory:?\s*" + _PATH),
    re.compile(r"Workspace Directories:\**\s*\n\s*-\s*" + _PATH),
    re.compile(r"[Cc]urrent directory(?: is)?:?\s*" + _PATH),
    re.compile(r"\bcwd:\s*" + _PATH),
)
_TAG = re.compile(r"PODIUM-TAG:\s*([\w.:/@+-]+)")
_DIRECTIVE = re.compile(r"PODIUM-SCRIPT:\s*")
_HTTP_ERROR = re.compile(r"FAKE_HTTP_ERROR=(\d{3})")
_STALL = re.compile(r"FAKE_STALL=(\d+(?:\.\d+)?)")
_ABS_PATH = re.compile(r"(?<![\w./~-])(/[\w.+@%=,-]+(?:/[\w.+@%=,-]+)*)")


def find_cwd(conv: Conversation) -> str | None:
    """The agent's working directory as its prompt states it, or None (surer forms first)."""
    for pattern in _CWD_PATTERNS:
        for text in (conv.system, *conv.user_texts):
            match = pattern.search(text)
            if match:
                return match.group(1).rstrip(".,;:)")
    return None


def find_tag(conv: Conversation) -> str | None:
    """The value of the last `PODIUM-TAG: xyz` line in the user's text."""
    tags = [m.group(1) for text in conv.user_texts for m in _TAG.finditer(text)]
    return tags[-1] if tags else None


def find_directive(conv: Conversation) -> Any:
    """The JSON after the last `PODIUM-SCRIPT:` in the user's text (None when absent or invalid).

    opencode's `run` quotes a prompt that has spaces, escaping its double quotes: a JSON that
    only parses with `\\"` read as `"` is accepted too.
    """
    decoder = json.JSONDecoder()
    for text in reversed(conv.user_texts):
        for match in reversed(list(_DIRECTIVE.finditer(text))):
            for candidate in (text, text[: match.end()] + text[match.end() :].replace('\\"', '"')):
                try:
                    return decoder.raw_decode(candidate, match.end())[0]
                except ValueError:
                    continue
    return None


def find_faults(conv: Conversation) -> tuple[int | None, float]:
    """(`FAKE_HTTP_ERROR` status, `FAKE_STALL` seconds) injected through the prompt."""
    text = "\n".join(conv.user_texts)
    status = _HTTP_ERROR.search(text)
    stall = _STALL.search(text)
    return (int(status.group(1)) if status else None, float(stall.group(1)) if stall else 0.0)


def find_target_path(
    conv: Conversation, is_dir: Callable[[str], bool] = os.path.isdir
) -> str | None:
    """The last absolute path in the prompt whose directory exists (dot-files skipped).

    Agents put their own context paths before the user's prompt, so the last one is the
    user's; a path that is itself a directory (a cwd, a repo root) is not a target.
    """
    for match in reversed(list(_ABS_PATH.finditer(conv.prompt))):
        path = match.group(1).rstrip(".,;:")
        name = os.path.basename(path)
        if name and not name.startswith(".") and not is_dir(path) and is_dir(os.path.dirname(path)):
            return path
    return None
