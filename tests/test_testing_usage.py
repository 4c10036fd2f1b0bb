"""Token accounting as a test reads it: totals per API, model and tag, errors counted, and a
JSONL log with one line per request, also when requests arrive at once."""

from __future__ import annotations

import http.client
import json
import threading
from pathlib import Path

from podium.testing import ScriptedServer
from podium.testing.usage import RequestRecord, Usage, UsageBook


def record(
    api: str, model: str, tag: str | None, status: int, tin: int, tout: int
) -> RequestRecord:
    return RequestRecord(
        0.0, "POST", "/v1/x", api, model, False, tag, status, Usage(tin, tout), "text", "rule"
    )


def test_the_summary_adds_up_per_api_model_and_tag() -> None:
    book = UsageBook()
    book.add(record("anthropic", "sonnet", "a", 200, 100, 10))
    book.add(record("anthropic", "opus", None, 429, 0, 0))
    book.add(record("chat", "sonnet", "a", 200, 40, 4))
    summary = book.summary()
    assert summary["total"] == {
        "requests": 3,
        "errors": 1,
        "input_tokens": 140,
        "output_tokens": 14,
        "total_tokens": 154,
    }
    assert summary["by_api"]["anthropic"]["requests"] == 2
    assert summary["by_model"]["sonnet"]["total_tokens"] == 154
    assert summary["by_model"]["opus"]["errors"] == 1
    assert summary["by_tag"][""]["requests"] == 1  # untagged requests go under ""
    assert summary["by_tag"]["a"]["input_tokens"] == 140
    assert list(summary["by_api"]) == ["anthropic", "chat"]


def test_an_empty_book_sums_to_zero() -> None:
    assert UsageBook().summary() == {
        "total": {
            "requests": 0,
            "errors": 0,
            "input_tokens": 0,
            "output_tokens": 0,
            "total_tokens": 0,
        },
        "by_api": {},
        "by_model": {},
        "by_tag": {},
    }


def test_records_are_a_copy_a_reader_cannot_disturb() -> None:
    book = UsageBook()
    book.add(record("chat", "m", None, 200, 1, 1))
    book.records.clear()
    assert len(book.records) == 1


def test_requests_at_once_each_get_a_record_and_a_log_line(tmp_path: Path) -> None:
    log = tmp_path / "usage.jsonl"
    book = UsageBook(log)

    def add_many() -> None:
        for _ in range(50):
            book.add(record("chat", "m", "t", 200, 3, 2))

    threads = [threading.Thread(target=add_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert book.summary()["total"]["total_tokens"] == 400 * 5
    lines = log.read_text().splitlines()
    assert len(lines) == 400
    assert json.loads(lines[0])["usage"] == {"input_tokens": 3, "output_tokens": 2}


def test_the_servers_log_has_the_request_as_billed(tmp_path: Path) -> None:
    log = tmp_path / "usage.jsonl"
    body = json.dumps(
        {"model": "m1", "messages": [{"role": "user", "content": "PODIUM-TAG: t1\nhi"}]}
    )
    with ScriptedServer([{"reply": {"text": "x" * 40}}], log_path=log) as srv:
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        conn.request("POST", "/v1/chat/completions", body, {"content-type": "application/json"})
        assert conn.getresponse().status == 200
        conn.close()
    (line,) = log.read_text().splitlines()
    logged = json.loads(line)
    assert logged["usage"] == {"input_tokens": len(body) // 4, "output_tokens": 11}
    assert (logged["api"], logged["model"], logged["tag"], logged["status"]) == (
        "chat",
        "m1",
        "t1",
        200,
    )
    assert (logged["reply"], logged["source"]) == ("text", "rule")
