"""Gemini as Gemini CLI and Qwen Code read it: a function call or text in one candidate, usage
metadata, SSE or a JSON array when streamed, and google.rpc error bodies."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from podium.testing import gemini_wire
from podium.testing.outcomes import Call, Failure, Text
from podium.testing.requests import GEMINI, Conversation, normalise
from podium.testing.usage import Usage


def conv(stream: bool) -> Conversation:
    """Gemini says "stream" in the path, so the server sets it after reading the body."""
    body = {"contents": [{"role": "user", "parts": [{"text": "go"}]}]}
    return replace(normalise(GEMINI, body, model="gemini-2.5-pro"), stream=stream)


def test_a_function_call_is_one_part_of_one_candidate_with_usage() -> None:
    answer = gemini_wire.body(conv(False), Call("write_file", {"file_path": "/a"}), Usage(50, 6))
    (candidate,) = answer["candidates"]
    assert candidate["content"] == {
        "role": "model",
        "parts": [{"functionCall": {"name": "write_file", "args": {"file_path": "/a"}}}],
    }
    assert candidate["finishReason"] == "STOP"
    assert answer["usageMetadata"] == {
        "promptTokenCount": 50,
        "candidatesTokenCount": 6,
        "totalTokenCount": 56,
    }
    assert answer["modelVersion"] == "gemini-2.5-pro"


def test_streamed_with_alt_sse_is_one_event_ending_in_crlf() -> None:
    reply = gemini_wire.render(conv(True), Text("hi"), Usage(1, 1), sse_stream=True)
    (frame,) = reply.events or ()
    assert frame.startswith(b"data: {") and frame.endswith(b"}\r\n\r\n")
    answer = json.loads(frame.decode().removeprefix("data: "))
    assert answer["candidates"][0]["content"]["parts"] == [{"text": "hi"}]


def test_streamed_without_alt_sse_is_a_json_array_and_unstreamed_an_object() -> None:
    array = gemini_wire.render(conv(True), Text("hi"), Usage(1, 1), sse_stream=False)
    assert array.events is None and isinstance(json.loads(array.body), list)
    whole = gemini_wire.render(conv(False), Text("hi"), Usage(1, 1), sse_stream=True)
    assert whole.events is None and "candidates" in json.loads(whole.body)


@pytest.mark.parametrize(
    ("status", "name"),
    [(403, "PERMISSION_DENIED"), (503, "UNAVAILABLE"), (418, "UNKNOWN"), (599, "INTERNAL")],
)
def test_an_error_has_the_rpc_status_name(status: int, name: str) -> None:
    assert gemini_wire.error_body(Failure(status, "x"))["error"] == {
        "code": status,
        "message": "x",
        "status": name,
    }
    assert gemini_wire.error_headers(Failure(status), now=0.0) == {}


def test_a_rate_limit_carries_retry_info_and_a_retry_after_header() -> None:
    error = gemini_wire.error_body(Failure(429, retry_after=7.5))["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED"
    assert error["details"] == [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7.5s"}
    ]
    assert gemini_wire.error_headers(Failure(429, retry_after=7.5), now=0.0) == {
        "retry-after": "7.5"
    }
