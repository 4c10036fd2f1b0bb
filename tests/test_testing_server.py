"""The scripted model server over real HTTP on 127.0.0.1: the four APIs, streamed and not."""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from podium.testing import ScriptedServer

# --- a tiny HTTP client and SSE parser ------------------------------------------------------


class Reply:
    def __init__(self, status: int, headers: dict[str, str], raw: bytes) -> None:
        self.status, self.headers, self.raw = status, headers, raw

    def json(self) -> Any:
        return json.loads(self.raw)

    def events(self) -> list[tuple[str | None, Any]]:
        """(event name, parsed data) per SSE event; `[DONE]` stays a string."""
        assert self.headers["content-type"].startswith("text/event-stream")
        out = []
        for block in re.split(r"\r?\n\r?\n", self.raw.decode()):
            if not block.strip():
                continue
            name, data = None, []
            for line in block.splitlines():
                field, _, value = line.partition(":")
                if field == "event":
                    name = value.strip()
                elif field == "data":
                    data.append(value[1:] if value.startswith(" ") else value)
            text = "\n".join(data)
            out.append((name, text if text == "[DONE]" else json.loads(text)))
        return out


def post(srv: ScriptedServer, path: str, body: Any, headers: dict[str, str] | None = None) -> Reply:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    conn.request("POST", path, raw, {"content-type": "application/json", **(headers or {})})
    resp = conn.getresponse()
    reply = Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    conn.close()
    return reply


def get(srv: ScriptedServer, path: str) -> Any:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    conn.request("GET", path)
    resp = conn.getresponse()
    data = json.loads(resp.read())
    conn.close()
    return resp.status, data


def schema(*names: str, array: str = "") -> dict[str, Any]:
    props: dict[str, Any] = {n: {"type": "string"} for n in names}
    if array:
        props[array] = {"type": "array", "items": {"type": "string"}}
    return {"type": "object", "properties": props, "required": list(names[:1])}


# --- request bodies as each CLI sends them ---------------------------------------------------

CLAUDE_TOOLS = [
    {"name": "Read", "input_schema": schema("file_path", "offset")},
    {"name": "Write", "input_schema": schema("file_path", "content")},
    {"name": "Edit", "input_schema": schema("file_path", "old_string", "new_string")},
    {"name": "Bash", "input_schema": schema("command", "description")},
]
OPENCODE_TOOLS = [("read", schema("filePath")), ("write", schema("filePath", "content"))]
QWEN_TOOLS = [
    ("read_file", schema("absolute_path")),
    ("write_file", schema("file_path", "content")),
]
COPILOT_TOOLS = [
    ("view", schema("path")),
    ("create", schema("path", "file_text")),
    ("bash", schema("command")),
]
CODEX_TOOLS = [
    {"type": "function", "name": "exec_command", "parameters": schema("cmd")},
    {"type": "custom", "name": "apply_patch", "format": {"type": "grammar"}},
    {"type": "web_search"},
]
GEMINI_TOOLS = [
    {
        "functionDeclarations": [
            {"name": "read_file", "parametersJsonSchema": schema("file_path")},
            {"name": "write_file", "parametersJsonSchema": schema("file_path", "content")},
        ]
    }
]
SCRIPT = 'PODIUM-SCRIPT: {"write_file": {"path": "src/app.py", "content": "print(1)\\n"}}'


def anthropic(
    cwd: Path, prompt: str, stream: bool, extra: list[Any] | None = None
) -> dict[str, Any]:
    return {
        "model": "claude-sonnet-4-5",
        "stream": stream,
        "system": [{"type": "text", "text": f"You are Claude Code.\nWorking directory: {cwd}\n"}],
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": prompt}]},
            *(extra or []),
        ],
        "tools": CLAUDE_TOOLS,
    }


def chat(cwd: Path, prompt: str, tools: list[Any], stream: bool, **more: Any) -> dict[str, Any]:
    return {
        "model": "fake-model",
        "stream": stream,
        "messages": [
            {"role": "system", "content": f"<env>\n  Working directory: {cwd}\n</env>"},
            {"role": "user", "content": prompt},
            *more.pop("extra", []),
        ],
        "tools": [{"type": "function", "function": {"name": n, "parameters": s}} for n, s in tools],
        **more,
    }


