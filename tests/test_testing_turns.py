"""What the scripted model does on one turn: which rule spoke, steps that stall the
conversation, tools it cannot use, aider's batched edits, JSON-only answers."""

from __future__ import annotations

import json
from typing import Any

from podium.testing.edits import Workspace
from podium.testing.outcomes import Call, Failure, Text
from podium.testing.requests import ANTHROPIC, CHAT, Conversation, normalise
from podium.testing.script import load_script
from podium.testing.turns import Decision, decide, steps_taken

SHELL = {
    "type": "function",
    "function": {"name": "shell", "parameters": {"properties": {"command": {}}}},
}


def chat(prompt: str, *calls: str, system: str = "", tools: Any = (SHELL,)) -> Conversation:
    """The request after the model made tool calls with these ids (none: the first request)."""
    messages: list[Any] = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": prompt})
    for ident in calls:
        call = {"id": ident, "function": {"name": "shell", "arguments": "{}"}}
        messages.append({"role": "assistant", "tool_calls": [call]})
        messages.append({"role": "tool", "tool_call_id": ident, "content": "ok"})
    return normalise(CHAT, {"model": "m", "messages": messages, "tools": list(tools)})


def run(script: Any, conv: Conversation) -> Decision:
    return decide(load_script(script), conv, Workspace("/w", lambda _: None))


def test_the_decision_says_which_source_answered() -> None:
    rule = [{"match": {"last_user": "hello"}, "reply": {"text": "from the rule"}}]
    assert run(rule, chat("hello")).source == "rule"
    assert run(rule, chat('PODIUM-SCRIPT: {"text": "inline"}')).source == "directive"
    assert run(rule, chat("anything else")).source == "default"
    assert run(rule, chat("hello FAKE_HTTP_ERROR=500")).source == "fault"


def test_an_error_step_answers_every_later_request_too() -> None:
    script = [{"reply": {"error": {"status": 503}}}]
    first, later = run(script, chat("x")), run(script, chat("x", "c1", "c2"))
    assert isinstance(first.outcome, Failure) and first.outcome.status == 503
    assert later.outcome == first.outcome


def test_a_tool_step_calls_the_named_tool() -> None:
    script = [{"reply": [{"tool": {"name": "shell", "args": {"command": "make"}}}]}]
    assert run(script, chat("build")).outcome == Call("shell", {"command": "make"})
    assert run(script, chat("build", "c1")).outcome == Text("Done.")


def test_a_file_step_without_any_tool_that_can_write_answers_plainly() -> None:
    script = [{"reply": {"write_file": {"path": "a.txt", "content": "A"}}}]
    assert run(script, chat("write it", tools=())).outcome == Text("OK")


def test_aider_gets_all_its_edits_in_one_answer() -> None:
    system = "Describe each change with a *SEARCH/REPLACE block* per file."
    script = [
        {
            "reply": [
                {"write_file": {"path": "one.py", "content": "ONE = 1\n"}},
                {"write_file": {"path": "two.py", "content": "TWO = 2\n"}},
            ]
        }
    ]
    outcome = run(script, chat("add both", system=system, tools=())).outcome
    assert isinstance(outcome, Text)
    assert "one.py" in outcome.text and "ONE = 1" in outcome.text
    assert "two.py" in outcome.text and "TWO = 2" in outcome.text


def test_the_final_answer_is_json_when_the_request_demands_a_format() -> None:
    schema = {"type": "object", "properties": {"summary": {"type": "string"}}}
    body = {
        "model": "m",
        "messages": [
            {"role": "user", "content": "summarise"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "Bash"}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1"}]},
        ],
        "output_format": {"type": "json_schema", "schema": schema},
        "tools": [{"name": "Bash", "input_schema": {"properties": {"command": {}}}}],
    }
    script = [{"reply": [{"tool": {"name": "Bash", "args": {"command": "ls"}}}]}]
    outcome = run(script, normalise(ANTHROPIC, body)).outcome
    assert isinstance(outcome, Text)
    assert json.loads(outcome.text) == {"summary": "ok"}


def test_the_servers_own_calls_are_not_steps() -> None:
    assert steps_taken(chat("x")) == 0
    assert steps_taken(chat("x", "c1", "c2")) == 2
    assert steps_taken(chat("x", "c1", "read_aux01")) == 1
