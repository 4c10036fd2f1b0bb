"""What the scripted model "writes", and the output tokens the server bills for it."""

from __future__ import annotations

from podium.testing.outcomes import Call, Failure, Hang, Text, generated_text, output_tokens


def test_a_function_call_writes_its_arguments_as_compact_json() -> None:
    call = Call("write", {"path": "a.py", "content": "x = 1\n"})
    assert call.payload == '{"path":"a.py","content":"x = 1\\n"}'
    assert generated_text(call) == call.payload
    assert Call("noop").payload == "{}"


def test_a_freeform_call_writes_its_input_as_it_is() -> None:
    patch = "*** Begin Patch\n*** End Patch\n"
    assert generated_text(Call("apply_patch", {"ignored": 1}, input=patch)) == patch


def test_output_tokens_are_a_quarter_of_the_text_plus_one() -> None:
    assert output_tokens(Text("")) == 1
    assert output_tokens(Text("abc")) == 1
    assert output_tokens(Text("x" * 400)) == 101
    assert output_tokens(Call("w", {"k": "v" * 30})) == len('{"k":"' + "v" * 30 + '"}') // 4 + 1


def test_errors_and_hangs_write_nothing() -> None:
    assert generated_text(Failure(500, "boom")) == ""
    assert generated_text(Hang()) == ""
