"""Token accounting: one record per request, totals per API, model and conversation tag."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Usage:
    """Input = request body bytes // 4; output = generated text length // 4 + 1 (0 on errors)."""

    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class RequestRecord:
    """One request as the server saw and answered it."""

    time: float
    method: str
    path: str
    api: str
    model: str
    stream: bool
    tag: str | None
    status: int
    usage: Usage
    reply: str = ""
    source: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["usage"] = asdict(self.usage)
        return data


@dataclass
class _Totals:
    requests: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    def add(self, record: RequestRecord) -> None:
        self.requests += 1
        self.errors += record.status >= 400
        self.input_tokens += record.usage.input_tokens
        self.output_tokens += record.usage.output_tokens

    def to_json(self) -> dict[str, int]:
        return asdict(self) | {"total_tokens": self.input_tokens + self.output_tokens}


@dataclass
class UsageBook:
    """Thread-safe store of request records; appends each to a JSONL file when given one."""

    log_path: str | os.PathLike[str] | None = None
    _records: list[RequestRecord] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)
            if self.log_path is not None:
                with open(self.log_path, "a", encoding="utf-8") as log:
                    log.write(json.dumps(record.to_json()) + "\n")

    @property
    def records(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def summary(self) -> dict[str, Any]:
        """`{"total": {...}, "by_api": {api: {...}}, "by_model": {...}, "by_tag": {...}}`.

        Each entry: requests, errors, input_tokens, output_tokens, total_tokens. Untagged
        requests are under the tag "" (empty string).
        """
        total = _Totals()
        groups: dict[str, dict[str, _Totals]] = {"by_api": {}, "by_model": {}, "by_tag": {}}
        for record in self.records:
            total.add(record)
            keys = {"by_api": record.api, "by_model": record.model, "by_tag": record.tag or ""}
            for group, key in keys.items():
                groups[group].setdefault(key, _Totals()).add(record)
        result: dict[str, Any] = {"total": total.to_json()}
        for group, entries in groups.items():
            result[group] = {key: totals.to_json() for key, totals in sorted(entries.items())}
        return result
