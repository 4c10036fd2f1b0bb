"""Script rules, their matching, and what the scripted model decides turn by turn."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from podium.testing.edits import Workspace
from podium.testing.outcomes import Call, Failure, Hang, Text
from podium.testing.requests import ANTHROPIC, CHAT, RESPONSES, Conversation, normalise
from podium.testing.script import Script, ScriptError, WriteFile, load_script, parse_reply
from podium.testing.turns import Decision, decide

WRITE = {
    "type": "function",
    "function": {"name": "write", "parameters": {"properties": {"filePath": {}, "content": {}}}},
}


def chat(
    prompt: str, *extra: Any, tools: Any = (WRITE,), model: str = "m", **more: Any
) -> Conversation:
    body = {
        "model": model,
        "messages": [{"role": "user", "content": prompt}, *extra],
        "tools": list(tools),
        **more,
    }
    return normalise(CHAT, body)


def after_call(prompt: str, *calls: str) -> Conversation:
    """The request that follows the model's tool calls with these ids."""
    extra: list[Any] = []
    for ident in calls:
        extra.append(
            {
                "role": "assistant",
                "tool_calls": [{"id": ident, "function": {"name": "write", "arguments": "{}"}}],
            }
        )
        extra.append({"role": "tool", "tool_call_id": ident, "content": "ok"})
    return chat(prompt, *extra)


def run(script: Any, conversation: Conversation) -> Decision:
    return decide(load_script(script), conversation, Workspace("/w", lambda _: None))


def test_first_matching_rule_wins_and_times_limits_it() -> None:
    script = load_script(
        [
            {"match": {"last_user": "deploy"}, "reply": {"error": {"status": 500}}, "times": 1},
            {"match": {"last_user_regex": "^dep"}, "reply": {"text": "second"}},
        ]
    )
    outcomes = [
        decide(script, chat("deploy it"), Workspace(None, lambda _: None)).outcome for _ in range(3)
    ]
    assert outcomes == [Failure(500), Text("second"), Text("second")]


