"""A plausible value for the JSON schema a CLI asks its model to answer in."""

from __future__ import annotations

from podium.testing.schemas import sample_json


def test_what_is_not_a_schema_gives_none() -> None:
    assert sample_json(None) is None
    assert sample_json(["string"]) is None
    assert sample_json({"type": "mystery"}) is None


def test_defaults_and_consts_are_used_as_given() -> None:
    assert sample_json({"type": "string", "default": "main"}) == "main"
    assert sample_json({"const": 7, "type": "string"}) == 7


def test_strings_meet_their_minimum_length() -> None:
    assert sample_json({"type": "string"}) == "ok"
    assert sample_json({"type": "string", "minLength": 5}) == "xxxxx"


def test_numbers_start_at_their_minimum() -> None:
    assert sample_json({"type": "number", "minimum": 0.5}) == 0.5
    assert sample_json({"type": "integer"}) == 0


def test_gemini_upper_case_types() -> None:
    schema = {
        "type": "OBJECT",
        "properties": {"reasoning": {"type": "STRING"}, "next_speaker": {"type": "STRING"}},
    }
    # Gemini CLI's "who speaks next" check hands the turn back to the user
    assert sample_json(schema) == {"reasoning": "ok", "next_speaker": "user"}


def test_a_title_field_gets_a_readable_title() -> None:
    schema = {"properties": {"title": {"type": "string"}, "done": {"type": "boolean"}}}
    assert sample_json(schema) == {"title": "Scripted task", "done": False}


def test_one_of_takes_the_first_option_that_is_not_null() -> None:
    schema = {"oneOf": [{"type": "null"}, {"type": "array", "items": {}, "minItems": 1}]}
    assert sample_json(schema) == [None]
    assert sample_json({"allOf": [{"type": "boolean"}]}) is False
    assert sample_json({"type": ["null"]}) is None


def test_an_object_without_properties_is_empty() -> None:
    assert sample_json({"type": "object"}) == {}
    assert sample_json({"type": "object", "properties": "bad"}) == {}


def test_a_recursive_schema_ends() -> None:
    schema = {
        "$ref": "#/$defs/Node",
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {"child": {"$ref": "#/$defs/Node"}},
            }
        },
    }
    value = sample_json(schema)
    depth = 0
    while isinstance(value, dict):
        value, depth = value["child"], depth + 1
    assert value is None and depth > 1


def test_a_reference_it_cannot_follow_gives_none() -> None:
    assert sample_json({"$ref": "#/$defs/Missing"}) is None
    assert sample_json({"$ref": "https://example.com/schema.json"}) is None
