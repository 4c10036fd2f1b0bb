"""Put an outcome into the requesting API's wire format."""

from __future__ import annotations

from typing import Any

from podium.testing import anthropic_wire, gemini_wire, openai_wire
from podium.testing.framing import HttpReply, json_reply
from podium.testing.outcomes import Call, Failure, Text
from podium.testing.requests import ANTHROPIC, CHAT, GEMINI, RESPONSES, Conversation
from podium.testing.usage import Usage


def render(
    conv: Conversation, outcome: Call | Text, usage: Usage, sse_stream: bool = True
) -> HttpReply:
    """The 200 answer for `outcome` in the API's wire format (streamed when asked for)."""
    if conv.api == ANTHROPIC:
        return anthropic_wire.render(conv, outcome, usage)
    if conv.api == CHAT:
        return openai_wire.render_chat(conv, outcome, usage)
    if conv.api == RESPONSES:
        return openai_wire.render_responses(conv, outcome, usage)
    return gemini_wire.render(conv, outcome, usage, sse_stream)


def render_failure(api: str, failure: Failure, now: float) -> HttpReply:
    """An HTTP error shaped for `api` (with rate-limit headers on 429), or the script's own body."""
    module: Any = {ANTHROPIC: anthropic_wire, GEMINI: gemini_wire}.get(api, openai_wire)
    headers = module.error_headers(failure, now) | failure.headers
    if failure.body is None:
        return json_reply(failure.status, module.error_body(failure), headers)
    if isinstance(failure.body, str):
        return HttpReply(
            failure.status, {"content-type": "text/plain", **headers}, failure.body.encode()
        )
    return json_reply(failure.status, failure.body, headers)
