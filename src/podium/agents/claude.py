"""Claude Code (`claude -p`, pinned 2.1.197): headless, stream-json, file edits auto-approved.

Launch: `claude -p --output-format stream-json --verbose --permission-mode acceptEdits
--model M [args] -- PROMPT`. `acceptEdits` approves file edits only (Bash calls are denied and
listed in `result.permission_denials`); `bypassPermissions` would allow everything but refuses
to run as root unless IS_SANDBOX=1. Widen with `args = ["--allowedTools", "Bash"]`.

Environment: the key goes into ANTHROPIC_API_KEY (read from `api_key_env`, default
ANTHROPIC_API_KEY); `base_url` into ANTHROPIC_BASE_URL as given, without `/v1` (the client
posts to `<base>/v1/messages`); CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC, DISABLE_TELEMETRY,
DISABLE_ERROR_REPORTING and DISABLE_AUTOUPDATER are set; CLAUDE_CODE_MAX_RETRIES=2 (override
it in `env`).

Usage is the final `result` event's `usage` (input counts cache reads and writes too) and
`total_cost_usd`, Claude Code's own figure. The exit code is 1 on an API error with
`subtype: "success"` and `is_error: true`, so `is_error` decides. A 429 shows as
`system/api_retry` with `retry_delay_ms` (the server's retry-after) while retries remain;
the final result says only "Request rejected (429)". A retry-after too long to wait is not
retried at all, so no reset time. `rate_limit_event` (with `resetsAt`) is read too: it comes
from the `anthropic-ratelimit-unified-*` headers of claude.ai subscriptions; with an API key
and those headers set, 2.1.197 printed none.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

from podium.agents import streamjson as sj
from podium.agents.base import AgentEvent, Availability, Job, Launch, Verdict
from podium.config import AgentConfig

NAME = "claude"
KEY_VAR = "ANTHROPIC_API_KEY"
MINIMUM = (2, 1)
DEFAULT_MODEL = "claude-sonnet-4-5"
QUIET = {
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    "DISABLE_TELEMETRY": "1",
    "DISABLE_ERROR_REPORTING": "1",
    "DISABLE_AUTOUPDATER": "1",
    "CLAUDE_CODE_MAX_RETRIES": "2",
}


class ClaudeAdapter:
    name = NAME

    def available(self, config: AgentConfig | None = None) -> Availability:
        return sj.check(NAME, config, MINIMUM, KEY_VAR)

    def launch(self, job: Job) -> Launch:
        config = job.config or AgentConfig()
        model = job.model or config.model or DEFAULT_MODEL
        env = {**QUIET, **sj.key_env(config, KEY_VAR, KEY_VAR)}
        if config.base_url:
            env["ANTHROPIC_BASE_URL"] = config.base_url
        env.update(config.env)
        argv = (
            sj.executable(NAME, config),
            "-p",
            "--output-format",
            "stream-json",
            "--verbose",
            "--permission-mode",
            "acceptEdits",
            "--model",
            model,
            *config.args,
            "--",
            job.prompt,
        )
        return Launch(argv=argv, env=env, model=model)

    def parse(self, line: str) -> Sequence[AgentEvent]:
        return parse_line(line, time.time())

    def verdict(self, exit_code: int, events: Sequence[AgentEvent]) -> Verdict:
        return sj.judge(NAME, exit_code, events, time.time())


def parse_line(line: str, now: float) -> list[AgentEvent]:
    """One stream-json line as podium events; `now` dates relative reset times."""
    obj = sj.json_object(line)
    if obj is None:
        return sj.plain(line)
    kind = obj.get("type")
    if kind == "assistant":
        return sj.message_events(obj.get("message"))
    if kind == "system" and obj.get("subtype") == "api_retry":
        return _retry(obj, now)
    if kind == "rate_limit_event":
        info = sj.as_dict(obj.get("rate_limit_info"))
        if info.get("status") == "rejected":
            reset = sj.as_int(info.get("resetsAt")) or None
            text = f"usage limit reached ({sj.as_str(info.get('rateLimitType')) or 'unknown'})"
            return [AgentEvent("rate_limit", text, reset_at=reset)]
        return []
    if kind == "result":
        return _result(obj, now)
    return []


def _retry(obj: dict[str, Any], now: float) -> list[AgentEvent]:
    status = sj.as_int(obj.get("error_status"))
    attempt = f"{sj.as_int(obj.get('attempt'))}/{sj.as_int(obj.get('max_retries'))}"
    if status == 429:
        delay = obj.get("retry_delay_ms")
        reset = now + float(delay) / 1000 if isinstance(delay, int | float) else None
        return [AgentEvent("rate_limit", f"HTTP 429, retry {attempt}", reset_at=reset)]
    cause = f"API error {status}" if status else sj.as_str(obj.get("error")) or "API error"
    return [AgentEvent("text", f"retrying after {cause} ({attempt})")]


def _result(obj: dict[str, Any], now: float) -> list[AgentEvent]:
    usage = sj.as_dict(obj.get("usage"))
    tokens_in = sum(
        sj.as_int(usage.get(k))
        for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    )
    cost = obj.get("total_cost_usd")
    events = [
        AgentEvent(
            "usage",
            input_tokens=tokens_in,
            output_tokens=sj.as_int(usage.get("output_tokens")),
            cost_usd=float(cost) if isinstance(cost, int | float) else None,
        )
    ]
    is_error = obj.get("is_error") is True
    text = sj.as_str(obj.get("result")) or sj.as_str(obj.get("subtype"))
    if is_error:
        status = sj.as_int(obj.get("api_error_status"))
        detail = text.removeprefix("API Error:").strip().removeprefix(f"{status}").strip()
        detail = re.split(r"(?<=\.)\s", detail, maxsplit=1)[0]  # Claude adds advice after
        events.append(AgentEvent("error", f"API error {status}: {detail}" if status else text))
        if status == 429 or (not status and sj.is_rate_limit(text)):
            events.append(sj.rate_limit(text, now))
    return [*events, AgentEvent("result", text, is_error=is_error)]