def responses(
    cwd: Path, prompt: str, stream: bool, extra: list[Any] | None = None
) -> dict[str, Any]:
    return {
        "model": "gpt-5.5",
        "stream": stream,
        "instructions": "You are Codex.",
        "input": [
            {
                "type": "message",
                "role": "developer",
                "content": [{"type": "input_text", "text": "rules"}],
            },
            {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": f"<cwd>{cwd}</cwd>"}],
            },
            {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": prompt}],
            },
            *(extra or []),
        ],
        "tools": CODEX_TOOLS,
    }


def gemini(cwd: Path, prompt: str, extra: list[Any] | None = None) -> dict[str, Any]:
    context = f"I'm currently working in the directory: {cwd}"
    return {
        "contents": [
            {"role": "user", "parts": [{"text": context}, {"text": prompt}]},
            *(extra or []),
        ],
        "tools": GEMINI_TOOLS,
        "generationConfig": {"temperature": 0},
    }


@pytest.fixture
def srv() -> Any:
    with ScriptedServer() as server:
        yield server


# --- Anthropic Messages ---------------------------------------------------------------------


def test_anthropic_stream_writes_with_claude_write_tool(
    srv: ScriptedServer, tmp_path: Path
) -> None:
    reply = post(srv, "/v1/messages?beta=true", anthropic(tmp_path, SCRIPT, stream=True))
    events = reply.events()
    names = [name for name, _ in events]
    assert names == [
        "message_start", "content_block_start", "ping", "content_block_delta",
        "content_block_stop", "message_delta", "message_stop",
    ]  # fmt: skip
    assert all(data["type"] == name for name, data in events)
    block = events[1][1]["content_block"]
    assert (
        block["type"] == "tool_use"
        and block["name"] == "Write"
        and block["id"].startswith("toolu_")
    )
    args = json.loads(events[3][1]["delta"]["partial_json"])
    assert args == {"file_path": str(tmp_path / "src/app.py"), "content": "print(1)\n"}
    assert events[5][1]["delta"]["stop_reason"] == "tool_use"
    assert events[0][1]["message"]["usage"]["output_tokens"] == 1


def test_anthropic_tool_result_gets_final_text(srv: ScriptedServer, tmp_path: Path) -> None:
    first = post(srv, "/v1/messages", anthropic(tmp_path, SCRIPT, stream=False)).json()
    call = first["content"][0]
    result = [
        {"role": "assistant", "content": [call]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": call["id"], "content": "ok"}],
        },
    ]
    second = post(srv, "/v1/messages", anthropic(tmp_path, SCRIPT, False, result)).json()
    assert second["content"] == [{"type": "text", "text": "Done."}]
    assert second["stop_reason"] == "end_turn"


def test_claude_reads_an_existing_file_before_writing_it(
    srv: ScriptedServer, tmp_path: Path
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src/app.py").write_text("old\n")
    history: list[Any] = []
    seen = []
    for _ in range(3):
        message = post(srv, "/v1/messages", anthropic(tmp_path, SCRIPT, False, history)).json()
        block = message["content"][0]
        seen.append(block.get("name", block.get("text")))
        if block["type"] == "tool_use":
            history += [
                {"role": "assistant", "content": [block]},
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": block["id"], "content": "x"}
                    ],
                },
            ]
    assert seen == ["Read", "Write", "Done."]
    assert history[0]["content"][0]["input"] == {"file_path": str(tmp_path / "src/app.py")}


