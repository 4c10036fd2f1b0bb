"""The script: rules (`match` -> `reply`), first match wins, each usable `times` times."""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from podium.testing.outcomes import Failure, Hang, Text
from podium.testing.prompt import find_tag
from podium.testing.requests import APIS, Conversation

DEFAULT_PATH = "hello.py"
DEFAULT_CONTENT = 'def hello(name: str = "world") -> str:\n    return f"hello, {name}"\n'


class ScriptError(ValueError):
    """A script (rule list, JSON file or PODIUM-SCRIPT line) is malformed."""


@dataclass(frozen=True)
class WriteFile:
    path: str
    content: str


@dataclass(frozen=True)
class EditFile:
    path: str
    old: str
    new: str
    content: str | None = None


@dataclass(frozen=True)
class ReadFile:
    path: str


@dataclass(frozen=True)
class ToolUse:
    """Call a named tool with `args` (function tools) or `input` (freeform tools)."""

    name: str
    args: dict[str, Any] | None = None
    input: str | None = None


@dataclass(frozen=True)
class JsonValue:
    value: Any


@dataclass(frozen=True)
class Delay:
    seconds: float
    then: Reply | None = None


@dataclass(frozen=True)
class Steps:
    """Replies played one per turn; `then_text` once the last tool call's result is back."""

    steps: tuple[Reply, ...]
    then_text: str | None = None


Reply = (
    WriteFile | EditFile | ReadFile | ToolUse | Text | JsonValue | Failure | Hang | Delay | Steps
)


@dataclass(frozen=True)
class Match:
    """Conditions on the normalised request; all given ones must hold."""

    last_user: str | None = None
    last_user_regex: re.Pattern[str] | None = None
    any_user: str | None = None
    any_user_regex: re.Pattern[str] | None = None
    api: tuple[str, ...] = ()
    model: str | None = None
    tag: str | None = None
    has_tool_result: bool | None = None
    wants_json: bool | None = None
    turn: int | None = None
    has_tool: str | None = None

    def matches(self, conv: Conversation) -> bool:
        everything = "\n".join(conv.user_texts)
        checks = (
            self.last_user is None or self.last_user in conv.prompt,
            self.last_user_regex is None or bool(self.last_user_regex.search(conv.prompt)),
            self.any_user is None or self.any_user in everything,
            self.any_user_regex is None or bool(self.any_user_regex.search(everything)),
            not self.api or conv.api in self.api,
            self.model is None or self.model in conv.model,
            self.has_tool_result is None or self.has_tool_result == conv.has_tool_result,
            self.wants_json is None or self.wants_json == bool(conv.json_mode),
            self.turn is None or self.turn == conv.turn,
            self.has_tool is None or conv.tool(self.has_tool) is not None,
        )
        return all(checks) and (self.tag is None or self.tag == find_tag(conv))


@dataclass(frozen=True)
class Rule:
    match: Match
    reply: Reply
    times: int | None = None


@dataclass
class Script:
    """Rules plus the file the fallback rule writes; `pick` is safe to call from many threads."""

    rules: tuple[Rule, ...] = ()
    default_path: str = DEFAULT_PATH
    default_content: str = DEFAULT_CONTENT
    _used: list[int] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def pick(self, conv: Conversation) -> tuple[list[float], Reply | None]:
        """(delays to sleep first, the reply of the first matching rule or None)."""
        delays: list[float] = []
        for index, rule in enumerate(self.rules):
            if not rule.match.matches(conv) or not self._take(index, rule.times):
                continue
            reply: Reply | None = rule.reply
            while isinstance(reply, Delay):
                delays.append(reply.seconds)
                reply = reply.then
            if reply is not None:
                return delays, reply
        return delays, None

    def _take(self, index: int, times: int | None) -> bool:
        with self._lock:
            if len(self._used) < len(self.rules):
                self._used.extend([0] * (len(self.rules) - len(self._used)))
            if times is not None and self._used[index] >= times:
                return False
            self._used[index] += 1
            return True


ScriptSource = Script | Sequence[Any] | Mapping[str, Any] | str | os.PathLike[str] | None


def load_script(source: ScriptSource) -> Script:
    """A `Script` from a Script, a rule list, a `{"rules": [...]}` mapping or a JSON file path."""
    if source is None:
        return Script()
    if isinstance(source, Script):
        return source
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        try:
            with open(path, encoding="utf-8") as handle:
                source = json.load(handle)
        except (OSError, ValueError) as exc:
            raise ScriptError(f"{path}: cannot read script: {exc}") from exc
    if isinstance(source, Mapping):
        default = source.get("default_file") or {}
        rules = parse_rules(source.get("rules") or [])
        return Script(
            rules,
            str(default.get("path", DEFAULT_PATH)),
            str(default.get("content", DEFAULT_CONTENT)),
        )
    return Script(parse_rules(source))


