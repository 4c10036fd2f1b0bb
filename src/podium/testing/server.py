"""The scripted model server: HTTP/1.1 keep-alive, chunked SSE, a background thread, a CLI.

with ScriptedServer(script=[...]) as srv:
    ...  # point an agent at srv.url
    srv.usage()["total"]["output_tokens"]

python -m podium.testing.server --port 0 --port-file F [--script FILE] [--log FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import select
import signal
import socket
import socketserver
import sys
import threading
import time
import traceback
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from podium.testing import replies
from podium.testing.framing import HttpReply, json_reply
from podium.testing.outcomes import Call, Failure, Hang, output_tokens
from podium.testing.prompt import find_tag
from podium.testing.requests import ANTHROPIC, GEMINI, Conversation, normalise
from podium.testing.routes import Route, model_entry, model_list, route
from podium.testing.script import Script, ScriptError, ScriptSource, load_script
from podium.testing.turns import decide
from podium.testing.usage import RequestRecord, Usage, UsageBook

DEFAULT_MODELS = ("fake-model",)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], owner: ScriptedServer) -> None:
        self.owner = owner
        self.connections: set[socket.socket] = set()
        self.lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # skip HTTPServer's reverse DNS lookup
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    sent = False  # whether this request's answer has started

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log is the record."""

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        self.sent = False
        try:
            self.server.owner.handle(self, method)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True
        except Exception as exc:  # a server bug: answer 500 rather than drop the connection
            traceback.print_exc()
            self.close_connection = True
            if not self.sent:
                error = {"type": "api_error", "message": f"scripted server failed: {exc!r}"}
                self.send(json_reply(500, {"type": "error", "error": error}))

    def read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            raw = self._read_chunked()
        else:
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        return _decompress(raw, self.headers.get("content-encoding", "").lower())

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline()

    def send(self, reply: HttpReply) -> None:
        self.sent = True
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.events is None:
            self.send_header("content-length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
            return
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        for event in reply.events:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def wait_for_disconnect(self, stop: threading.Event) -> None:
        """Block until the client closes the connection or the server stops."""
        while not stop.is_set():
            readable, _, _ = select.select([self.connection], [], [], 0.1)
            if readable:
                with contextlib.suppress(OSError):
                    if not self.connection.recv(1, socket.MSG_PEEK):
                        return
                    time.sleep(0.05)  # the client sent more (a pipelined request): keep waiting
        self.close_connection = True


def _decompress(raw: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(raw)
    if encoding == "deflate":
        try:
            return zlib.decompress(raw)
        except zlib.error:
            return zlib.decompress(raw, -zlib.MAX_WBITS)
    if encoding == "zstd":
        import zstandard  # type: ignore[import-not-found]  # optional, as the CLIs rarely compress

        return bytes(zstandard.ZstdDecompressor().decompress(raw))
    return raw


@dataclass(frozen=True)
class _Note:
    """What a request record needs to know about the request, filled in as it is parsed."""

    method: str
    path: str
    api: str
    model: str
    conv: Conversation | None = None


def _parse(where: Route, body: bytes) -> Conversation | None:
    try:
        parsed = json.loads(body or b"{}")
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    conv = normalise(where.api, parsed, where.model, len(body))
    return replace(conv, stream=where.stream) if where.api == GEMINI else conv


class ScriptedServer:
    """A scripted model server on a background thread; also a context manager."""

    def __init__(
        self,
        script: ScriptSource = None,
        log_path: str | os.PathLike[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        models: Sequence[str] = DEFAULT_MODELS,
    ) -> None:
        self.script: Script = load_script(script)
        self.book = UsageBook(log_path)
        self.models = tuple(models)
        self._address = (host, port)
        self._stop = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> ScriptedServer:
        self._stop = threading.Event()
        self._server = _Server(self._address, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and drop open connections (a hanging request's client sees EOF)."""
        self._stop.set()
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with server.lock:
            for conn in list(server.connections):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the scripted server is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self._address[0]}:{self.port}"

    def usage(self) -> dict[str, Any]:
        """Token totals: `total`, `by_api`, `by_model`, `by_tag` (see `UsageBook.summary`)."""
        return self.book.summary()

    @property
    def requests(self) -> list[RequestRecord]:
        return self.book.records

    # --- one request ---------------------------------------------------------------------

    def handle(self, handler: _Handler, method: str) -> None:
        """Answer one request.

        Each request is recorded before its answer goes out, so a client holding the answer
        always finds the record in `requests` and `/_podium/usage`.
        """
        where = route(method, handler.path)
        note = _Note(method, handler.path, where.api, where.model)
        try:
            body = handler.read_body() if method == "POST" else b""
        except (OSError, EOFError, ValueError, ImportError, zlib.error) as exc:
            handler.close_connection = True
            self._fail(handler, note, Failure(400, f"cannot read the request body: {exc}"))
            return
        if where.kind not in ("generate", "count_tokens"):
            if where.kind in ("models", "model", "unknown"):
                self._record(note, 404 if where.kind == "unknown" else 200)
            handler.send(self._service(where, handler.path))
            return
        conv = _parse(where, body)
        if conv is None:
            self._fail(handler, note, Failure(400, "the request body is not a JSON object"))
            return
        note = _Note(method, handler.path, where.api, conv.model, conv)
        if where.kind == "count_tokens":
            self._record(note, 200, reply="count_tokens")
            key = "input_tokens" if where.api == ANTHROPIC else "totalTokens"
            handler.send(json_reply(200, {key: conv.body_size // 4}))
            return
        self._generate(handler, note, where, conv)

    def _generate(self, handler: _Handler, note: _Note, where: Route, conv: Conversation) -> None:
        decision = decide(self.script, conv)
        for seconds in decision.delays:
            if self._stop.wait(seconds):
                handler.close_connection = True
                return
        outcome, source = decision.outcome, decision.source
        if isinstance(outcome, Hang):
            self._record(note, 0, reply="hang", source=source)
            handler.wait_for_disconnect(self._stop)
        elif isinstance(outcome, Failure):
            self._fail(handler, note, outcome, source)
        else:
            usage = Usage(conv.body_size // 4, output_tokens(outcome))
            kind = f"tool:{outcome.name}" if isinstance(outcome, Call) else "text"
            self._record(note, 200, usage, kind, source)
            handler.send(replies.render(conv, outcome, usage, where.sse))

    def _fail(self, handler: _Handler, note: _Note, failure: Failure, source: str = "") -> None:
        self._record(note, failure.status, reply="error", source=source)
        handler.send(replies.render_failure(note.api, failure, time.time()))

    def _record(
        self,
        note: _Note,
        status: int,
        usage: Usage | None = None,
        reply: str = "",
        source: str = "",
    ) -> None:
        conv = note.conv
        tag = find_tag(conv) if conv is not None else None
        stream = conv.stream if conv is not None else False
        usage = usage or Usage()
        record = RequestRecord(
            time.time(), note.method, note.path, note.api, note.model, stream, tag, status,
            usage, reply, source,
        )  # fmt: skip
        self.book.add(record)

    def _service(self, where: Route, path: str) -> HttpReply:
        if where.kind == "usage":
            return json_reply(200, self.usage())
        if where.kind == "requests":
            return json_reply(200, [r.to_json() for r in self.requests])
        if where.kind == "health":
            return json_reply(200, {"ok": True})
        if where.kind == "models":
            return json_reply(200, model_list(self.models))
        if where.kind == "model":
            return json_reply(200, model_entry(where.model))
        error = {"type": "not_found_error", "message": f"no such endpoint: {path}", "code": 404}
        return json_reply(404, {"type": "error", "error": error})


# --- command line --------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m podium.testing.server", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1 only)"
    )
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", help="write the chosen port here once listening")
    parser.add_argument("--script", help="JSON file: a list of rules (docs/scripted-server.md)")
    parser.add_argument("--log", help="append one JSON line per request here")
    parser.add_argument("--model", action="append", help="model name listed by GET /models")
    args = parser.parse_args(argv)
    try:
        server = ScriptedServer(
            args.script, args.log, args.host, args.port, args.model or DEFAULT_MODELS
        )
    except ScriptError as exc:
        print(f"podium scripted server: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with server:
        if args.port_file:
            _write_atomically(args.port_file, f"{server.port}\n")
        print(f"podium scripted server listening on {server.url}", flush=True)
        while not stop.wait(0.5):
            pass
    return 0


def _write_atomically(path: str, text: str) -> None:
    partial = f"{path}.partial"
    with open(partial, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(partial, path)


if __name__ == "__main__":
    sys.exit(main())
