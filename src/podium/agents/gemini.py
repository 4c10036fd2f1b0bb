"""Gemini CLI (`gemini`, pinned 0.61.0): headless stream-json, every tool call approved.

Launch: `gemini --output-format stream-json --approval-mode yolo -m M [args] --prompt=PROMPT`
(the `=` form keeps a prompt that starts with `-` a prompt). HOME/.gemini/settings.json sets
the auth type to `gemini-api-key` (with a base URL and no auth type, 0.61 picks `gateway` and
exits 41), turns usage statistics, telemetry and update checks off, and allows 3 attempts per
model request (`general.maxAttempts`, at most 10; 429s and 5xx are retried with backoff).
GEMINI_CLI_TRUST_WORKSPACE=true, else yolo is silently downgraded in an untrusted folder.
The key goes into GEMINI_API_KEY (read from `api_key_env`, default GEMINI_API_KEY); `base_url`
into GOOGLE_GEMINI_BASE_URL as given, without a version (the SDK appends
`/v1beta/models/...`). TMPDIR is the attempt's own, since Gemini writes a
`gemini-client-error-*.json` report there on every API error. Settings of the repository's
own `.gemini/settings.json` override these (e.g. `{"general": {"maxAttempts": 1}}`), so does
a file named by GEMINI_CLI_SYSTEM_SETTINGS_PATH (in `env`), but Gemini skips that one when
any directory above it is writable by others, such as /tmp. 0.61 renamed
`general.disableAutoUpdate`/`disableUpdateNag` (the names in older docs) to
`enableAutoUpdate`/`enableAutoUpdateNotification` and rewrites files that use the old ones.

Usage is the `result` event's `stats` (no cost: podium's price table). Exit codes: 0 ok,
1 general or API error, 41 auth, 42 input, 53 turn limit, and on an HTTP error the status
mod 256 (429 -> 173, 500 -> 244). A 429 ends in "Suggested retry after 3600s." (read here as
the reset time); one whose delay exceeds 300 s is not retried.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from podium.agents import streamjson as sj
from podium.agents.base import AgentEvent, Availability, Job, Launch, Verdict
from podium.config import AgentConfig

NAME = "gemini"
KEY_VAR = "GEMINI_API_KEY"
MINIMUM = (0, 61)
DEFAULT_MODEL = "gemini-2.5-pro"
SETTINGS = {
    "security": {"auth": {"selectedType": "gemini-api-key"}},
    "privacy": {"usageStatisticsEnabled": False},
    "telemetry": {"enabled": False},
    "general": {
        "enableAutoUpdate": False,
        "enableAutoUpdateNotification": False,
        "maxAttempts": 3,
    },
}
EXIT_MEANINGS = {41: "authentication failed", 42: "bad input", 53: "turn limit reached"}


class GeminiAdapter:
    name = NAME

    def available(self, config: AgentConfig | None = None) -> Availability:
        return sj.check(NAME, config, MINIMUM, KEY_VAR)

    def launch(self, job: Job) -> Launch:
        config = job.config or AgentConfig()
        model = job.model or config.model or DEFAULT_MODEL
        home = Path(job.home)
        env = {
            "GEMINI_CLI_TRUST_WORKSPACE": "true",
            "TMPDIR": str(home / "tmp"),
            **sj.key_env(config, KEY_VAR, KEY_VAR),
        }
        if config.base_url:
            env["GOOGLE_GEMINI_BASE_URL"] = config.base_url
        env.update(config.env)
        argv = (
            sj.executable(NAME, config),
            "--output-format",
            "stream-json",
            "--approval-mode",
            "yolo",
            "-m",
            model,
            *config.args,
            f"--prompt={job.prompt}",
        )
        files = {
            str(home / ".gemini" / "settings.json"): json.dumps(SETTINGS, indent=2) + "\n",
            str(home / "tmp" / ".keep"): "",
        }
        return Launch(argv=argv, env=env, files=files, model=model)

    def parse(self, line: str) -> Sequence[AgentEvent]:
        return parse_line(line, time.time())

    def verdict(self, exit_code: int, events: Sequence[AgentEvent]) -> Verdict:
        return judge(exit_code, events, time.time())


def parse_line(line: str, now: float) -> list[AgentEvent]:
    """One stream-json line as podium events; `now` dates relative reset times."""
    obj = sj.json_object(line)
    if obj is None:
        return sj.plain(line)
    kind = obj.get("type")
    if kind == "message" and obj.get("role") == "assistant":
        text = sj.as_str(obj.get("content"))
        return [AgentEvent("text", text)] if text else []
    if kind == "tool_use":
        return [sj.tool_event(sj.as_str(obj.get("tool_name")), obj.get("parameters"))]
    if kind == "error":
        message = sj.as_str(obj.get("message"))
        if obj.get("severity") == "error":
            return [AgentEvent("error", message)]
        return [AgentEvent("text", message)]
    if kind == "result":
        return _result(obj, now)
    return []


def _result(obj: dict[str, Any], now: float) -> list[AgentEvent]:
    stats = sj.as_dict(obj.get("stats"))
    events = [
        AgentEvent(
            "usage",
            input_tokens=sj.as_int(stats.get("input_tokens")),
            output_tokens=sj.as_int(stats.get("output_tokens")),
        )
    ]
    if obj.get("status") == "success":
        return [*events, AgentEvent("result", "success")]
    message = sj.as_str(sj.as_dict(obj.get("error")).get("message")) or "error"
    found = api_error(message)
    status, detail = found if found else (None, message)
    prefix = f"API error {status}" if status else "API error" if found else "error"
    events.append(AgentEvent("error", f"{prefix}: {sj.clip(detail)}"))
    if status == 429 or (status is None and sj.is_rate_limit(message)):
        events.append(sj.rate_limit(message, now))
    return [*events, AgentEvent("result", message, is_error=True)]


_API_ERROR = re.compile(r"\[API Error:\s*(.*?)\](?:\s|$)", re.S)


def api_error(text: str) -> tuple[int | None, str] | None:
    """`[API Error: 500 msg]` or `[API Error: {"error": {...}}]`: how Gemini CLI (and its
    fork Qwen Code) reports a failed model request; the status, if any, and the message."""
    match = _API_ERROR.search(text)
    if match is None:
        return None
    inner = match.group(1).strip()
    body = sj.as_dict(sj.json_object(inner)).get("error")
    if isinstance(body, dict):
        return sj.as_int(body.get("code")) or None, sj.as_str(body.get("message")) or inner
    status = re.match(r"(\d{3})\b\s*", inner)
    if status:
        return int(status.group(1)), inner[status.end() :]
    return None, inner


def exit_meaning(exit_code: int) -> str:
    if 144 <= exit_code <= 255:  # an HTTP status 400-511, mod 256
        return f"HTTP {exit_code + 256}"
    return EXIT_MEANINGS.get(exit_code, "")


def judge(exit_code: int, events: Sequence[AgentEvent], now: float) -> Verdict:
    verdict = sj.judge(NAME, exit_code, events, now)
    meaning = exit_meaning(exit_code)
    if verdict.ok or not meaning or meaning.removeprefix("HTTP ") in verdict.reason:
        return verdict
    return Verdict(False, f"{verdict.reason} ({meaning})")
