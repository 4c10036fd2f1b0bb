"""The agent prompt as a template: named placeholders, checked where the template is read.

A template is text with `{name}` placeholders (`{{` and `}}` for literal braces). `{goal}` is the
task's goal; every other placeholder is a block of whole lines ending in a newline, or nothing
when it does not apply, so a template puts them back to back (see `BUILT_IN`). The rendered text
is stripped and ends in one newline. Pure: no files are read here.
"""

from __future__ import annotations

import string

from podium.errors import ConfigError

PLACEHOLDERS = (
    "goal",  # the task's goal, one paragraph
    "description",  # the task's description and a blank line
    "files",  # "Change only these paths (globs): ..." line
    "role",  # "Your role: ..." line
    "constraints",  # the plan's constraints, one a line
    "checks",  # a blank line and "Your work is accepted only if: ..."
    "note",  # a blank line and podium's note about the previous attempt
    "task_id",  # the task's id, bare
)

WORK_RULES = (
    "Work in the current directory (a git worktree of its own). You may commit; "
    "anything left uncommitted is committed for you when you finish.\n"
)
BUILT_IN = "{goal}\n\n{description}{files}{role}{constraints}{checks}{note}\n" + WORK_RULES.replace(
    "{", "{{"
).replace("}", "}}")


def check_template(text: str, where: str) -> None:
    """Raise a located `ConfigError` for a placeholder podium does not fill or a stray brace."""
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            parts = list(string.Formatter().parse(line))
        except ValueError as exc:
            hint = "write {{ or }} for a literal brace"
            raise ConfigError(f"{where}:{number}: {exc} ({hint})") from None
        for _, name, spec, conversion in parts:
            if name is None:
                continue
            column = line.find("{" + name) + 1
            if name not in PLACEHOLDERS or spec or conversion:
                written = (
                    name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
                )
                raise ConfigError(
                    f"{where}:{number}:{column}: unknown placeholder {{{written}}} "
                    f"(known: {', '.join('{' + p + '}' for p in PLACEHOLDERS)})"
                )


def render(template: str, values: dict[str, str]) -> str:
    """The template with its placeholders filled (checked beforehand by `check_template`)."""
    return template.format_map(values).strip() + "\n"