def test_anthropic_text_stream_and_count_tokens(srv: ScriptedServer, tmp_path: Path) -> None:
    body = anthropic(tmp_path, 'PODIUM-SCRIPT: {"text": "' + "word " * 30 + '"}', stream=True)
    events = post(srv, "/v1/messages", body).events()
    text = "".join(d["delta"]["text"] for n, d in events if n == "content_block_delta")
    assert text == "word " * 30
    assert events[1][1]["content_block"] == {"type": "text", "text": ""}
    counted = post(srv, "/v1/messages/count_tokens", body).json()
    assert counted == {"input_tokens": len(json.dumps(body)) // 4}


def test_claude_structured_output_tool(srv: ScriptedServer, tmp_path: Path) -> None:
    body = anthropic(tmp_path, "plan it", stream=False)
    plan_schema = {
        "type": "object",
        "properties": {"tasks": {"type": "array"}, "kind": {"enum": ["a", "b"]}},
    }
    body["tools"] = [*CLAUDE_TOOLS, {"name": "StructuredOutput", "input_schema": plan_schema}]
    block = post(srv, "/v1/messages", body).json()["content"][0]
    assert block["name"] == "StructuredOutput" and block["input"] == {"tasks": [], "kind": "a"}


# --- OpenAI Chat Completions ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("tools", "name", "args"),
    [
        (OPENCODE_TOOLS, "write", {"filePath": "ABS", "content": "print(1)\n"}),
        (QWEN_TOOLS, "write_file", {"file_path": "ABS", "content": "print(1)\n"}),
        (COPILOT_TOOLS, "create", {"path": "ABS", "file_text": "print(1)\n"}),
    ],
)
def test_chat_stream_tool_styles(
    srv: ScriptedServer, tmp_path: Path, tools: list[Any], name: str, args: dict[str, str]
) -> None:
    (tmp_path / "src").mkdir()  # Copilot's `create` needs the directory
    body = chat(tmp_path, SCRIPT, tools, True, stream_options={"include_usage": True})
    events = post(srv, "/v1/chat/completions", body).events()
    assert events[-1] == (None, "[DONE]")
    chunks = [d for _, d in events[:-1]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    start = chunks[1]["choices"][0]["delta"]["tool_calls"][0]
    assert start["index"] == 0 and start["id"].startswith("call_") and start["type"] == "function"
    assert start["function"] == {"name": name, "arguments": ""}
    arguments = chunks[2]["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"]
    expected = {k: (str(tmp_path / "src/app.py") if v == "ABS" else v) for k, v in args.items()}
    assert json.loads(arguments) == expected
    assert chunks[3]["choices"][0] == {
        "index": 0,
        "delta": {},
        "finish_reason": "tool_calls",
        "logprobs": None,
    }
    assert chunks[4]["choices"] == []
    usage = chunks[4]["usage"]
    assert usage["prompt_tokens"] == len(json.dumps(body)) // 4
    assert usage["completion_tokens"] == len(arguments) // 4 + 1
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_chat_without_include_usage_has_no_usage_chunk(srv: ScriptedServer, tmp_path: Path) -> None:
    events = post(
        srv, "/v1/chat/completions", chat(tmp_path, SCRIPT, OPENCODE_TOOLS, True)
    ).events()
    assert all("usage" not in d for _, d in events[:-1])


def test_chat_tool_result_then_done_non_stream(srv: ScriptedServer, tmp_path: Path) -> None:
    first = post(srv, "/v1/chat/completions", chat(tmp_path, SCRIPT, QWEN_TOOLS, False)).json()
    assert first["object"] == "chat.completion"
    message = first["choices"][0]["message"]
    assert first["choices"][0]["finish_reason"] == "tool_calls" and message["content"] is None
    extra = [
        message,
        {"role": "tool", "tool_call_id": message["tool_calls"][0]["id"], "content": "ok"},
    ]
    second = post(
        srv, "/v1/chat/completions", chat(tmp_path, SCRIPT, QWEN_TOOLS, False, extra=extra)
    ).json()
    assert second["choices"][0]["message"]["content"] == "Done."
    assert second["choices"][0]["finish_reason"] == "stop"


AIDER_DIFF = "Describe each change with a *SEARCH/REPLACE block* per the examples below."
AIDER_WHOLE = "To suggest changes you MUST return the entire file.\nUse this *file listing* format:"


def test_aider_search_replace_and_whole(srv: ScriptedServer) -> None:
    body = {
        "model": "fake-model",
        "messages": [
            {"role": "system", "content": AIDER_DIFF},
            {"role": "user", "content": SCRIPT},
        ],
    }
    text = post(srv, "/v1/chat/completions", body).json()["choices"][0]["message"]["content"]
    assert (
        text == "src/app.py\n```python\n<<<<<<< SEARCH\n=======\nprint(1)\n>>>>>>> REPLACE\n```\n"
    )
    body["messages"][0]["content"] = AIDER_WHOLE
    text = post(srv, "/v1/chat/completions", body).json()["choices"][0]["message"]["content"]
    assert text == "src/app.py\n```python\nprint(1)\n```\n"


def test_chat_json_response_format(srv: ScriptedServer, tmp_path: Path) -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema("title")}}
    body = chat(tmp_path, "title please", [], False, response_format=fmt)
    content = post(srv, "/v1/chat/completions", body).json()["choices"][0]["message"]["content"]
    assert json.loads(content) == {"title": "Scripted task"}


