"""Anthropic Messages: the message object, its SSE event sequence, error bodies."""

from __future__ import annotations

import time
from typing import Any

from podium.testing.framing import (
    HttpReply,
    call_args,
    call_id,
    chunks,
    failure_message,
    json_reply,
    new_id,
    sse,
    stream_reply,
)
from podium.testing.outcomes import Call, Failure, Text, compact_json
from podium.testing.requests import Conversation
from podium.testing.usage import Usage

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


def _usage(input_tokens: int, output_tokens: int) -> dict[str, int]:
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }


def _block(outcome: Call | Text) -> dict[str, Any]:
    if isinstance(outcome, Text):
        return {"type": "text", "text": outcome.text}
    return {
        "type": "tool_use",
        "id": call_id("toolu_", outcome),
        "name": outcome.name,
        "input": call_args(outcome),
    }


def _message(
    conv: Conversation, content: list[dict[str, Any]], usage: dict[str, int]
) -> dict[str, Any]:
    return {
        "id": new_id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": conv.model,
        "content": content,
        "stop_reason": None,
        "stop_sequence": None,
        "usage": usage,
    }


def render(conv: Conversation, outcome: Call | Text, usage: Usage) -> HttpReply:
    headers = {"request-id": new_id("req_")}
    block = _block(outcome)
    stop = "tool_use" if isinstance(outcome, Call) else "end_turn"
    if not conv.stream:
        message = _message(conv, [block], _usage(usage.input_tokens, usage.output_tokens))
        return json_reply(200, message | {"stop_reason": stop}, headers)
    return stream_reply(_events(conv, block, stop, usage), headers)


def _events(conv: Conversation, block: dict[str, Any], stop: str, usage: Usage) -> list[bytes]:
    if block["type"] == "text":
        start, deltas = (
            {"type": "text", "text": ""},
            [{"type": "text_delta", "text": p} for p in chunks(block["text"])],
        )
    else:
        start = block | {"input": {}}
        deltas = [{"type": "input_json_delta", "partial_json": compact_json(block["input"])}]
    events: list[tuple[str, dict[str, Any]]] = [
        ("message_start", {"message": _message(conv, [], _usage(usage.input_tokens, 1))}),
        ("content_block_start", {"index": 0, "content_block": start}),
        ("ping", {}),
        *(("content_block_delta", {"index": 0, "delta": delta}) for delta in deltas),
        ("content_block_stop", {"index": 0}),
        (
            "message_delta",
            {
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": {"output_tokens": usage.output_tokens},
            },
        ),
        ("message_stop", {}),
    ]
    return [sse({"type": name} | data, event=name) for name, data in events]


def error_body(failure: Failure) -> dict[str, Any]:
    kind = _ERROR_TYPES.get(failure.status, "api_error")
    return {
        "type": "error",
        "error": {"type": kind, "message": failure_message(failure)},
        "request_id": new_id("req_"),
    }


def error_headers(failure: Failure, now: float) -> dict[str, str]:
    headers = {"request-id": new_id("req_")}
    if failure.status != 429:
        return headers
    reset = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + failure.retry_after))
    headers["retry-after"] = f"{failure.retry_after:g}"
    headers["retry-after-ms"] = str(int(failure.retry_after * 1000))
    for kind in ("requests", "tokens", "input-tokens", "output-tokens"):
        headers[f"anthropic-ratelimit-{kind}-limit"] = "1000"
        headers[f"anthropic-ratelimit-{kind}-remaining"] = "0"
        headers[f"anthropic-ratelimit-{kind}-reset"] = reset
    return headers
