"""Which endpoint a request reaches, whatever base URL the CLI was given, and the status code
and body it gets for the server's own endpoints."""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest

from podium.testing import ScriptedServer
from podium.testing.requests import ANTHROPIC, CHAT, GEMINI, RESPONSES
from podium.testing.routes import Route, model_list, route


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("POST", "/v1/messages?beta=true", Route("generate", ANTHROPIC)),
        ("POST", "/proxy/anthropic/v1/messages/", Route("generate", ANTHROPIC)),
        ("POST", "/v1/messages/count_tokens", Route("count_tokens", ANTHROPIC)),
        ("POST", "/openai/v1/chat/completions", Route("generate", CHAT)),
        ("POST", "/v1/responses", Route("generate", RESPONSES)),
        (
            "POST",
            "/v1beta/models/gemini-2.5-pro:generateContent",
            Route("generate", GEMINI, "gemini-2.5-pro", sse=False),
        ),
        (
            "POST",
            "/v1beta/models/g:streamGenerateContent?alt=sse",
            Route("generate", GEMINI, "g", stream=True, sse=True),
        ),
        (
            "POST",
            "/v1beta/models/g:streamGenerateContent",
            Route("generate", GEMINI, "g", stream=True, sse=False),
        ),
        ("POST", "/v1beta/models/g:countTokens", Route("count_tokens", GEMINI, "g")),
        ("GET", "/v1/models", Route("models")),
        ("GET", "/v1beta/models/g", Route("model", model="g")),
        ("GET", "/_podium/usage", Route("usage")),
        ("GET", "/_podium/requests/", Route("requests")),
        ("GET", "/_podium/health", Route("health")),
        ("GET", "/v1/messages", Route("unknown")),
        ("POST", "/v1/embeddings", Route("unknown")),
        ("PUT", "/v1/messages", Route("unknown")),
    ],
)
def test_a_path_is_judged_by_its_suffix(method: str, path: str, expected: Route) -> None:
    assert route(method, path) == expected


def get(srv: ScriptedServer, path: str) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    conn.request("GET", path)
    resp = conn.getresponse()
    status, data = resp.status, json.loads(resp.read())
    conn.close()
    return status, data


def test_the_servers_own_endpoints_answer_with_their_status() -> None:
    with ScriptedServer(models=("alpha", "beta")) as srv:
        assert get(srv, "/_podium/health") == (200, {"ok": True})
        status, one = get(srv, "/v1beta/models/alpha")
        assert status == 200
        assert (one["id"], one["name"], one["displayName"]) == ("alpha", "models/alpha", "alpha")
        assert "streamGenerateContent" in one["supportedGenerationMethods"]
        status, missing = get(srv, "/v2/nothing")
        assert status == 404
        assert missing["error"] == {
            "type": "not_found_error",
            "message": "no such endpoint: /v2/nothing",
            "code": 404,
        }
        assert get(srv, "/_podium/requests")[1][-1]["status"] == 404
        assert [r.status for r in srv.requests] == [200, 404]  # health and usage go unrecorded


def test_the_model_list_reads_as_openai_anthropic_and_gemini_at_once() -> None:
    listing = model_list(("a", "b"))
    assert [m["id"] for m in listing["data"]] == ["a", "b"]  # OpenAI, Anthropic
    assert (listing["first_id"], listing["last_id"], listing["has_more"]) == ("a", "b", False)
    assert [m["name"] for m in listing["models"]] == ["models/a", "models/b"]  # Gemini
    assert model_list(())["first_id"] is None
