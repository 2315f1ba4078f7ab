"""A small OpenAI-compatible chat-completions server for tests, on 127.0.0.1 and a free port.

It answers POST /v1/chat/completions from a script of steps, one per request, and then from a
default step. It records every request (body, headers, arrival time) and the largest number of
requests it was serving at once, so tests can check retries, Retry-After and concurrency limits
over real HTTP. Steps:

- ``Reply(content)``: 200 with that assistant content (a dict is sent as JSON text) and a usage block;
- ``Status(code, body, retry_after)``: an error status;
- ``Slow(seconds, step)``: wait, then do ``step`` (default: a valid reply; the client may have timed out);
- ``Drop()``: close the connection without a response;
- ``Drip(every, headers_too)``: a valid reply sent one byte every ``every`` seconds (its headers too, with
  ``headers_too``), for as long as the client reads: each read is quick, the whole never ends in time;
- ``Flood(total)``: a 200 whose chunked body is ``total`` bytes of spaces, as fast as the client takes them
  (``sent`` counts what went out before the client hung up);
- a callable ``f(request_json) -> step``: decide from the request.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    content: Any
    prompt_tokens: int = 100
    completion_tokens: int = 20
    finish_reason: str = "stop"


@dataclass
class Status:
    code: int
    body: str = '{"error": {"message": "scripted failure"}}'
    retry_after: str | None = None


@dataclass
class Slow:
    seconds: float
    then: Any = None


@dataclass
class Drop:
    pass


@dataclass
class Drip:
    every: float
    headers_too: bool = False


@dataclass
class Flood:
    total: int


Step = Reply | Status | Slow | Drop | Drip | Flood | Callable[[dict[str, Any]], Any]

LEGAL = re.compile(r"^Your legal actions now: (.+)$", re.MULTILINE)


def legal_actions(request: dict[str, Any]) -> list[str]:
    """The rung ids the latest user message lists as legal (the agent's prompt format)."""
    for message in reversed(request["messages"]):
        m = LEGAL.search(message["content"]) if message["role"] == "user" else None
        if m:
            return [x.strip() for x in m.group(1).split(",")]
    raise AssertionError("no legal actions in the prompt")


def play_highest(request: dict[str, Any]) -> Reply:
    """A valid reply: the highest legal action, no signal."""
    return Reply({"signal": None, "action": legal_actions(request)[-1], "statement": "We stand firm.",
                  "reasoning": "Highest legal rung."})


def play_middle(request: dict[str, Any]) -> Reply:
    """A valid reply: the middle legal action, declaring the top one (a crisis that goes on)."""
    legal = legal_actions(request)
    return Reply({"signal": legal[-1], "action": legal[len(legal) // 2], "statement": "Do not test us.",
                  "reasoning": "Keep the pressure below the nuclear threshold."})


@dataclass
class FakeOpenAI:
    script: list[Step] = field(default_factory=list)
    default: Step = play_highest
    requests: list[dict[str, Any]] = field(default_factory=list)
    max_in_flight: int = 0
    sent: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._in_flight = 0
        self._server: ThreadingHTTPServer | None = None

    # -------------------------------------------------------------- lifecycle
    def __enter__(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:      # quiet
                pass

            def do_POST(self) -> None:
                fake._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    # -------------------------------------------------------------- serving
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        body = h.rfile.read(int(h.headers.get("Content-Length", 0)))
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            request = json.loads(body) if h.path == "/v1/chat/completions" else {}
            self.requests.append({"path": h.path, "json": request, "headers": dict(h.headers),
                                  "at": time.monotonic()})
            step = self.script.pop(0) if self.script else self.default
        try:
            if h.path != "/v1/chat/completions":
                self._send(h, 404, '{"error": {"message": "not found"}}')
            else:
                self._do(h, step, request)
        except (BrokenPipeError, ConnectionResetError):
            pass                                             # the client gave up (a timeout test)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _do(self, h: BaseHTTPRequestHandler, step: Step, request: dict[str, Any]) -> None:
        while callable(step) and not isinstance(step, (Reply, Status, Slow, Drop, Drip, Flood)):
            step = step(request)
        if isinstance(step, Slow):
            time.sleep(step.seconds)
            return self._do(h, step.then if step.then is not None else play_highest, request)
        if isinstance(step, Drop):
            h.close_connection = True
            return None
        if isinstance(step, Drip):
            return self._drip(h, step, request)
        if isinstance(step, Flood):
            return self._flood(h, step)
        if isinstance(step, Status):
            headers = {"Retry-After": step.retry_after} if step.retry_after is not None else {}
            return self._send(h, step.code, step.body, headers)
        content = step.content if isinstance(step.content, str) else json.dumps(step.content)
        reply = {"id": "chatcmpl-fake", "object": "chat.completion", "model": request.get("model", ""),
                 "choices": [{"index": 0, "finish_reason": step.finish_reason,
                              "message": {"role": "assistant", "content": content}}],
                 "usage": {"prompt_tokens": step.prompt_tokens, "completion_tokens": step.completion_tokens,
                           "total_tokens": step.prompt_tokens + step.completion_tokens}}
        return self._send(h, 200, json.dumps(reply))

    def _flood(self, h: BaseHTTPRequestHandler, step: Flood) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        chunk = b" " * 65536
        while self.sent < step.total:             # ends with BrokenPipe once the client has hung up
            h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.sent += len(chunk)
        h.wfile.write(b"0\r\n\r\n")

    @staticmethod
    def _drip(h: BaseHTTPRequestHandler, step: Drip, request: dict[str, Any]) -> None:
        body = json.dumps({"choices": [{"index": 0, "finish_reason": "stop", "message": {
            "role": "assistant", "content": json.dumps(play_highest(request).content) + " " * 100_000}}]}).encode()
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        data = head + body if step.headers_too else body
        if not step.headers_too:
            h.wfile.write(head)
            h.wfile.flush()
        for i in range(len(data)):                # ends with BrokenPipe once the client has hung up
            h.wfile.write(data[i:i + 1])
            h.wfile.flush()
            time.sleep(step.every)

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, code: int, body: str, headers: dict[str, str] | None = None) -> None:
        data = body.encode()
        h.send_response(code)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"] == "/v1/chat/completions"]
