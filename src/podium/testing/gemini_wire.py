"""Gemini generateContent / streamGenerateContent bodies and error bodies."""

from __future__ import annotations

from typing import Any

from podium.testing.framing import (
    HttpReply,
    call_args,
    failure_message,
    json_reply,
    new_id,
    sse,
    stream_reply,
)
from podium.testing.outcomes import Call, Failure, Text
from podium.testing.requests import Conversation
from podium.testing.usage import Usage

_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def body(conv: Conversation, outcome: Call | Text, usage: Usage) -> dict[str, Any]:
    if isinstance(outcome, Text):
        part: dict[str, Any] = {"text": outcome.text}
    else:
        part = {"functionCall": {"name": outcome.name, "args": call_args(outcome)}}
    candidate = {"content": {"role": "model", "parts": [part]}, "finishReason": "STOP", "index": 0}
    return {
        "candidates": [candidate],
        "usageMetadata": {
            "promptTokenCount": usage.input_tokens,
            "candidatesTokenCount": usage.output_tokens,
            "totalTokenCount": usage.total_tokens,
        },
        "modelVersion": conv.model,
        "responseId": new_id("", 22),
    }


def render(conv: Conversation, outcome: Call | Text, usage: Usage, sse_stream: bool) -> HttpReply:
    """One JSON object; streamed as a single SSE event, or a one-element array without alt=sse."""
    answer = body(conv, outcome, usage)
    if not conv.stream:
        return json_reply(200, answer)
    if sse_stream:
        return stream_reply([sse(answer, end="\r\n\r\n")])
    return json_reply(200, [answer])


def error_body(failure: Failure) -> dict[str, Any]:
    status = _STATUS.get(failure.status, "UNKNOWN" if failure.status < 500 else "INTERNAL")
    error: dict[str, Any] = {
        "code": failure.status,
        "message": failure_message(failure),
        "status": status,
    }
    if failure.status == 429:
        retry = {
            "@type": "type.googleapis.com/google.rpc.RetryInfo",
            "retryDelay": f"{failure.retry_after:g}s",
        }
        error["details"] = [retry]
    return {"error": error}


def error_headers(failure: Failure, now: float) -> dict[str, str]:
    return {"retry-after": f"{failure.retry_after:g}"} if failure.status == 429 else {}
