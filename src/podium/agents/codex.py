"""OpenAI Codex CLI (`codex exec`, pinned 0.169.0): headless JSONL, edits inside the worktree.

Launch: `codex exec --json --ephemeral --sandbox workspace-write --skip-git-repo-check
--model M [args] -- PROMPT` with CODEX_HOME=<attempt home>/.codex holding a config.toml that
defines the model provider `podium` (Responses API). Codex 0.169 ignores OPENAI_BASE_URL, and
its built-in `openai` provider first tries a WebSocket, so the custom provider carries
`base_url` as given: OpenAI-style, with `/v1` (https://api.openai.com/v1 when unset). The key
goes into OPENAI_API_KEY, the provider's `env_key`. Update checks, analytics and plugins (the
GitHub and ChatGPT traffic) are off; request and stream retries are 2. Override any of it with
`args = ["-c", "model_providers.podium.request_max_retries=0"]`.

Model: a slug Codex knows (gpt-5.5) gets the `apply_patch` tool; an unknown one falls back to
shell-only tools. Usage is the sum of `turn.completed.usage` (no cost: podium's price table).
Traps: a dead endpoint is never given up ("Reconnecting... waiting for network" forever), so
podium's wall-clock timeout ends it; a plain 429 says "exceeded retry limit, last status: 429"
without a reset time; a usage-limit 429 says "try again at 8:22 AM" (local time), read here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from podium.agents import streamjson as sj
from podium.agents.base import AgentEvent, Availability, Job, Launch, Verdict
from podium.config import AgentConfig

NAME = "codex"
KEY_VAR = "OPENAI_API_KEY"
MINIMUM = (0, 169)
DEFAULT_MODEL = "gpt-5.5"
DEFAULT_BASE_URL = "https://api.openai.com/v1"


class CodexAdapter:
    name = NAME

    def available(self, config: AgentConfig | None = None) -> Availability:
        return sj.check(NAME, config, MINIMUM, KEY_VAR)

    def launch(self, job: Job) -> Launch:
        config = job.config or AgentConfig()
        model = job.model or config.model or DEFAULT_MODEL
        codex_home = Path(job.home) / ".codex"
        env = {"CODEX_HOME": str(codex_home), **sj.key_env(config, KEY_VAR, KEY_VAR)}
        env.update(config.env)
        argv = (
            sj.executable(NAME, config),
            "exec",
            "--json",
            "--ephemeral",
            "--sandbox",
            "workspace-write",
            "--skip-git-repo-check",
            "--model",
            model,
            *config.args,
            "--",
            job.prompt,
        )
        files = {str(codex_home / "config.toml"): config_toml(model, config.base_url)}
        return Launch(argv=argv, env=env, files=files, model=model)

    def parse(self, line: str) -> Sequence[AgentEvent]:
        return parse_line(line, time.time())

    def verdict(self, exit_code: int, events: Sequence[AgentEvent]) -> Verdict:
        return sj.judge(NAME, exit_code, events, time.time())


def config_toml(model: str, base_url: str | None) -> str:
    """CODEX_HOME/config.toml: the `podium` provider, and no traffic but the model's."""
    quote = json.dumps  # a JSON string is a valid TOML basic string
    return (
        f"model = {quote(model)}\n"
        'model_provider = "podium"\n'
        "check_for_update_on_startup = false\n"
        "[analytics]\nenabled = false\n"
        "[features]\nplugins = false\n"
        "[model_providers.podium]\n"
        'name = "podium"\n'
        f"base_url = {quote(base_url or DEFAULT_BASE_URL)}\n"
        f"env_key = {quote(KEY_VAR)}\n"
        'wire_api = "responses"\n'
        "request_max_retries = 2\n"
        "stream_max_retries = 2\n"
    )


def parse_line(line: str, now: float) -> list[AgentEvent]:
    """One `--json` line as podium events; `now` dates relative reset times."""
    obj = sj.json_object(line)
    if obj is None:
        return sj.plain(line)
    kind = obj.get("type")
    if kind == "item.completed":
        return _item(sj.as_dict(obj.get("item")))
    if kind == "turn.completed":
        usage = sj.as_dict(obj.get("usage"))
        tokens_in = sj.as_int(usage.get("input_tokens"))
        tokens_out = sj.as_int(usage.get("output_tokens"))
        usage_event = AgentEvent("usage", input_tokens=tokens_in, output_tokens=tokens_out)
        return [usage_event, AgentEvent("result", "turn completed")]
    if kind == "turn.failed":
        message = sj.as_str(sj.as_dict(obj.get("error")).get("message")) or "turn failed"
        events = [AgentEvent("error", message)]
        if sj.is_rate_limit(message):
            events.append(sj.rate_limit(message, now))
        return [*events, AgentEvent("result", message, is_error=True)]
    if kind == "error":
        return _error(sj.as_str(obj.get("message")), now)
    return []


def _item(item: dict[str, Any]) -> list[AgentEvent]:
    kind = item.get("type")
    if kind == "agent_message":
        return [AgentEvent("text", sj.as_str(item.get("text")))]
    if kind == "command_execution":
        return [sj.tool_event("shell", {"command": item.get("command")})]
    if kind == "file_change":
        changes = [sj.as_dict(c) for c in item.get("changes") or []]
        paths = " ".join(f"{sj.as_str(c.get('kind'))} {sj.as_str(c.get('path'))}" for c in changes)
        return [AgentEvent("tool", sj.clip(f"apply_patch {paths}".strip(), 160))]
    if kind == "mcp_tool_call":
        name = f"{sj.as_str(item.get('server'))}.{sj.as_str(item.get('tool'))}"
        return [sj.tool_event(name, item.get("arguments"))]
    if kind == "web_search":
        return [sj.tool_event("web_search", {"query": item.get("query")})]
    if kind == "error":
        return [AgentEvent("error", sj.as_str(item.get("message")))]
    return []


def _error(message: str, now: float) -> list[AgentEvent]:
    """A top-level `error`: a retry notice ("Reconnecting... 1/2 (...)") or the final error."""
    if message.startswith("Reconnecting"):
        if "429" in message:
            return [sj.rate_limit(message, now)]
        return [AgentEvent("text", message)]
    return [AgentEvent("error", message)]