@pytest.mark.parametrize(
    ("match", "hit"),
    [
        ({"api": "chat"}, True),
        ({"api": ["anthropic", "gemini"]}, False),
        ({"model": "gpt"}, True),
        ({"any_user": "hello"}, True),
        ({"last_user": "hello"}, True),
        ({"last_user": "bye"}, False),
        ({"any_user_regex": "h.llo"}, True),
        ({"has_tool_result": True}, True),
        ({"wants_json": True}, False),
        ({"turn": 1}, True),
        ({"turn": 0}, False),
        ({"tag": "t7"}, True),
        ({"has_tool": "write"}, True),
        ({"has_tool": "Bash"}, False),
    ],
)
def test_match_conditions(match: dict[str, Any], hit: bool) -> None:
    conversation = chat(
        "hello PODIUM-TAG: t7",
        {
            "role": "assistant",
            "tool_calls": [{"id": "c1", "function": {"name": "write", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "ok"},
        model="gpt-5",
    )
    decision = run([{"match": match, "reply": {"text": "hit"}}], conversation)
    assert (decision.outcome == Text("hit")) == hit


def test_steps_play_one_per_tool_call_then_final_text() -> None:
    steps = [
        {"write_file": {"path": "a", "content": "1"}},
        {"write_file": {"path": "b", "content": "2"}},
    ]
    script = [{"reply": steps, "then_text": "all done"}]
    assert run(script, chat("x")).outcome == Call("write", {"filePath": "/w/a", "content": "1"})
    assert run(script, after_call("x", "call_1")).outcome == Call(
        "write", {"filePath": "/w/b", "content": "2"}
    )
    assert run(script, after_call("x", "call_1", "call_2")).outcome == Text("all done")


def test_server_added_reads_do_not_count_as_steps() -> None:
    script = [{"reply": [{"write_file": {"path": "a", "content": "1"}}]}]
    assert run(script, after_call("x", "call_aux01abc")).outcome == Call(
        "write", {"filePath": "/w/a", "content": "1"}
    )


def test_a_new_prompt_starts_the_steps_again() -> None:
    script = [{"reply": {"write_file": {"path": "a", "content": "1"}}}]
    conversation = chat(
        "first",
        {
            "role": "assistant",
            "tool_calls": [{"id": "c1", "function": {"name": "write", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "ok"},
        {"role": "assistant", "content": "Done."},
        {"role": "user", "content": "second prompt"},
    )
    assert conversation.turn == 0 and conversation.prompt == "second prompt"
    assert isinstance(run(script, conversation).outcome, Call)


def test_delay_without_then_falls_through_and_accumulates() -> None:
    script = [
        {"reply": {"delay": {"seconds": 0.5}}},
        {"reply": {"delay": {"seconds": 0.25, "then": {"hang": True}}}},
    ]
    decision = run(script, chat("x"))
    assert decision.delays == [0.5, 0.25] and decision.outcome == Hang()


def test_prompt_directive_and_faults() -> None:
    directive = (
        'PODIUM-SCRIPT: [{"write_file": {"path": "p.txt", "content": "A"}}, {"text": "bye"}]'
    )
    assert run(None, chat(directive)).outcome == Call(
        "write", {"filePath": "/w/p.txt", "content": "A"}
    )
    assert run(None, after_call(directive, "c1")).outcome == Text("bye")
    assert run(None, chat("PODIUM-SCRIPT: {oops")).source == "default"
    broken = run(None, chat('PODIUM-SCRIPT: {"nope": 1}')).outcome
    assert isinstance(broken, Text) and "expected exactly one of" in broken.text
    stalled = run(None, chat("x FAKE_STALL=2.5 FAKE_HTTP_ERROR=429"))
    assert stalled.delays == [2.5] and stalled.outcome == Failure(
        429, "injected by FAKE_HTTP_ERROR=429"
    )


def test_default_writes_the_last_absolute_prompt_path(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    prompt = f"context {tmp_path}/.hidden then create {tmp_path}/pkg/mod.py please."
    outcome = decide(Script(), chat(prompt), Workspace(str(tmp_path), lambda _: None)).outcome
    assert isinstance(outcome, Call) and outcome.args is not None
    assert outcome.args["filePath"] == f"{tmp_path}/pkg/mod.py"
    final = decide(
        Script(), after_call(prompt, "c1"), Workspace(str(tmp_path), lambda _: None)
    ).outcome
    assert final == Text("Done: wrote pkg/mod.py.")


def test_json_replies_follow_the_request() -> None:
    structured = {
        "name": "StructuredOutput",
        "input_schema": {"properties": {"plan": {"type": "string"}}},
    }
    claude = normalise(
        ANTHROPIC, {"messages": [{"role": "user", "content": "plan"}], "tools": [structured]}
    )
    script = [{"reply": {"json": {"value": {"plan": "p"}}}}]
    assert run(script, claude).outcome == Call("StructuredOutput", {"plan": "p"})
    assert run(None, claude).outcome == Call("StructuredOutput", {"plan": "ok"})
    codex = normalise(
        RESPONSES, {"input": "plan", "text": {"format": {"type": "json_schema", "schema": {}}}}
    )
    assert run(script, codex).outcome == Text('{"plan": "p"}')
    title = chat("title?", tools=(), response_format={"type": "json_object"})
    assert run([{"reply": {"write_file": {"path": "a", "content": "b"}}}], title).outcome == Text(
        "{}"
    )


def test_load_script_from_file_and_mapping(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"rules": [{"reply": "hi"}]}))
    with pytest.raises(ScriptError, match="rule 1: a reply is an object"):
        load_script(path)
    path.write_text(json.dumps({"rules": [], "default_file": {"path": "x.md", "content": "# x\n"}}))
    script = load_script(str(path))
    assert (script.default_path, script.default_content) == ("x.md", "# x\n")
    with pytest.raises(ScriptError, match="cannot read script"):
        load_script(tmp_path / "missing.json")


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([{"match": {"colour": "red"}, "reply": {"text": "x"}}], "unknown match key"),
        ([{"match": {"api": "grpc"}, "reply": {"text": "x"}}], "unknown api"),
        ([{"match": {"last_user_regex": "("}, "reply": {"text": "x"}}], "bad last_user_regex"),
        ([{"reply": {"text": "x"}, "times": -1}], "non-negative"),
        ([{"reply": {"write_file": {"path": "a"}}}], "bad 'write_file' reply"),
        ([{"reply": {"text": "x", "json": {"value": 1}}}], "exactly one of"),
        ({"not": "a list"}, "a script is a list"),
    ],
)
def test_script_errors_say_what_is_wrong(rules: Any, message: str) -> None:
    with pytest.raises(ScriptError, match=message):
        load_script(rules if isinstance(rules, list) else {"rules": rules})


def test_reply_shorthands() -> None:
    assert parse_reply({"text": {"text": "a"}}) == Text("a")
    assert parse_reply({"error": 503}) == Failure(503)
    steps = parse_reply(
        {"steps": [{"write_file": {"path": "a", "content": "b"}}], "then_text": "ok"}
    )
    assert steps.steps == (WriteFile("a", "b"),) and steps.then_text == "ok"  # type: ignore[union-attr]


def test_the_documented_example_script_loads() -> None:
    doc = (Path(__file__).parents[1] / "docs" / "scripted-server.md").read_text()
    example = doc.split("### A full example\n\n```json\n", 1)[1].split("\n```", 1)[0]
    script = load_script(json.loads(example))
    assert len(script.rules) == 5 and script.default_path == "hello.py"
