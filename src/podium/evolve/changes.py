"""Proposals become new texts for podium.toml and the prompt template, with their diffs. Pure.

Prompt lines go under one "Lessons from earlier runs" heading at the end of the template.
When podium.toml names no template, the built-in one is written out as `podium-prompt.md`
(next to podium.toml) with the lessons added, and `[prompt] template` points at it.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from podium.agents.template import BUILT_IN
from podium.evolve.proposals import LESSONS, Proposal
from podium.evolve.tomledit import Unsupported, set_value

CONFIG = "podium.toml"
DEFAULT_TEMPLATE = "podium-prompt.md"


@dataclass(frozen=True)
class FileEdit:
    path: str  # relative to the repository root
    old: str | None  # None: the file does not exist yet
    new: str

    def diff(self) -> str:
        old = (self.old or "").splitlines(keepends=True)
        lines = difflib.unified_diff(
            old,
            self.new.splitlines(keepends=True),
            f"a/{self.path}" if self.old is not None else "/dev/null",
            f"b/{self.path}",
        )
        return "".join(lines)


@dataclass(frozen=True)
class Edits:
    files: tuple[FileEdit, ...]
    by_hand: tuple[str, ...] = ()  # settings that could not be written in place, and why


def plan_edits(
    config_text: str | None, template_path: str, template_text: str, proposals: Sequence[Proposal]
) -> Edits:
    """The edits that carry out `proposals`; `config_text` None when there is no podium.toml."""
    text, by_hand = config_text or "", []
    for p in proposals:
        if p.setting is None:
            continue
        table, key, value = p.setting
        try:
            text = set_value(text, table, key, value)
        except Unsupported as exc:
            by_hand.append(f"{p.key}: set [{table}] {key} = {value!r} by hand ({exc})")
    lines = [p.prompt_line for p in proposals if p.prompt_line]
    files = []
    if lines:
        path = template_path or DEFAULT_TEMPLATE
        old = template_text if template_path else None
        files.append(FileEdit(path, old, add_lessons(template_text or BUILT_IN, lines)))
        if not template_path:
            try:
                text = set_value(text, "prompt", "template", path)
            except Unsupported as exc:
                by_hand.append(f'set [prompt] template = "{path}" by hand ({exc})')
    if text != (config_text or ""):
        files.insert(0, FileEdit(CONFIG, config_text, text))
    return Edits(tuple(files), tuple(by_hand))


def add_lessons(template: str, lines: Sequence[str]) -> str:
    """The template with `lines` under its lessons heading (added at the end when missing)."""
    body = template.rstrip("\n") + "\n"
    if LESSONS not in body:
        body += f"\n{LESSONS}\n"
    escaped = [line.replace("{", "{{").replace("}", "}}") for line in lines]
    return body + "".join(f"- {line}\n" for line in escaped)
