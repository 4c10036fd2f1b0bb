"""OpenAI as Codex, opencode, Qwen and aider read it: Chat Completions chunks that rebuild a
tool call, the usage chunk only when asked for, Responses events numbered in order, and the
error codes and rate-limit headers clients branch on."""

from __future__ import annotations

import json
from typing import Any

from podium.testing import openai_wire
from podium.testing.framing import HttpReply
from podium.testing.outcomes import Call, Failure, Text
from podium.testing.requests import CHAT, RESPONSES, Conversation, normalise
from podium.testing.usage import Usage

USAGE = Usage(100, 8)


def chat(stream: bool, include_usage: bool = False) -> Conversation:
    body: dict[str, Any] = {
        "model": "gpt-x",
        "stream": stream,
        "messages": [{"role": "user", "content": "go"}],
    }
    if include_usage:
        body["stream_options"] = {"include_usage": True}
    return normalise(CHAT, body)


def responses(stream: bool) -> Conversation:
    return normalise(RESPONSES, {"model": "gpt-5.5", "stream": stream, "input": "go"})


def data(reply: HttpReply) -> list[Any]:
    out = []
    for frame in reply.events or ():
        text = frame.decode()
        assert text.endswith("\n\n")
        payload = text.strip().splitlines()[-1].removeprefix("data: ")
        out.append(payload if payload == "[DONE]" else json.loads(payload))
    return out


def test_a_streamed_function_call_rebuilds_from_its_chunks() -> None:
    call = Call("write", {"filePath": "/w/a.py", "content": "x\n"})
    chunks = data(openai_wire.render_chat(chat(True), call, USAGE))
    assert chunks[-1] == "[DONE]"
    body = chunks[:-1]
    assert all(c["object"] == "chat.completion.chunk" and c["model"] == "gpt-x" for c in body)
    assert len({c["id"] for c in body}) == 1
    deltas = [c["choices"][0]["delta"] for c in body]
    assert deltas[0] == {"role": "assistant", "content": ""}
    calls = [d["tool_calls"][0] for d in deltas if "tool_calls" in d]
    assert calls[0]["id"].startswith("call_01") and calls[0]["function"]["name"] == "write"
    arguments = "".join(c["function"]["arguments"] for c in calls)
    assert json.loads(arguments) == call.args
    assert body[-1]["choices"][0]["finish_reason"] == "tool_calls"
    assert "usage" not in body[-1]  # not asked for: no usage key at all


def test_a_custom_tool_call_streams_its_input_and_usage_comes_last_when_asked() -> None:
    patch = "*** Begin Patch\n*** End Patch\n"
    chunks = data(
        openai_wire.render_chat(chat(True, True), Call("apply_patch", input=patch), USAGE)
    )
    deltas = [c["choices"][0]["delta"] for c in chunks[:-2]]
    calls = [d["tool_calls"][0] for d in deltas if "tool_calls" in d]
    assert calls[0]["type"] == "custom" and calls[0]["custom"]["name"] == "apply_patch"
    assert "".join(c["custom"]["input"] for c in calls) == patch
    last = chunks[-2]
    assert last["choices"] == [] and last["usage"]["prompt_tokens"] == 100
    assert last["usage"]["completion_tokens"] == 8 and last["usage"]["total_tokens"] == 108
    assert all(c["usage"] is None for c in chunks[:-2])


def test_a_whole_chat_completion_has_the_message_and_usage() -> None:
    reply = openai_wire.render_chat(chat(False), Text("done"), USAGE)
    body = json.loads(reply.body)
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-01")
    (choice,) = body["choices"]
    assert choice["message"]["content"] == "done" and choice["finish_reason"] == "stop"
    assert body["usage"]["total_tokens"] == 108
    assert reply.headers["x-request-id"].startswith("req_01")


def test_responses_events_are_numbered_and_text_deltas_join_to_the_answer() -> None:
    text = "ok " * 50
    events = data(openai_wire.render_responses(responses(True), Text(text), USAGE))
    kinds = [e["type"] for e in events]
    assert kinds[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert kinds[-2:] == ["response.output_item.done", "response.completed"]
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    deltas = [e["delta"] for e in events if e["type"] == "response.output_text.delta"]
    assert "".join(deltas) == text
    assert events[0]["response"]["status"] == "in_progress"
    assert events[0]["response"]["usage"] is None
    done = events[-1]["response"]
    assert done["status"] == "completed" and done["usage"]["output_tokens"] == 8
    assert done["output"][0]["content"][0]["text"] == text


def test_a_responses_function_call_is_empty_while_in_progress_and_whole_when_done() -> None:
    call = Call("exec_command", {"cmd": "ls"})
    events = data(openai_wire.render_responses(responses(True), call, USAGE))
    added = next(e["item"] for e in events if e["type"] == "response.output_item.added")
    done = next(e["item"] for e in events if e["type"] == "response.output_item.done")
    assert (added["status"], added["arguments"]) == ("in_progress", "")
    assert (done["type"], done["name"], json.loads(done["arguments"])) == (
        "function_call",
        "exec_command",
        {"cmd": "ls"},
    )
    assert done["id"].startswith("fc_") and done["call_id"].startswith("call_01")


def test_a_whole_response_carries_a_custom_tool_call() -> None:
    reply = openai_wire.render_responses(responses(False), Call("apply_patch", input="P"), USAGE)
    body = json.loads(reply.body)
    (item,) = body["output"]
    assert (item["type"], item["input"], body["status"]) == ("custom_tool_call", "P", "completed")


def test_errors_carry_the_codes_clients_branch_on() -> None:
    assert openai_wire.error_body(Failure(401, "bad key"))["error"] == {
        "message": "bad key",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_api_key",
    }
    assert openai_wire.error_body(Failure(429))["error"]["code"] == "rate_limit_exceeded"
    assert openai_wire.error_body(Failure(500))["error"]["type"] == "server_error"


def test_a_rate_limit_says_when_each_budget_resets() -> None:
    headers = openai_wire.error_headers(Failure(429, retry_after=2.5), now=0.0)
    assert (headers["retry-after"], headers["retry-after-ms"]) == ("2.5", "2500")
    assert headers["x-ratelimit-remaining-requests"] == "0"
    assert headers["x-ratelimit-reset-tokens"] == "2.5s"
    assert list(openai_wire.error_headers(Failure(503), now=0.0)) == ["x-request-id"]
