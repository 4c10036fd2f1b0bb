"""What every API's wire format shares: SSE frames byte for byte, ids, text chunks, the
wording of a scripted error."""

from __future__ import annotations

import json

import pytest

from podium.testing.framing import (
    TEXT_CHUNK,
    call_args,
    call_id,
    chunks,
    failure_message,
    json_reply,
    new_id,
    reason,
    sse,
    stream_reply,
)
from podium.testing.outcomes import AUX_MARK, Call, Failure


def test_an_sse_frame_is_an_event_line_a_data_line_and_a_blank_line() -> None:
    assert sse({"type": "ping"}, event="ping") == b'event: ping\ndata: {"type":"ping"}\n\n'
    assert sse("[DONE]") == b"data: [DONE]\n\n"  # a string goes out as it is
    assert sse({"a": 1}, end="\r\n\r\n") == b'data: {"a":1}\r\n\r\n'


def test_a_stream_is_event_stream_never_cached_and_keeps_its_frames() -> None:
    frames = [sse({"n": 1}), sse("[DONE]")]
    reply = stream_reply(frames, {"x-request-id": "req_1"})
    assert reply.status == 200 and reply.events == tuple(frames) and reply.body == b""
    assert reply.headers == {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        "x-request-id": "req_1",
    }


def test_a_json_reply_is_compact_json_with_its_headers() -> None:
    reply = json_reply(429, {"error": {"message": "slow down"}}, {"retry-after": "3"})
    assert (reply.status, reply.events) == (429, None)
    assert reply.body == b'{"error":{"message":"slow down"}}'
    assert reply.headers == {"content-type": "application/json", "retry-after": "3"}


def test_ids_look_like_the_real_ones_and_the_servers_own_calls_are_marked() -> None:
    ident = new_id("toolu_")
    assert ident.startswith("toolu_01") and len(ident) == len("toolu_") + 24
    assert ident[len("toolu_") :].isalnum()
    assert new_id("x") != new_id("x")
    assert AUX_MARK in call_id("toolu_", Call("Read", {}, aux=True))
    assert AUX_MARK not in call_id("toolu_", Call("Write", {}))


def test_long_text_streams_in_pieces_that_join_back_and_empty_text_still_sends_one() -> None:
    text = "é" * (2 * TEXT_CHUNK + 5)
    pieces = chunks(text)
    assert len(pieces) == 3 and "".join(pieces) == text
    assert all(len(p) <= TEXT_CHUNK for p in pieces)
    assert chunks("") == [""]


def test_a_freeform_call_sent_where_only_functions_exist_carries_its_input() -> None:
    assert call_args(Call("apply_patch", input="*** Begin Patch")) == {"input": "*** Begin Patch"}
    assert call_args(Call("write", {"path": "a"})) == {"path": "a"}
    assert json.loads(Call("write", {"path": "a"}).payload) == {"path": "a"}


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (429, "Too Many Requests (scripted error 429)"),
        (529, "Overloaded (scripted error 529)"),
        (599, "Error (scripted error 599)"),
    ],
)
def test_a_scripted_error_without_a_message_says_its_status(status: int, message: str) -> None:
    assert failure_message(Failure(status)) == message
    assert failure_message(Failure(status, "quota gone")) == "quota gone"
    assert reason(503) == "Service Unavailable"
