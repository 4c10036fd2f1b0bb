"""Anthropic Messages as Claude Code reads it: the event sequence of a stream, a tool's input
rebuilt from its JSON deltas, usage, and error bodies and rate-limit headers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from podium.testing import anthropic_wire
from podium.testing.framing import TEXT_CHUNK, HttpReply
from podium.testing.outcomes import Call, Failure, Text
from podium.testing.requests import ANTHROPIC, Conversation, normalise
from podium.testing.usage import Usage


def conv(stream: bool) -> Conversation:
    body = {"model": "claude-x", "stream": stream, "messages": [{"role": "user", "content": "go"}]}
    return normalise(ANTHROPIC, body)


def events(reply: HttpReply) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for frame in reply.events or ():
        head, data, blank = frame.decode().split("\n", 2)
        assert head.startswith("event: ") and data.startswith("data: ") and blank == "\n"
        out.append((head.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return out


def test_a_streamed_tool_call_arrives_in_the_documented_order_and_its_input_rebuilds() -> None:
    args = {"file_path": "/w/a.py", "content": "print('hi')\n"}
    frames = events(anthropic_wire.render(conv(True), Call("Write", args), Usage(120, 9)))
    assert [name for name, _ in frames] == [
        "message_start", "content_block_start", "ping", "content_block_delta",
        "content_block_stop", "message_delta", "message_stop",
    ]  # fmt: skip
    assert all(data["type"] == name for name, data in frames)
    start = frames[0][1]["message"]
    assert (start["model"], start["role"], start["usage"]["input_tokens"]) == (
        "claude-x",
        "assistant",
        120,
    )
    block = frames[1][1]["content_block"]
    assert (block["type"], block["name"], block["input"]) == ("tool_use", "Write", {})
    assert block["id"].startswith("toolu_01")
    partial = "".join(d["delta"]["partial_json"] for n, d in frames if n == "content_block_delta")
    assert json.loads(partial) == args
    delta = frames[5][1]
    assert delta["delta"]["stop_reason"] == "tool_use" and delta["usage"] == {"output_tokens": 9}


def test_streamed_text_comes_in_deltas_that_join_to_the_answer() -> None:
    text = "All done. " * TEXT_CHUNK
    frames = events(anthropic_wire.render(conv(True), Text(text), Usage(5, 7)))
    pieces = [d["delta"]["text"] for n, d in frames if n == "content_block_delta"]
    assert len(pieces) > 1 and "".join(pieces) == text
    assert frames[-2][1]["delta"]["stop_reason"] == "end_turn"


def test_a_whole_message_has_its_content_stop_reason_and_usage() -> None:
    reply = anthropic_wire.render(conv(False), Text("hello"), Usage(30, 2))
    assert reply.status == 200 and reply.events is None
    assert reply.headers["request-id"].startswith("req_01")
    message = json.loads(reply.body)
    assert message["type"] == "message" and message["id"].startswith("msg_01")
    assert message["content"] == [{"type": "text", "text": "hello"}]
    assert message["stop_reason"] == "end_turn"
    assert message["usage"] == {
        "input_tokens": 30,
        "output_tokens": 2,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (401, "authentication_error"),
        (429, "rate_limit_error"),
        (529, "overloaded_error"),
        (502, "api_error"),
    ],
)
def test_an_error_body_has_the_type_claude_code_branches_on(status: int, kind: str) -> None:
    body = anthropic_wire.error_body(Failure(status, "nope"))
    assert body["type"] == "error" and body["error"] == {"type": kind, "message": "nope"}


def test_a_rate_limit_says_when_to_come_back_in_every_header_claude_reads() -> None:
    headers = anthropic_wire.error_headers(Failure(429, retry_after=30), now=0.0)
    assert (headers["retry-after"], headers["retry-after-ms"]) == ("30", "30000")
    for kind in ("requests", "tokens", "input-tokens", "output-tokens"):
        assert headers[f"anthropic-ratelimit-{kind}-remaining"] == "0"
        assert headers[f"anthropic-ratelimit-{kind}-reset"] == "1970-01-01T00:00:30Z"
    assert list(anthropic_wire.error_headers(Failure(500), now=0.0)) == ["request-id"]
