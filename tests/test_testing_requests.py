"""Normalising each API's request, and the facts read from prompt text."""

from __future__ import annotations

import json
from typing import Any

import pytest

from podium.testing.prompt import find_cwd, find_directive, find_tag, find_target_path
from podium.testing.requests import ANTHROPIC, CHAT, GEMINI, RESPONSES, Conversation, normalise
from podium.testing.schemas import sample_json


def test_anthropic_tool_results_and_turns() -> None:
    body = {
        "model": "claude",
        "stream": True,
        "system": [{"type": "text", "text": "sys"}],
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "<system-reminder>x</system-reminder>"},
                    {"type": "text", "text": "do it"},
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": "toolu_1",
                        "name": "Write",
                        "input": {"file_path": "/a"},
                    }
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"},
                    {"type": "text", "text": "reminder"},
                ],
            },
        ],
        "tools": [
            {"name": "Write", "input_schema": {"properties": {"file_path": {}}}},
            {"type": "web_search_20250305", "name": "web_search"},
            {"type": "text_editor_20250728", "name": "str_replace_based_edit_tool"},
        ],
        "output_config": {"format": {"type": "json_schema", "schema": {"type": "object"}}},
    }
    conv = normalise(ANTHROPIC, body, body_size=400)
    assert conv.prompt == "<system-reminder>x</system-reminder>\ndo it"
    assert (conv.turn, conv.has_tool_result, conv.stream, conv.body_size) == (1, True, True, 400)
    assert [c.call_id for c in conv.recent] == ["toolu_1"] and conv.recent[0].args == {
        "file_path": "/a"
    }
    assert [(t.name, t.kind) for t in conv.tools] == [
        ("Write", "function"), ("web_search", "other"), ("str_replace_based_edit_tool", "function"),
    ]  # fmt: skip
    assert (conv.json_mode, conv.json_schema) == ("format", {"type": "object"})


def test_responses_items_group_into_turns() -> None:
    body = {
        "model": "gpt-5.5",
        "instructions": "base",
        "input": [
            {
                "type": "message",
                "role": "developer",
                "content": [{"type": "input_text", "text": "dev"}],
            },
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "go"}]},
            {"type": "reasoning", "summary": []},
            {
                "type": "custom_tool_call",
                "call_id": "call_1",
                "name": "apply_patch",
                "input": "*** Begin Patch",
            },
            {"type": "custom_tool_call_output", "call_id": "call_1", "output": "ok"},
            {
                "type": "function_call",
                "call_id": "call_2",
                "name": "exec_command",
                "arguments": '{"cmd": "ls"}',
            },
            {"type": "function_call_output", "call_id": "call_2", "output": "ok"},
        ],
        "tools": [{"type": "custom", "name": "apply_patch"}, {"type": "web_search"}],
        "text": {"format": {"type": "json_schema", "name": "x", "schema": {"type": "object"}}},
    }
    conv = normalise(RESPONSES, body)
    assert conv.system == "base\ndev" and conv.prompt == "go"
    assert conv.turn == 2 and conv.has_tool_result
    assert [c.name for c in conv.recent] == ["apply_patch", "exec_command"]
    assert conv.recent[0].args == {"input": "*** Begin Patch"} and conv.recent[1].args == {
        "cmd": "ls"
    }
    assert [(t.name, t.kind) for t in conv.tools] == [
        ("apply_patch", "custom"),
        ("web_search", "other"),
    ]
    assert conv.json_mode == "format"
    assert normalise(RESPONSES, {"input": "plain string"}).prompt == "plain string"


