"""Each API gets its answer and its errors in its own shape; a script's own error body and
headers go out as written."""

from __future__ import annotations

import json

import pytest

from podium.testing.outcomes import Failure, Text
from podium.testing.replies import render, render_failure
from podium.testing.requests import ANTHROPIC, CHAT, GEMINI, RESPONSES, normalise
from podium.testing.usage import Usage


@pytest.mark.parametrize(
    ("api", "body", "key"),
    [
        (ANTHROPIC, {"messages": [{"role": "user", "content": "go"}]}, "content"),
        (CHAT, {"messages": [{"role": "user", "content": "go"}]}, "choices"),
        (RESPONSES, {"input": "go"}, "output"),
        (GEMINI, {"contents": [{"role": "user", "parts": [{"text": "go"}]}]}, "candidates"),
    ],
)
def test_each_api_gets_its_own_answer_shape(api: str, body: dict[str, object], key: str) -> None:
    reply = render(normalise(api, body), Text("hi"), Usage(1, 1))
    assert reply.status == 200 and key in json.loads(reply.body)


@pytest.mark.parametrize(
    ("api", "shape"),
    [
        (ANTHROPIC, {"type": "rate_limit_error", "message": "slow"}),
        (
            CHAT,
            {"message": "slow", "type": "requests", "param": None, "code": "rate_limit_exceeded"},
        ),
        (GEMINI, "RESOURCE_EXHAUSTED"),
    ],
)
def test_a_rate_limit_is_shaped_for_the_api(api: str, shape: object) -> None:
    reply = render_failure(api, Failure(429, "slow", retry_after=4), now=0.0)
    error = json.loads(reply.body)["error"]
    assert reply.status == 429 and reply.headers["retry-after"] == "4"
    assert (error["status"] if isinstance(shape, str) else error) == shape


def test_a_script_can_answer_with_plain_text_and_override_headers() -> None:
    failure = Failure(502, body="<html>bad gateway</html>", headers={"retry-after": "9"})
    reply = render_failure(RESPONSES, failure, now=0.0)
    assert reply.status == 502 and reply.body == b"<html>bad gateway</html>"
    assert reply.headers["content-type"] == "text/plain"
    assert reply.headers["retry-after"] == "9"
    assert reply.headers["x-request-id"].startswith("req_01")


def test_a_script_can_answer_with_its_own_json_body() -> None:
    reply = render_failure(ANTHROPIC, Failure(400, body={"odd": [1]}), now=0.0)
    assert (reply.status, json.loads(reply.body)) == (400, {"odd": [1]})
    assert reply.headers["content-type"] == "application/json"
