"""Set one value in podium.toml's text, keeping everything else byte for byte. Pure.

A key's line is rewritten in place (its trailing comment kept when the old value was one
line); a missing key goes after the last line of its table; a missing table goes at the end.
The result is parsed again and must differ from the original only in that one value; when it
does not (dotted keys, inline tables, a value across lines with comments), `set_value` raises
`Unsupported` and the caller says which setting to change by hand.
"""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

BARE = re.compile(r"^[A-Za-z0-9_-]+$")
HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")


class Unsupported(Exception):
    """The text cannot be changed in place with certainty."""


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, int) or not value.is_integer() else f"{value:.1f}"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def toml_key(key: str) -> str:
    return key if BARE.match(key) else json.dumps(key)


def set_value(text: str, table: str, key: str, value: Any) -> str:
    """`text` with `[table] key = value` (table "" is the top level)."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    start, end = _region(lines, table)
    line = f"{toml_key(key)} = {toml_value(value)}\n"
    if start is None:
        gap = "\n" if lines and lines[-1].strip() else ""
        new = [*lines, gap, f"[{table}]\n", line]
    else:
        new = _set_in(lines, start, end, key, line)
    result = "".join(new)
    _verify(text, result, table, key, value)
    return result


def _region(lines: list[str], table: str) -> tuple[int | None, int]:
    """[start, end) of the lines of `table` (after its header); (None, 0) when it is absent."""
    start: int | None = 0 if table == "" else None
    for i, line in enumerate(lines):
        found = HEADER.match(line)
        if found is None:
            continue
        if start is not None:
            return start, i
        if found.group(1).replace('"', "") == table:
            start = i + 1
    return start, len(lines)


def _set_in(lines: list[str], start: int, end: int, key: str, line: str) -> list[str]:
    pattern = re.compile(rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\")\s*=(.*)$")
    for i in range(start, end):
        found = pattern.match(lines[i].rstrip("\n"))
        if found is None:
            continue
        old = found.group(1)
        comment = _comment(old)
        if not _balanced(old):
            raise Unsupported(f"{key} spans several lines")
        kept = f"  {comment}" if comment else ""
        return [*lines[:i], line.rstrip("\n") + kept + "\n", *lines[i + 1 :]]
    last = max((i for i in range(start, end) if lines[i].strip()), default=start - 1)
    return [*lines[: last + 1], line, *lines[last + 1 :]]


def _comment(value: str) -> str:
    """The `# ...` after a one-line value, outside strings."""
    quote = ""
    for i, ch in enumerate(value):
        if quote:
            quote = "" if ch == quote and value[i - 1] != "\\" else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return value[i:].strip()
    return ""


def _balanced(value: str) -> bool:
    code = value.split("#", 1)[0] if "#" in value and '"' not in value else value
    return code.count("[") == code.count("]") and code.count("{") == code.count("}")


def _verify(old: str, new: str, table: str, key: str, value: Any) -> None:
    try:
        before, after = tomllib.loads(old), tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:
        raise Unsupported(str(exc)) from None
    want = before
    place = want.setdefault(table, {}) if table else want
    if not isinstance(place, dict):
        raise Unsupported(f"[{table}] is not a table")
    place[key] = value
    if after != want:
        raise Unsupported(f"setting [{table}] {key} would change more than that value")
