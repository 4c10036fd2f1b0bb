"""OpenAI Chat Completions and Responses: bodies, SSE chunks and events, error bodies."""

from __future__ import annotations

import secrets
import time
from typing import Any

from podium.testing.framing import (
    HttpReply,
    call_id,
    chunks,
    failure_message,
    json_reply,
    new_id,
    sse,
    stream_reply,
)
from podium.testing.outcomes import Call, Failure, Text
from podium.testing.requests import Conversation
from podium.testing.usage import Usage

_ERRORS = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}


# --- Chat Completions --------------------------------------------------------------------


def _chat_usage(usage: Usage) -> dict[str, Any]:
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }


def _tool_call(call: Call, ident: str) -> dict[str, Any]:
    if call.input is not None:
        return {"id": ident, "type": "custom", "custom": {"name": call.name, "input": call.input}}
    return {
        "id": ident,
        "type": "function",
        "function": {"name": call.name, "arguments": call.payload},
    }


def render_chat(conv: Conversation, outcome: Call | Text, usage: Usage) -> HttpReply:
    ident, created = new_id("chatcmpl-"), int(time.time())
    head = {"id": ident, "created": created, "model": conv.model, "system_fingerprint": None}
    finish = "tool_calls" if isinstance(outcome, Call) else "stop"
    headers = {"x-request-id": new_id("req_")}
    if not conv.stream:
        message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
        if isinstance(outcome, Text):
            message["content"] = outcome.text
        else:
            message["tool_calls"] = [_tool_call(outcome, call_id("call_", outcome))]
        choice = {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
        body = head | {
            "object": "chat.completion",
            "choices": [choice],
            "usage": _chat_usage(usage),
        }
        return json_reply(200, body, headers)
    return stream_reply(_chat_chunks(conv, outcome, head, finish, usage), headers)


def _chat_chunks(
    conv: Conversation, outcome: Call | Text, head: dict[str, Any], finish: str, usage: Usage
) -> list[bytes]:
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
    if isinstance(outcome, Text):
        deltas += [{"content": piece} for piece in chunks(outcome.text)]
    else:
        first = _tool_call(outcome, call_id("call_", outcome))
        field = "custom" if outcome.input is not None else "function"
        value = "input" if outcome.input is not None else "arguments"
        deltas.append({"tool_calls": [{"index": 0, **first, field: first[field] | {value: ""}}]})
        deltas.append({"tool_calls": [{"index": 0, field: {value: outcome.payload}}]})
    choices: list[dict[str, Any]] = [
        {"index": 0, "delta": d, "finish_reason": None, "logprobs": None} for d in deltas
    ]
    choices.append({"index": 0, "delta": {}, "finish_reason": finish, "logprobs": None})
    extra: dict[str, Any] = {"usage": None} if conv.include_usage else {}
    body = [head | {"object": "chat.completion.chunk", "choices": [c]} | extra for c in choices]
    if conv.include_usage:
        body.append(
            head | {"object": "chat.completion.chunk", "choices": [], "usage": _chat_usage(usage)}
        )
    return [sse(chunk) for chunk in body] + [sse("[DONE]")]


# --- Responses ---------------------------------------------------------------------------


def _responses_usage(usage: Usage) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": usage.total_tokens,
    }


def _item(outcome: Call | Text) -> dict[str, Any]:
    hexid = secrets.token_hex(24)
    if isinstance(outcome, Text):
        part = {"type": "output_text", "text": outcome.text, "annotations": [], "logprobs": []}
        return {
            "id": f"msg_{hexid}",
            "type": "message",
            "status": "completed",
            "role": "assistant",
            "content": [part],
        }
    ident = call_id("call_", outcome)
    if outcome.input is not None:
        return {
            "id": f"ctc_{hexid}",
            "type": "custom_tool_call",
            "status": "completed",
            "call_id": ident,
            "name": outcome.name,
            "input": outcome.input,
        }
    return {
        "id": f"fc_{hexid}",
        "type": "function_call",
        "status": "completed",
        "call_id": ident,
        "name": outcome.name,
        "arguments": outcome.payload,
    }


def _response(
    conv: Conversation, ident: str, output: list[Any], usage: Usage | None
) -> dict[str, Any]:
    return {
        "id": ident,
        "object": "response",
        "created_at": int(time.time()),
        "status": "completed" if usage else "in_progress",
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "model": conv.model,
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "store": False,
        "tool_choice": "auto",
        "tools": [],
        "usage": _responses_usage(usage) if usage else None,
        "metadata": {},
    }


def render_responses(conv: Conversation, outcome: Call | Text, usage: Usage) -> HttpReply:
    ident, item = f"resp_{secrets.token_hex(24)}", _item(outcome)
    headers = {"x-request-id": new_id("req_")}
    if not conv.stream:
        return json_reply(200, _response(conv, ident, [item], usage), headers)
    events: list[tuple[str, dict[str, Any]]] = [
        ("response.created", {"response": _response(conv, ident, [], None)}),
        ("response.in_progress", {"response": _response(conv, ident, [], None)}),
        ("response.output_item.added", {"output_index": 0, "item": _in_progress(item)}),
        *(_text_events(item) if isinstance(outcome, Text) else []),
        ("response.output_item.done", {"output_index": 0, "item": item}),
        ("response.completed", {"response": _response(conv, ident, [item], usage)}),
    ]
    return stream_reply(
        [
            sse({"type": name, "sequence_number": n} | data, event=name)
            for n, (name, data) in enumerate(events)
        ],
        headers,
    )


def _in_progress(item: dict[str, Any]) -> dict[str, Any]:
    empty: dict[str, dict[str, Any]] = {
        "message": {"content": []},
        "function_call": {"arguments": ""},
        "custom_tool_call": {"input": ""},
    }
    return item | {"status": "in_progress"} | empty[item["type"]]


def _text_events(item: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    part = item["content"][0]
    where = {"item_id": item["id"], "output_index": 0, "content_index": 0}
    return [
        ("response.content_part.added", where | {"part": part | {"text": ""}}),
        *(
            ("response.output_text.delta", where | {"delta": p, "logprobs": []})
            for p in chunks(part["text"])
        ),
        ("response.output_text.done", where | {"text": part["text"], "logprobs": []}),
        ("response.content_part.done", where | {"part": part}),
    ]


# --- errors (both APIs) --------------------------------------------------------------------


def error_body(failure: Failure) -> dict[str, Any]:
    kind, code = _ERRORS.get(failure.status, ("server_error", None))
    return {
        "error": {"message": failure_message(failure), "type": kind, "param": None, "code": code}
    }


def error_headers(failure: Failure, now: float) -> dict[str, str]:
    headers = {"x-request-id": new_id("req_")}
    if failure.status != 429:
        return headers
    reset = f"{failure.retry_after:g}s"
    headers |= {
        "retry-after": f"{failure.retry_after:g}",
        "retry-after-ms": str(int(failure.retry_after * 1000)),
    }
    for kind in ("requests", "tokens"):
        headers[f"x-ratelimit-limit-{kind}"] = "1000"
        headers[f"x-ratelimit-remaining-{kind}"] = "0"
        headers[f"x-ratelimit-reset-{kind}"] = reset
    return headers