def test_gemini_and_chat() -> None:
    gemini = normalise(
        GEMINI,
        {
            "systemInstruction": {"parts": [{"text": "sys"}]},
            "contents": [
                {"role": "user", "parts": [{"text": "go"}]},
                {
                    "role": "model",
                    "parts": [{"functionCall": {"name": "write_file", "args": {"a": 1}}}],
                },
                {
                    "role": "user",
                    "parts": [{"functionResponse": {"name": "write_file", "response": {}}}],
                },
            ],
            "tools": [
                {"functionDeclarations": [{"name": "write_file", "parameters": {"type": "OBJECT"}}]}
            ],
            "generationConfig": {
                "responseMimeType": "application/json",
                "responseJsonSchema": {"type": "object"},
            },
        },
        model="gemini-2.5-flash",
    )
    assert (gemini.model, gemini.system, gemini.prompt, gemini.turn) == (
        "gemini-2.5-flash",
        "sys",
        "go",
        1,
    )
    assert (
        gemini.has_tool_result
        and gemini.json_mode == "format"
        and gemini.tools[0].schema == {"type": "OBJECT"}
    )
    chat = normalise(
        CHAT,
        {
            "messages": [
                {"role": "developer", "content": "d"},
                {"role": "user", "content": [{"type": "text", "text": "u"}]},
            ],
            "stream": True,
            "stream_options": {"include_usage": True},
            "response_format": {"type": "json_object"},
        },
    )
    assert (chat.system, chat.prompt, chat.include_usage, chat.json_mode, chat.turn) == (
        "d",
        "u",
        True,
        "format",
        0,
    )


def conv_with(system: str = "", *users: str) -> Conversation:
    messages: list[Any] = [{"role": "system", "content": system}] + [
        {"role": "user", "content": u} for u in users
    ]
    return normalise(CHAT, {"messages": messages})


@pytest.mark.parametrize(
    ("system", "user", "cwd"),
    [
        ("", "<environment_context>\n  <cwd>/w/codex</cwd>\n</environment_context>", "/w/codex"),
        ("<env>\nWorking directory: /w/claude\nIs directory a git repo: Yes", "", "/w/claude"),
        ("* Current working directory: /w/copilot\n* Git repository root: /w", "", "/w/copilot"),
        (
            "",
            "My operating system is: linux\nI'm currently working in the directory: /w/gem\n",
            "/w/gem",
        ),
        (
            "",
            "The project's temporary directory is: /t\n- **Workspace Directories:**\n  - /w/gem2\n",
            "/w/gem2",
        ),
        ("stay in the current working directory or the cwd unless told", "", None),
    ],
)
def test_find_cwd(system: str, user: str, cwd: str | None) -> None:
    assert find_cwd(conv_with(system, user)) == cwd


def test_codex_cwd_tag_wins_over_prose_in_instructions() -> None:
    conv = conv_with("", "AGENTS.md: the working directory: /elsewhere", "<cwd>/w/real</cwd>")
    assert find_cwd(conv) == "/w/real"


def test_tag_directive_and_target_path() -> None:
    conv = conv_with(
        "", "PODIUM-TAG: first", 'do it\nPODIUM-TAG: task-7\nPODIUM-SCRIPT: {"text": "hi"} trailing'
    )
    assert find_tag(conv) == "task-7"
    assert find_directive(conv) == {"text": "hi"}
    assert find_directive(conv_with("", "nothing here")) is None
    original = "Do it.\nPODIUM-SCRIPT: " + json.dumps({"text": 'say "hi"'})
    quoted = '"' + original.replace('"', '\\"') + '"'  # what opencode's `run` sends
    assert find_directive(conv_with("", quoted)) == {"text": 'say "hi"'}
    dirs = {"/repo", "/repo/src"}
    target = conv_with(
        "", "Create /repo/src/a.py and also /repo/.env then /repo/src, /nowhere/b.py."
    )
    assert find_target_path(target, dirs.__contains__) == "/repo/src/a.py"


def test_sample_json() -> None:
    schema = {
        "type": "object",
        "properties": {
            "kind": {"enum": ["first", "second"]},
            "count": {"type": "integer", "minimum": 3},
            "ok": {"type": "boolean"},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
            "maybe": {"type": ["null", "string"]},
            "ref": {"$ref": "#/$defs/Thing"},
            "either": {"anyOf": [{"type": "null"}, {"type": "number"}]},
            "next_speaker": {"type": "string"},
        },
        "$defs": {"Thing": {"type": "object", "properties": {"name": {"const": "T"}}}},
    }
    assert sample_json(schema) == {
        "kind": "first",
        "count": 3,
        "ok": False,
        "tags": ["ok", "ok"],
        "maybe": "ok",
        "ref": {"name": "T"},
        "either": 0,
        "next_speaker": "user",
    }