# --- OpenAI Responses -----------------------------------------------------------------------


def test_responses_stream_custom_apply_patch(srv: ScriptedServer, tmp_path: Path) -> None:
    events = post(srv, "/v1/responses", responses(tmp_path, SCRIPT, stream=True)).events()
    names = [name for name, _ in events]
    assert names == [
        "response.created", "response.in_progress", "response.output_item.added",
        "response.output_item.done", "response.completed",
    ]  # fmt: skip
    assert [d["sequence_number"] for _, d in events] == list(range(5))
    assert all(d["type"] == n for n, d in events)
    item = events[3][1]["item"]
    assert item["type"] == "custom_tool_call" and item["name"] == "apply_patch"
    assert item["call_id"].startswith("call_")
    assert item["input"] == "*** Begin Patch\n*** Add File: src/app.py\n+print(1)\n*** End Patch\n"
    assert events[2][1]["item"]["input"] == ""
    done = events[4][1]["response"]
    assert (
        done["id"].startswith("resp_")
        and done["status"] == "completed"
        and done["output"] == [item]
    )
    assert done["usage"]["output_tokens"] == len(item["input"]) // 4 + 1
    assert done["usage"]["input_tokens_details"] == {"cached_tokens": 0}


def test_responses_text_after_tool_output(srv: ScriptedServer, tmp_path: Path) -> None:
    first = post(srv, "/v1/responses", responses(tmp_path, SCRIPT, stream=False)).json()
    call = first["output"][0]
    extra = [call, {"type": "custom_tool_call_output", "call_id": call["call_id"], "output": "ok"}]
    events = post(srv, "/v1/responses", responses(tmp_path, SCRIPT, True, extra)).events()
    names = [n for n, _ in events]
    assert names[3:7] == [
        "response.content_part.added", "response.output_text.delta",
        "response.output_text.done", "response.content_part.done",
    ]  # fmt: skip
    message = events[-1][1]["response"]["output"][0]
    assert message["type"] == "message" and message["role"] == "assistant"
    assert message["content"] == [
        {"type": "output_text", "text": "Done.", "annotations": [], "logprobs": []}
    ]


def test_responses_function_shell_when_no_apply_patch(srv: ScriptedServer, tmp_path: Path) -> None:
    body = responses(tmp_path, SCRIPT, stream=False)
    body["tools"] = CODEX_TOOLS[:1]
    item = post(srv, "/v1/responses", body).json()["output"][0]
    assert item["type"] == "function_call" and item["name"] == "exec_command"
    cmd = json.loads(item["arguments"])["cmd"]
    subprocess.run(["bash", "-c", cmd], check=True)
    assert (tmp_path / "src/app.py").read_text() == "print(1)\n"


def test_responses_json_text_format(srv: ScriptedServer, tmp_path: Path) -> None:
    body = responses(tmp_path, 'PODIUM-SCRIPT: {"json": {"value": {"tasks": [1]}}}', stream=False)
    body["text"] = {"format": {"type": "json_schema", "name": "plan", "schema": schema("tasks")}}
    text = post(srv, "/v1/responses", body).json()["output"][0]["content"][0]["text"]
    assert json.loads(text) == {"tasks": [1]}


# --- Gemini ---------------------------------------------------------------------------------


def test_gemini_sse_and_plain(srv: ScriptedServer, tmp_path: Path) -> None:
    path = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    reply = post(srv, path, gemini(tmp_path, SCRIPT))
    assert reply.raw.endswith(b"\r\n\r\n")
    [(_, chunk)] = reply.events()
    candidate = chunk["candidates"][0]
    assert candidate["finishReason"] == "STOP" and candidate["content"]["role"] == "model"
    call = candidate["content"]["parts"][0]["functionCall"]
    assert call == {
        "name": "write_file",
        "args": {"file_path": str(tmp_path / "src/app.py"), "content": "print(1)\n"},
    }
    usage = chunk["usageMetadata"]
    assert usage["promptTokenCount"] == len(json.dumps(gemini(tmp_path, SCRIPT))) // 4
    assert chunk["modelVersion"] == "gemini-2.5-flash"
    plain = post(
        srv, "/v1beta/models/gemini-2.5-flash:generateContent", gemini(tmp_path, SCRIPT)
    ).json()
    assert plain["candidates"][0]["content"]["parts"][0]["functionCall"]["name"] == "write_file"


