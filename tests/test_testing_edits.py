"""Choosing the offered tool and its argument names for a scripted file edit."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from podium.testing.edits import Workspace, edit_file, read_disk, write_file
from podium.testing.outcomes import Call, Text
from podium.testing.requests import ANTHROPIC, CHAT, RESPONSES, Conversation, normalise

CWD = "/repo"


def props(*names: str, required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {n: {"type": "string"} for n in names},
        "required": list(required),
    }


def conv(
    tools: dict[str, dict[str, Any]], system: str = f"Working directory: {CWD}", extra: Any = ()
) -> Conversation:
    body = {
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": "go"},
            *extra,
        ],
        "tools": [
            {"type": "function", "function": {"name": n, "parameters": s}} for n, s in tools.items()
        ],
    }
    return normalise(CHAT, body)


def files(contents: dict[str, str] | None = None) -> Workspace:
    known = contents or {}
    return Workspace(CWD, known.get, lambda _: True)


def test_write_tool_argument_names_follow_each_cli() -> None:
    cases = {
        "Write": (props("file_path", "content"), {"file_path": "/repo/a.py", "content": "x"}),
        "write": (props("filePath", "content"), {"filePath": "/repo/a.py", "content": "x"}),
        "write_file": (props("file_path", "content"), {"file_path": "/repo/a.py", "content": "x"}),
        "create": (props("path", "file_text"), {"path": "/repo/a.py", "file_text": "x"}),
        "str_replace_based_edit_tool": (
            props("command", "path", "file_text", "old_str", "new_str"),
            {"command": "create", "path": "/repo/a.py", "file_text": "x"},
        ),
    }
    for name, (schema, expected) in cases.items():
        assert write_file(conv({name: schema}), files(), "a.py", "x") == Call(name, expected)


def test_write_prefers_file_tool_over_patch_and_shell() -> None:
    tools = {
        "bash": props("command"),
        "apply_patch": props("input"),
        "write": props("filePath", "content"),
    }
    assert write_file(conv(tools), files(), "a.py", "x") == Call(
        "write", {"filePath": "/repo/a.py", "content": "x"}
    )
    del tools["write"]
    patch = "*** Begin Patch\n*** Add File: a.py\n+x\n*** End Patch\n"
    assert write_file(conv(tools), files(), "a.py", "x") == Call("apply_patch", {"input": patch})


def test_unknown_required_arguments_get_harmless_values() -> None:
    schema = props("file_path", "content", "instruction", required=("file_path", "instruction"))
    schema["properties"]["expected_replacements"] = {"type": "integer"}
    schema["required"].append("expected_replacements")
    call = write_file(conv({"write_file": schema}), files(), "a.py", "x")
    assert isinstance(call, Call) and call.args is not None
    assert call.args["expected_replacements"] == 1 and isinstance(call.args["instruction"], str)


def test_claude_and_opencode_read_an_existing_file_first() -> None:
    claude = {"Read": props("file_path"), "Write": props("file_path", "content")}
    first = write_file(conv(claude), files({"/repo/a.py": "old"}), "a.py", "new")
    assert first == Call("Read", {"file_path": "/repo/a.py"}, aux=True)
    history = [
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": "call_aux1",
                    "function": {"name": "Read", "arguments": json.dumps(first.args)},
                }
            ],
        },  # type: ignore[union-attr]
        {"role": "tool", "tool_call_id": "call_aux1", "content": "old"},
    ]
    second = write_file(conv(claude, extra=history), files({"/repo/a.py": "old"}), "a.py", "new")
    assert second == Call("Write", {"file_path": "/repo/a.py", "content": "new"})
    opencode = {"read": props("filePath"), "write": props("filePath", "content")}
    assert write_file(conv(opencode), files({"/repo/a.py": "old"}), "a.py", "new") == Call(
        "read", {"filePath": "/repo/a.py"}, aux=True
    )
    qwen = {"read_file": props("file_path"), "write_file": props("file_path", "content")}
    assert write_file(conv(qwen), files({"/repo/a.py": "old"}), "a.py", "new") == Call(
        "read_file", {"file_path": "/repo/a.py"}, aux=True
    )
    assert write_file(conv(claude), files(), "a.py", "new") == Call(
        "Write", {"file_path": "/repo/a.py", "content": "new"}
    )


def test_copilot_create_on_existing_file_becomes_whole_file_edit() -> None:
    tools = {"create": props("path", "file_text"), "edit": props("path", "old_str", "new_str")}
    call = write_file(conv(tools), files({"/repo/a.py": "old\n"}), "a.py", "new\n")
    assert call == Call("edit", {"path": "/repo/a.py", "old_str": "old\n", "new_str": "new\n"})


def test_copilot_create_needs_an_existing_directory() -> None:
    tools = {
        "create": props("path", "file_text"),
        "bash": props("command", "description", required=("command", "description")),
    }
    ws = Workspace(CWD, lambda _: None, lambda folder: folder != "/repo/new")
    call = write_file(conv(tools), ws, "new/a.py", "x\n")
    assert call is not None and call == Call(
        "bash",
        {
            "command": "mkdir -p /repo/new && cat > /repo/new/a.py <<'PODIUM_EOF'\nx\nPODIUM_EOF\n",
            "description": "Scripted edit by podium.",
        },
    )


def test_apply_patch_updates_an_existing_file_and_codex_custom_tool() -> None:
    body = {
        "input": [
            {"role": "user", "content": f"<cwd>{CWD}</cwd>"},
            {"role": "user", "content": "go"},
        ],
        "tools": [{"type": "custom", "name": "apply_patch"}],
    }
    codex = normalise(RESPONSES, body)
    call = write_file(codex, files({"/repo/a.py": "one\ntwo\n"}), "/repo/a.py", "three\n")
    assert call == Call(
        "apply_patch",
        input="*** Begin Patch\n*** Update File: a.py\n@@\n-one\n-two\n+three\n*** End Patch\n",
    )
    edit = edit_file(
        codex, files({"/repo/a.py": "def f():\n    return 1\n"}), "a.py", "return 1", "return 2"
    )
    assert edit == Call(
        "apply_patch",
        input="*** Begin Patch\n*** Update File: a.py\n@@\n-    return 1\n+    return 2\n"
        "*** End Patch\n",
    )


@pytest.mark.parametrize(
    "content", ["plain\n", "no newline at end", "quote ' and $HOME and PODIUM_EOF\n"]
)
@pytest.mark.parametrize(
    ("name", "schema"),
    [
        ("exec_command", props("cmd", "workdir")),
        ("Bash", props("command", "description")),
        ("shell", {"type": "object", "properties": {"command": {"type": "array"}}}),
    ],
)
def test_shell_writes_exact_content(
    tmp_path: Path, name: str, schema: dict[str, Any], content: str
) -> None:
    call = write_file(
        conv({name: schema}, f"Working directory: {tmp_path}"),
        Workspace(str(tmp_path), read_disk),
        "d/f.txt",
        content,
    )
    assert isinstance(call, Call) and call.name == name and call.args is not None
    script = next(iter(call.args.values()))
    argv = script if isinstance(script, list) else ["bash", "-c", script]
    subprocess.run(argv, check=True, cwd=tmp_path)
    assert (tmp_path / "d/f.txt").read_text() == content


def test_edit_tools_and_fallbacks(tmp_path: Path) -> None:
    target = tmp_path / "m.py"
    target.write_text("a = 1\nb = 2\n")
    ws = Workspace(str(tmp_path), read_disk)
    claude = conv(
        {"Read": props("file_path"), "Edit": props("file_path", "old_string", "new_string")}
    )
    assert edit_file(claude, ws, "m.py", "b = 2", "b = 3") == Call(
        "Read", {"file_path": str(target)}, aux=True
    )
    gemini = conv({"replace": props("file_path", "old_string", "new_string")})
    assert edit_file(gemini, ws, "m.py", "b = 2", "b = 3") == Call(
        "replace", {"file_path": str(target), "old_string": "b = 2", "new_string": "b = 3"}
    )
    writer = conv({"write_file": props("file_path", "content")})
    assert edit_file(writer, ws, "m.py", "b = 2", "b = 3") == Call(
        "write_file", {"file_path": str(target), "content": "a = 1\nb = 3\n"}
    )
    shell = edit_file(conv({"bash": props("command")}), ws, "m.py", "b = 2", "b = 3")
    assert isinstance(shell, Call) and shell.args is not None
    subprocess.run(["bash", "-c", shell.args["command"]], check=True)
    assert target.read_text() == "a = 1\nb = 3\n"


AIDER = "Use *SEARCH/REPLACE block* edits."


def test_aider_formats_use_the_chat_copy_of_a_file() -> None:
    pasted = [
        {
            "role": "user",
            "content": "I have *added these files to the chat*\n\nm.py\n```\na = 1\nb = 2\n```\n",
        }
    ]
    body = {
        "messages": [
            {"role": "system", "content": AIDER},
            *pasted,
            {"role": "user", "content": "go"},
        ]
    }
    aider = normalise(CHAT, body)
    ws = Workspace(None, read_disk)
    whole = write_file(aider, ws, "m.py", "c = 3\n")
    assert whole == Text(
        "m.py\n```python\n<<<<<<< SEARCH\na = 1\nb = 2\n=======\nc = 3\n>>>>>>> REPLACE\n```\n"
    )
    edit = edit_file(aider, ws, "m.py", "b = 2", "b = 9")
    assert edit == Text(
        "m.py\n```python\n<<<<<<< SEARCH\nb = 2\n=======\nb = 9\n>>>>>>> REPLACE\n```\n"
    )
    body["messages"][0]["content"] = "You MUST use this *file listing* format:"
    listing = edit_file(normalise(CHAT, body), ws, "m.py", "b = 2", "b = 9")
    assert listing == Text("m.py\n```python\na = 1\nb = 9\n```\n")
    body["messages"][0]["content"] = "like `diff -U0` would produce"
    udiff = write_file(
        normalise(CHAT, {"messages": body["messages"][:1] + body["messages"][2:]}),
        ws,
        "n.py",
        "x\n",
    )
    assert udiff == Text("```diff\n--- /dev/null\n+++ n.py\n@@ ... @@\n+x\n```\n")


def test_nothing_fits_without_tools_or_aider() -> None:
    assert (
        write_file(
            normalise(ANTHROPIC, {"messages": [{"role": "user", "content": "go"}]}),
            files(),
            "a",
            "b",
        )
        is None
    )
