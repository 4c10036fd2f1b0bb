"""Shared pieces of the JSON-lines adapters: lines, rate-limit times, availability, verdicts.

Claude Code, Codex, Gemini CLI and Qwen Code print one JSON object a line. The helpers here
never raise on odd input: a line that is not a JSON object is plain text, a missing field is
empty. Reset times are read from what the CLIs print on HTTP 429 (see `reset_time`).
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from podium.agents import tools
from podium.agents.base import AgentEvent, Availability, Verdict
from podium.config import AgentConfig

_ARG_KEYS = ("file_path", "path", "filePath", "absolute_path", "command", "cmd", "pattern", "query")


def json_object(line: str) -> dict[str, Any] | None:
    """The line as a JSON object, or None when it is anything else."""
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def as_str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def clip(text: str, limit: int = 200) -> str:
    """One line of at most `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def plain(line: str) -> list[AgentEvent]:
    """A line that is not an event of the CLI: text, unless it is blank."""
    return [AgentEvent("text", line)] if line.strip() else []


def tool_event(name: str, args: Any) -> AgentEvent:
    """A tool call as `Write /repo/src/a.py`: the name and its most telling argument."""
    args = as_dict(args)
    for key in (*_ARG_KEYS, "url", "description", "prompt"):
        value = args.get(key)
        if isinstance(value, list):
            value = " ".join(str(v) for v in value)
        if isinstance(value, str) and value:
            return AgentEvent("tool", f"{name} {clip(value, 120)}")
    return AgentEvent("tool", name)


def message_events(message: Any) -> list[AgentEvent]:
    """Text and tool calls of an Anthropic-shaped message (Claude Code, Qwen Code)."""
    events = []
    content = as_dict(message).get("content")
    for block in content if isinstance(content, list) else []:
        block = as_dict(block)
        if block.get("type") == "text" and as_str(block.get("text")):
            events.append(AgentEvent("text", as_str(block.get("text"))))
        elif block.get("type") == "tool_use":
            events.append(tool_event(as_str(block.get("name")), block.get("input")))
    return events


_LIMITED = re.compile(
    r"\b429\b|rate.?limit|usage limit|quota|too many requests|resource.?exhausted", re.I
)
_EPOCH = re.compile(r"\|(\d{10})\b")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?")
_AFTER = re.compile(
    r"(?:retry|try again|resets?)\s+(?:after|in)\s+((?:\d+(?:\.\d+)?\s*(?:ms|[hms])\s*)+)", re.I
)
_UNIT = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|[hms])", re.I)
_SECONDS = {"ms": 0.001, "h": 3600.0, "m": 60.0, "s": 1.0}
_CLOCK = re.compile(
    r"(?:try again at|until|resets? at)\s+(?:([A-Z][a-z]{2}) (\d{1,2})(?:st|nd|rd|th)?,? (\d{4}) )?"
    r"(\d{1,2}):(\d{2})\s*([AP]M)?\s*(UTC)?",
    re.I,
)


def is_rate_limit(text: str) -> bool:
    return bool(_LIMITED.search(text))


def reset_time(text: str, now: float) -> float | None:
    """When a rate limit ends, as epoch seconds, from a CLI's message; None if it says not.

    Understood: `...|1767225600` (epoch), ISO 8601 times, `retry after 30s` / `resets in 2h3m`,
    and `try again at 8:22 AM` / `Nov 26th, 2026 8:23 AM` / `until 12:30 UTC` (local time
    unless UTC is named: the agent runs in podium's own time zone).
    """
    if match := _EPOCH.search(text):
        return float(match.group(1))
    if match := _ISO.search(text):
        with_zone = match.group(0).replace("Z", "+00:00")
        stamp = datetime.fromisoformat(with_zone)
        return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()
    if match := _AFTER.search(text):
        units = _UNIT.findall(match.group(1))
        return now + sum(float(n) * _SECONDS[u.lower()] for n, u in units)
    if match := _CLOCK.search(text):
        return _clock(match, now)
    return None


def _clock(match: re.Match[str], now: float) -> float | None:
    month, day, year, hour, minute, half, utc = match.groups()
    h = int(hour)
    if half:
        h = h % 12 + (12 if half.upper() == "PM" else 0)
    zone = UTC if utc else None
    base = datetime.fromtimestamp(now, zone)
    try:
        if year:
            base = datetime.strptime(f"{month} {day} {year}", "%b %d %Y").replace(tzinfo=zone)
        stamp = base.replace(hour=h, minute=int(minute), second=0, microsecond=0)
    except ValueError:
        return None
    if not year and stamp.timestamp() < now - 60:
        stamp += timedelta(days=1)
    return stamp.timestamp()


def rate_limit(text: str, now: float) -> AgentEvent:
    return AgentEvent("rate_limit", clip(text, 500), reset_at=reset_time(text, now))


def describe_reset(reset_at: float, now: float) -> str:
    stamp = datetime.fromtimestamp(reset_at, UTC)
    near = abs(reset_at - now) < 20 * 3600
    return "until " + stamp.strftime("%H:%M UTC" if near else "%Y-%m-%d %H:%M UTC")


def judge(agent: str, exit_code: int, events: Sequence[AgentEvent], now: float) -> Verdict:
    """Success is exit 0 and a final result that is not an error; else the likeliest cause."""
    results = [e for e in events if e.kind == "result"]
    if exit_code == 0 and results and not results[-1].is_error:
        return Verdict(True)
    return Verdict(False, f"{agent}: {failure(exit_code, events, now)}")


def failure(exit_code: int, events: Sequence[AgentEvent], now: float) -> str:
    limits = [e for e in events if e.kind == "rate_limit"]
    errors = [e for e in events if e.kind == "error"]
    results = [e for e in events if e.kind == "result" and e.text]
    if limits:
        resets = [e.reset_at for e in limits if e.reset_at]
        if resets:
            return "rate limited " + describe_reset(resets[-1], now)
        return "rate limited: " + clip((errors or limits)[-1].text)
    if errors:
        return clip(errors[-1].text)
    if results and results[-1].is_error:
        return clip(results[-1].text)
    if exit_code == 0:
        return "ended without a final result"
    return f"exited with status {exit_code}"


def api_key(config: AgentConfig | None, default_var: str) -> str | None:
    """The key from the variable podium.toml names, else from the CLI's usual variable."""
    var = config.api_key_env if config and config.api_key_env else default_var
    return os.environ.get(var) or None


def key_env(config: AgentConfig | None, default_var: str, target: str) -> dict[str, str]:
    key = api_key(config, default_var)
    return {target: key} if key else {}


def executable(name: str, config: AgentConfig | None) -> str:
    """What argv[0] should be: the configured binary, else the CLI found on PATH or in
    podium's tools directory, else its bare name (which then fails to start, and says so)."""
    if config and config.bin:
        return config.bin
    return tools.find(name) or name


def check(
    name: str, config: AgentConfig | None, minimum: tuple[int, int], key_var: str
) -> Availability:
    """Installed, at least `minimum` (major, minor), and a key to give it."""
    path = tools.find(executable(name, config))
    if path is None:
        return Availability(False, why=tools.not_installed(name))
    version, problem = probe_version(path)
    if problem:
        return Availability(False, why=problem)
    numbers = tuple(int(n) for n in version.split(".")[:2])
    if numbers < minimum:
        need = ".".join(map(str, minimum))
        return Availability(False, version, f"too old: {version}, podium needs {need} or newer")
    if config and config.api_key_env and not os.environ.get(config.api_key_env):
        why = f"not authenticated: set {config.api_key_env} ([agents.{name}] api_key_env)"
        return Availability(False, version, why)
    if not (config and config.api_key_env) and not os.environ.get(key_var):
        why = f"not authenticated: set {key_var} or [agents.{name}] api_key_env"
        return Availability(False, version, why)
    return Availability(True, version)


@functools.cache
def probe_version(path: str) -> tuple[str, str]:
    """(version, "") from `path --version`, or ("", why not); asked once per binary."""
    with tempfile.TemporaryDirectory(prefix="podium-probe-") as home:
        env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": home, "NO_COLOR": "1"}
        env |= {"DISABLE_AUTOUPDATER": "1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"}
        try:
            done = subprocess.run(
                [path, "--version"],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=10,
                env=env,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return "", f"`{path} --version` failed: {exc}"
    found = re.search(r"\b(\d+)\.(\d+)\.(\d+)", done.stdout)
    if done.returncode != 0 or found is None:
        said = clip(done.stderr or done.stdout or f"exit status {done.returncode}", 160)
        return "", f"`{path} --version` failed: {said}"
    return found.group(0), ""