def test_gemini_function_response_gets_text(srv: ScriptedServer, tmp_path: Path) -> None:
    extra = [
        {"role": "model", "parts": [{"functionCall": {"name": "write_file", "args": {}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "write_file", "response": {}}}]},
    ]
    body = gemini(tmp_path, SCRIPT, extra)
    out = post(srv, "/v1beta/models/g:generateContent", body).json()
    assert out["candidates"][0]["content"]["parts"] == [{"text": "Done."}]
    assert post(srv, "/v1beta/models/g:countTokens", body).json() == {
        "totalTokens": len(json.dumps(body)) // 4
    }


def test_gemini_json_mode_next_speaker(srv: ScriptedServer, tmp_path: Path) -> None:
    body = gemini(tmp_path, "who speaks?")
    body["tools"] = []
    speaker = {
        "type": "OBJECT",
        "properties": {"reasoning": {"type": "STRING"}, "next_speaker": {"type": "STRING"}},
    }
    body["generationConfig"] = {"responseMimeType": "application/json", "responseSchema": speaker}
    out = post(srv, "/v1beta/models/g:generateContent", body).json()
    assert json.loads(out["candidates"][0]["content"]["parts"][0]["text"]) == {
        "reasoning": "ok",
        "next_speaker": "user",
    }


# --- usage, errors, timing, lifecycle ---------------------------------------------------------


def test_usage_totals_by_tag_model_and_api(srv: ScriptedServer, tmp_path: Path) -> None:
    prompt = f"PODIUM-TAG: alpha\n{SCRIPT}"
    body = anthropic(tmp_path, prompt, stream=True)
    post(srv, "/v1/messages", body)
    post(srv, "/v1beta/models/gm:generateContent", gemini(tmp_path, "no tag here"))
    status, usage = get(srv, "/_podium/usage")
    assert status == 200 and usage == srv.usage()
    alpha = usage["by_tag"]["alpha"]
    args = json.dumps(
        {"file_path": str(tmp_path / "src/app.py"), "content": "print(1)\n"}, separators=(",", ":")
    )
    assert alpha["input_tokens"] == len(json.dumps(body)) // 4
    assert alpha["output_tokens"] == len(args) // 4 + 1
    assert usage["total"]["requests"] == 2
    assert set(usage["by_api"]) == {"anthropic", "gemini"} and set(usage["by_model"]) == {
        "claude-sonnet-4-5",
        "gm",
    }
    records = srv.requests
    assert [r.tag for r in records] == ["alpha", None]
    assert records[0].stream and records[0].usage.output_tokens == alpha["output_tokens"]


@pytest.mark.parametrize(
    ("path", "expect_header"),
    [
        ("/v1/messages", "anthropic-ratelimit-requests-reset"),
        ("/v1/chat/completions", "x-ratelimit-reset-requests"),
        ("/v1/responses", "x-ratelimit-reset-tokens"),
        ("/v1beta/models/g:generateContent", "retry-after"),
    ],
)
def test_rate_limit_errors_per_api(path: str, expect_header: str) -> None:
    script = [{"match": {}, "reply": {"error": {"status": 429, "retry_after": 7}}, "times": 1}]
    with ScriptedServer(script) as srv:
        body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
        reply = post(srv, path, body)
        assert reply.status == 429 and reply.headers["retry-after"] == "7"
        assert expect_header in reply.headers
        error = reply.json()["error"]
        assert (
            error.get("type") in ("rate_limit_error", "requests")
            or error.get("status") == "RESOURCE_EXHAUSTED"
        )
        assert post(srv, path, body).status == 200  # `times: 1` used up
        assert srv.usage()["total"]["errors"] == 1


def test_error_with_custom_body_and_headers() -> None:
    script = [
        {"reply": {"error": {"status": 500, "body": {"oops": 1}, "headers": {"x-extra": "y"}}}}
    ]
    with ScriptedServer(script) as srv:
        reply = post(srv, "/v1/messages", {"messages": [{"role": "user", "content": "hi"}]})
    assert (reply.status, reply.json(), reply.headers["x-extra"]) == (500, {"oops": 1}, "y")


