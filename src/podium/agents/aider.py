"""aider (pinned 0.86.2) against any OpenAI-compatible endpoint, one `--message` per attempt.

Launch: `aider --model openai/MODEL --message=PROMPT [FILES]` with OPENAI_API_BASE = `base_url`
(`/v1` added when the URL has no path) and OPENAI_API_KEY from `api_key_env` (default
OPENAI_API_KEY), `--no-stream` (exact token counts from the API), `--edit-format diff`, every
prompt answered yes, no commits, no update check, analytics and repo map off, chat and input
history in the per-attempt HOME, no `.gitignore` edit. Offline: LITELLM_LOCAL_MODEL_COST_MAP
and a pre-seeded empty `~/.aider/caches/model_prices_and_context_window.json` stop the two
price-list downloads; `--model-metadata-file` gives the model podium's price and a context size.

Files: aider edits what is on its command line, plus any file its reply names (new files are
created; edits to others are allowed since every question is answered yes). podium passes the
task's owned `files` that are literal paths of existing files, so the model sees them. Globs
cannot be passed: list literal files in aider tasks. Files still to be created are not
passed: aider would create each one empty at start-up, so an attempt whose model call fails
would still look like a change.

Usage: aider's text `Tokens: 2.7k sent` rounds, so `--analytics-log /dev/stdout` (the runner's
stdout is a pipe) puts its `message_send` events into the stream: exact `prompt_tokens`,
`completion_tokens` and `cost`. aider exits 0 when the API fails (litellm errors are printed);
the verdict fails an attempt that shows such an error and applied no edit. aider retries
429/5xx/connection errors for about a minute and a half itself, so podium's wall timeout
bounds a dead endpoint.
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
from podium.agents.opencode import openai_url
from podium.config import AgentConfig
from podium.routing.prices import price_of

NAME = "aider"
KEY_VAR = "OPENAI_API_KEY"
MINIMUM = (0, 86)
DEFAULT_MODEL = "gpt-5.5"
CONTEXT_TOKENS = 128_000
FLAGS = (
    "--edit-format",
    "diff",
    "--no-stream",
    "--yes-always",
    "--no-auto-commits",
    "--no-dirty-commits",
    "--no-check-update",
    "--analytics-disable",
    "--analytics-log",
    "/dev/stdout",
    "--no-gitignore",
    "--no-show-model-warnings",
    "--no-show-release-notes",
    "--no-pretty",
    "--no-fancy-input",
    "--no-detect-urls",
    "--no-suggest-shell-commands",
    "--map-tokens",
    "0",
)
GITCONFIG = "[user]\n\tname = podium agent (aider)\n\temail = aider@podium.invalid\n"
_GLOB = re.compile(r"[*?\[]")
_LITELLM_ERROR = re.compile(r"^litellm\.(\w+)")
_APPLIED = re.compile(r"^Applied edit to (.+)$")


class AiderAdapter:
    name = NAME

    def available(self, config: AgentConfig | None = None) -> Availability:
        return sj.check(NAME, config, MINIMUM, KEY_VAR)

    def launch(self, job: Job) -> Launch:
        config = job.config or AgentConfig()
        model = job.model or config.model or DEFAULT_MODEL
        home = job.home
        env = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", **sj.key_env(config, KEY_VAR, KEY_VAR)}
        if config.base_url:
            env["OPENAI_API_BASE"] = openai_url(config.base_url)
        env.update(config.env)
        metadata = home / "podium-model-metadata.json"
        argv = (
            sj.executable(NAME, config),
            *("--model", f"openai/{model}", "--model-metadata-file", str(metadata)),
            *FLAGS,
            *("--chat-history-file", str(home / "aider.chat.history.md")),
            *("--input-history-file", str(home / "aider.input.history")),
            *config.args,
            f"--message={job.prompt}",
            *context_files(job.task.files, job.worktree),
        )
        files = {
            str(home / ".aider" / "caches" / "model_prices_and_context_window.json"): "{}",
            str(metadata): model_metadata(model),
            # aider writes a placeholder name into the repository's own .git/config when git
            # knows none, which every worktree shares (parallel aiders then crash on its
            # lock); a name in the attempt's HOME keeps the user's config untouched.
            str(home / ".gitconfig"): GITCONFIG,
        }
        return Launch(argv=argv, env=env, files=files, model=model)

    def parse(self, line: str) -> Sequence[AgentEvent]:
        return parse_line(line, time.time())

    def verdict(self, exit_code: int, events: Sequence[AgentEvent]) -> Verdict:
        edited = any(e.kind == "tool" for e in events)
        failed = any(e.kind in ("error", "rate_limit") or e.is_error for e in events)
        if exit_code == 0 and (edited or not failed):
            return Verdict(True)
        return Verdict(False, f"{NAME}: {sj.failure(exit_code, events, time.time())}")


def context_files(owned: Sequence[str], worktree: Path) -> list[str]:
    """The owned paths aider can take: literal paths of files that exist in the worktree."""
    inside = [p for p in owned if not Path(p).is_absolute() and ".." not in Path(p).parts]
    return [p for p in inside if not _GLOB.search(p) and (worktree / p).is_file()]


def model_metadata(model: str) -> str:
    """litellm model info for `openai/MODEL`: podium's price ($/token) and a context size."""
    price = price_of(model, {})
    info = {
        "max_tokens": CONTEXT_TOKENS,
        "max_input_tokens": CONTEXT_TOKENS,
        "max_output_tokens": 32_000,
        "input_cost_per_token": price.input / 1_000_000,
        "output_cost_per_token": price.output / 1_000_000,
        "litellm_provider": "openai",
        "mode": "chat",
    }
    return json.dumps({f"openai/{model}": info})


def parse_line(line: str, now: float) -> list[AgentEvent]:
    """One line of aider's text output, or of its analytics log, as podium events."""
    obj = sj.json_object(line)
    if obj is not None and "event" in obj:
        return _analytics(obj)
    text = line.strip()
    if match := _APPLIED.match(text):
        return [AgentEvent("tool", f"edit {match.group(1)}")]
    if match := _LITELLM_ERROR.match(text):
        events = [AgentEvent("error", sj.clip(text, 400))]
        if match.group(1) == "RateLimitError" or sj.is_rate_limit(text):
            events.append(sj.rate_limit(text, now))
        return events
    return sj.plain(line)


def _analytics(obj: dict[str, Any]) -> list[AgentEvent]:
    if obj.get("event") != "message_send":
        return []
    props = sj.as_dict(obj.get("properties"))
    cost = props.get("cost")
    return [
        AgentEvent(
            "usage",
            input_tokens=sj.as_int(props.get("prompt_tokens")),
            output_tokens=sj.as_int(props.get("completion_tokens")),
            cost_usd=float(cost) if isinstance(cost, int | float) else None,
        )
    ]