def parse_rules(items: Any) -> tuple[Rule, ...]:
    if not isinstance(items, Sequence) or isinstance(items, str):
        raise ScriptError("a script is a list of rules")
    return tuple(_parse_rule(i, item) for i, item in enumerate(items, start=1))


_MATCH_KEYS = {f for f in Match.__dataclass_fields__}


def _parse_rule(number: int, item: Any) -> Rule:
    where = f"rule {number}"
    if not isinstance(item, Mapping) or "reply" not in item:
        raise ScriptError(f"{where}: expected an object with 'reply' (and 'match', 'times')")
    unknown = set(item) - {"match", "reply", "times", "then_text"}
    if unknown:
        raise ScriptError(
            f"{where}: unknown key(s) {sorted(unknown)} (known: match, reply, times, then_text)"
        )
    reply = parse_reply(item["reply"], where)
    if item.get("then_text") is not None:
        reply = _with_then_text(reply, str(item["then_text"]))
    times = item.get("times")
    if times is not None and (not isinstance(times, int) or times < 0):
        raise ScriptError(f"{where}: 'times' must be a non-negative integer")
    return Rule(_parse_match(item.get("match") or {}, where), reply, times)


def _parse_match(raw: Any, where: str) -> Match:
    if not isinstance(raw, Mapping):
        raise ScriptError(f"{where}: 'match' must be an object")
    unknown = set(raw) - _MATCH_KEYS
    if unknown:
        known = ", ".join(sorted(_MATCH_KEYS))
        raise ScriptError(f"{where}: unknown match key(s) {sorted(unknown)} (known: {known})")
    values = dict(raw)
    for key in ("last_user_regex", "any_user_regex"):
        if key in values:
            try:
                values[key] = re.compile(values[key])
            except (re.error, TypeError) as exc:
                raise ScriptError(f"{where}: bad {key}: {exc}") from exc
    api = values.get("api", ())
    values["api"] = (api,) if isinstance(api, str) else tuple(api)
    if not set(values["api"]) <= set(APIS):
        raise ScriptError(f"{where}: unknown api {values['api']} (known: {', '.join(APIS)})")
    return Match(**values)


_KINDS = (
    "write_file",
    "edit_file",
    "read_file",
    "tool",
    "text",
    "json",
    "error",
    "delay",
    "hang",
    "steps",
)


def parse_reply(raw: Any, where: str = "reply") -> Reply:
    """A reply from its JSON form: an object with one kind key, or a list of steps."""
    if isinstance(raw, list):
        steps: list[Reply] = []
        for i, item in enumerate(raw, start=1):
            step = parse_reply(item, f"{where} step {i}")
            steps.extend(
                step.steps if isinstance(step, Steps) and step.then_text is None else [step]
            )
        return Steps(tuple(steps))
    if not isinstance(raw, Mapping):
        raise ScriptError(f'{where}: a reply is an object like {{"text": "hi"}} or a list of them')
    kinds = [k for k in raw if k != "then_text"]
    if len(kinds) != 1 or kinds[0] not in _KINDS:
        raise ScriptError(
            f"{where}: expected exactly one of {', '.join(_KINDS)}; got {sorted(raw)}"
        )
    reply = _parse_kind(kinds[0], raw[kinds[0]], where)
    then_text = raw.get("then_text")
    return reply if then_text is None else _with_then_text(reply, str(then_text))


def _with_then_text(reply: Reply, text: str) -> Steps:
    steps = reply.steps if isinstance(reply, Steps) else (reply,)
    return Steps(steps, text)


def _parse_kind(kind: str, value: Any, where: str) -> Reply:
    try:
        return _build(kind, value, where)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, ScriptError):
            raise
        raise ScriptError(f"{where}: bad {kind!r} reply {value!r}: {exc!r}") from exc


def _build(kind: str, value: Any, where: str) -> Reply:
    if kind == "write_file":
        return WriteFile(str(value["path"]), str(value["content"]))
    if kind == "edit_file":
        content = value.get("content")
        return EditFile(str(value["path"]), str(value["old"]), str(value["new"]), content)
    if kind == "read_file":
        return ReadFile(str(value["path"]))
    if kind == "tool":
        return ToolUse(str(value["name"]), value.get("args"), value.get("input"))
    if kind == "text":
        return Text(value if isinstance(value, str) else str(value["text"]))
    if kind == "json":
        return JsonValue(value["value"])
    if kind == "error":
        return _error(value)
    if kind == "delay":
        then = value.get("then")
        return Delay(float(value["seconds"]), None if then is None else parse_reply(then, where))
    if kind == "steps":
        return parse_reply(value if isinstance(value, list) else [value], where)
    return Hang()


def _error(value: Any) -> Failure:
    if isinstance(value, int):
        return Failure(value)
    headers = {str(k): str(v) for k, v in (value.get("headers") or {}).items()}
    return Failure(
        int(value["status"]),
        str(value.get("message", "")),
        value.get("body"),
        headers,
        float(value.get("retry_after", 1.0)),
    )