def test_prompt_fault_injection(srv: ScriptedServer) -> None:
    reply = post(
        srv, "/v1/messages", {"messages": [{"role": "user", "content": "go FAKE_HTTP_ERROR=503"}]}
    )
    assert reply.status == 503 and reply.json()["error"]["type"] == "api_error"


def test_delay_then_reply() -> None:
    script = [{"reply": {"delay": {"seconds": 0.3, "then": {"text": "late"}}}}]
    with ScriptedServer(script) as srv:
        start = time.monotonic()
        reply = post(srv, "/v1/chat/completions", {"messages": [{"role": "user", "content": "x"}]})
        assert time.monotonic() - start >= 0.3
    assert reply.json()["choices"][0]["message"]["content"] == "late"


def test_hang_until_client_gives_up() -> None:
    with ScriptedServer([{"reply": {"hang": True}}]) as srv:
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=0.3)
        conn.request(
            "POST", "/v1/messages", json.dumps({"messages": [{"role": "user", "content": "x"}]})
        )
        with pytest.raises(TimeoutError):
            conn.getresponse()
        conn.close()
        assert srv.requests[0].reply == "hang"


def test_keep_alive_gzip_and_chunked_framing(srv: ScriptedServer, tmp_path: Path) -> None:
    body = gzip.compress(json.dumps(chat(tmp_path, SCRIPT, OPENCODE_TOOLS, True)).encode())
    request = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as sock:
        for _ in range(2):  # two requests on one connection
            sock.sendall(request)
            raw = b""
            while not raw.endswith(b"0\r\n\r\n"):
                raw += sock.recv(65536)
            head, _, chunked = raw.partition(b"\r\n\r\n")
            assert b"transfer-encoding: chunked" in head.lower()
            size_line, _, rest = chunked.partition(b"\r\n")
            assert rest[int(size_line, 16) : int(size_line, 16) + 2] == b"\r\n"
            assert rest[: int(size_line, 16)].startswith(b"data: {")


def test_models_list_and_unknown_path(srv: ScriptedServer) -> None:
    status, listing = get(srv, "/v1/models")
    assert status == 200 and listing["data"][0]["id"] == "fake-model"
    assert listing["models"][0]["name"] == "models/fake-model" and listing["has_more"] is False
    reply = post(srv, "/v1/nothing", {})
    assert reply.status == 404 and "error" in reply.json()


def test_cli_writes_port_file_logs_and_stops_on_sigterm(tmp_path: Path) -> None:
    port_file, log = tmp_path / "port", tmp_path / "log.jsonl"
    script = tmp_path / "script.json"
    script.write_text(json.dumps([{"reply": {"text": "from file"}}]))
    cmd = [
        sys.executable,
        "-m",
        "podium.testing.server",
        "--port",
        "0",
        "--port-file",
        str(port_file),
    ]
    proc = subprocess.Popen(
        [*cmd, "--script", str(script), "--log", str(log)], stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 10
        while not port_file.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        port = int(port_file.read_text())
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request(
            "POST",
            "/v1/messages",
            json.dumps({"model": "m", "messages": [{"role": "user", "content": "x"}]}),
        )
        assert json.loads(conn.getresponse().read())["content"][0]["text"] == "from file"
        conn.close()
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    [entry] = [json.loads(line) for line in log.read_text().splitlines()]
    assert entry["api"] == "anthropic" and entry["status"] == 200 and entry["model"] == "m"
    assert entry["usage"]["output_tokens"] == len("from file") // 4 + 1


def test_unreadable_body_is_a_400_and_stop_ends_a_hang(tmp_path: Path) -> None:
    with ScriptedServer([{"match": {"api": "gemini"}, "reply": {"hang": True}}]) as srv:
        bad = post(srv, "/v1/messages", b"not gzip", {"content-encoding": "gzip"})
        assert bad.status == 400 and bad.json()["error"]["type"] == "invalid_request_error"
        assert post(srv, "/v1/chat/completions", b"[1, 2]").status == 400
        sock = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        body = json.dumps(gemini(tmp_path, "x")).encode()
        head = (
            f"POST /v1beta/models/g:generateContent HTTP/1.1\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        sock.sendall(head.encode() + body)
        deadline = time.monotonic() + 5
        while not any(r.reply == "hang" for r in srv.requests) and time.monotonic() < deadline:
            time.sleep(0.01)
    assert sock.recv(100) == b""  # stop() closed the hanging connection without an answer
    sock.close()
