"""Getting one chat completion out of an unreliable endpoint, and keeping a record of every try.

:class:`Caller` owns the patience: timeouts, retries with exponential backoff (jitter from a seeded
generator, never the global one), HTTP 429 with its Retry-After honoured up to a cap, 5xx and
dropped connections retried, other 4xx given up at once, and a per-process limit on requests in
flight to one endpoint. What goes over the wire is a :class:`Transport`'s business: HTTP through
httpx, or a replay of stored exchanges that makes no request at all and waits no time. Every
attempt becomes a call record for the event log; the API key never does (it lives only in the
HTTP transport's headers, and is scrubbed from anything a server echoes back).
"""

from __future__ import annotations

import email.utils
import json
import os
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

import httpx
import numpy as np

from ..errors import UsageError

MAX_ERROR_BODY = 20_000            # characters of an error reply kept in a record
MAX_BODY = 2_000_000               # a completion is bounded by max_tokens; this only stops a runaway server


@dataclass(frozen=True)
class Exchange:
    """What one request came back with: a status and body, or a transport error."""

    status: int | None = None
    body: str = ""
    retry_after: float | None = None       # seconds, parsed from the header
    error: str | None = None               # "timeout: ...", "connection: ..." (no status then)
    latency_s: float = 0.0


class Transport(Protocol):
    def post(self, payload: dict[str, Any]) -> Exchange: ...


class ReplayMismatch(UsageError):
    """A replayed game asked for a call the stored log does not have (or not in this form)."""


# ----------------------------------------------------------------------------- concurrency
_limits: dict[tuple[int, str, int], threading.BoundedSemaphore] = {}
_limits_lock = threading.Lock()


def endpoint_limit(base_url: str, limit: int) -> threading.BoundedSemaphore:
    """The process-wide semaphore of one endpoint (games in threads share it; a forked worker gets its own)."""
    with _limits_lock:
        return _limits.setdefault((os.getpid(), base_url, limit), threading.BoundedSemaphore(limit))


# ----------------------------------------------------------------------------- transports
_clients: dict[tuple[int, str, float], httpx.Client] = {}
_clients_lock = threading.Lock()


def _client(base_url: str, timeout: float) -> httpx.Client:
    # One client per process, endpoint and timeout: httpx clients are thread-safe, but a client's sockets must
    # not be shared with a forked worker. No connection is kept alive: each request's deadline watches the
    # socket it connected (a reused one is never seen), and a new connection costs milliseconds next to a
    # completion's seconds.
    with _clients_lock:
        key = (os.getpid(), base_url, timeout)
        if key not in _clients:
            _clients[key] = httpx.Client(base_url=base_url.rstrip("/") + "/", timeout=httpx.Timeout(timeout),
                                         limits=httpx.Limits(max_keepalive_connections=0))
        return _clients[key]


class _Deadline:
    """The whole of one request -- connecting, sending, the status line, headers and body -- within
    ``seconds``. httpx's timeouts bound each read, so a server that sends a byte every few seconds held a
    game for minutes; at the deadline the request's socket is shut down, which ends a read blocked on it."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self.expired = False

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace extension: keep the socket each new connection returns."""
        if event in ("connection.connect_tcp.complete", "connection.connect_unix_socket.complete"):
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if sock is not None:
                with self._lock:
                    self._sockets.append(sock)
                    if self.expired:
                        self._shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        try:
            # the plain socket's shutdown, also under TLS (SSLSocket.shutdown would change TLS state a
            # reading thread uses): the blocked read sees the connection end
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        except OSError:
            pass                                  # already closed

    def passed(self) -> bool:
        return self.expired or time.monotonic() >= self.at

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._timer.cancel()


class HttpTransport:
    """POST {base_url}/chat/completions with the key (if any) as a bearer token."""

    def __init__(self, base_url: str, timeout: float, key: str | None):
        self.base_url = base_url
        self.timeout = timeout
        self._headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._key = key
        self._key_pattern = key_pattern(key) if key else None

    def post(self, payload: dict[str, Any]) -> Exchange:
        client = _client(self.base_url, self.timeout)
        t0 = time.perf_counter()
        with _Deadline(self.timeout) as deadline:
            try:
                with client.stream("POST", "chat/completions", json=payload, headers=self._headers,
                                   extensions={"trace": deadline.trace}) as r:
                    # a completion is kept whole, so that replaying it parses exactly as it did live
                    body = _read_body(r, MAX_BODY if r.status_code == 200 else MAX_ERROR_BODY, deadline)
                    status, retry_after = r.status_code, parse_retry_after(r.headers.get("retry-after"))
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                if deadline.passed() or isinstance(exc, httpx.TimeoutException):
                    return Exchange(error=f"timeout: no complete reply within {self.timeout:g} s",
                                    latency_s=time.perf_counter() - t0)
                return Exchange(error=self.scrub(f"connection: {type(exc).__name__}: {exc}"),
                                latency_s=time.perf_counter() - t0)
        if body is None:
            return Exchange(error=f"timeout: no complete reply within {self.timeout:g} s",
                            latency_s=time.perf_counter() - t0)
        return Exchange(status=status, body=self.scrub(body), retry_after=retry_after,
                        latency_s=time.perf_counter() - t0)

    def scrub(self, text: str) -> str:
        """``text`` without the key, in whatever escaped form a server echoed it (see :func:`key_pattern`)."""
        return self._key_pattern.sub("[redacted]", text) if self._key_pattern is not None else text


def key_pattern(key: str) -> re.Pattern[str]:
    """A pattern of ``key`` as a server may echo it back: each character as itself or escaped -
    JSON (``\\/``, ``\\u002f``), URL (``%2F``, ``%2f``, ``+`` for a space), backslash (``\\-``,
    also doubled when escaped twice), ``\\x2f`` or an HTML character reference - in any mix."""
    def one(ch: str) -> str:
        code = ord(ch)
        hexes = [f"{code:02x}"] if code < 0x100 else []
        forms = [re.escape(ch)]
        if ch == " ":
            forms.append(r"\+")
        forms += [f"%(?i:{h})" for h in hexes]
        forms += [rf"\\+(?i:x{h})" for h in hexes]
        forms.append(rf"\\+(?i:u{code:04x})")
        forms.append(rf"&#(?:0*{code}|(?i:x0*{code:x}));")
        return r"\\*(?:" + "|".join(forms) + ")"
    return re.compile("".join(one(ch) for ch in key))


def _read_body(r: httpx.Response, limit: int, deadline: _Deadline) -> str | None:
    """At most ``limit`` characters of the body (a runaway or compressed-bomb reply is not read past
    them), or None when the deadline passes first."""
    parts, size = [], 0
    for chunk in r.iter_text():
        if deadline.passed():
            return None
        parts.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return "".join(parts)[:limit]


class ReplayTransport:
    """Serves the exchanges of stored call records in order, checking each request is the stored one."""

    def __init__(self, records: list[dict[str, Any]]):
        self.records = list(records)
        self.served = 0

    def post(self, payload: dict[str, Any]) -> Exchange:
        if self.served >= len(self.records):
            raise ReplayMismatch(f"the replay asks for call {self.served + 1}, but the log stores only "
                                 f"{len(self.records)}: the game has diverged from the stored one")
        rec = self.records[self.served]
        self.served += 1
        stored = rec.get("request", {})
        if stored.get("messages") != payload.get("messages"):
            raise ReplayMismatch(f"call {self.served} of the replay sends other messages than the stored "
                                 f"call (turn {rec.get('turn', '?')}): the game has diverged from the stored one")
        return Exchange(status=rec.get("status"), body=rec.get("reply") or "", retry_after=rec.get("retry_after"),
                        error=rec.get("error") if rec.get("status") is None else None,
                        latency_s=float(rec.get("latency_s") or 0.0))


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date (RFC 9110)."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


# ----------------------------------------------------------------------------- the retry loop
# Request fields some servers refuse with a 400 naming them, and what to send instead (None: leave out).
# OpenAI's reasoning models want max_completion_tokens and no temperature; older vLLM, llama.cpp and
# Ollama builds may not take response_format, some servers no seed. Each is adapted once and remembered by the caller.
ADAPTABLE: dict[str, str | None] = {"response_format": None, "max_tokens": "max_completion_tokens",
                                    "temperature": None, "seed": None}
REFUSAL = {k: re.compile(rf"\b{k}\b") for k in ADAPTABLE}
REFUSAL["response_format"] = re.compile(r"\b(response_format|json_schema|json_object)\b")   # llama.cpp says json_schema


@dataclass
class Completion:
    """The outcome of one request for a completion, after every retry it took."""

    text: str | None                       # the assistant's content (None: no usable reply)
    error: str | None                      # why there is no text
    records: list[dict[str, Any]] = field(default_factory=list)
    truncated: bool = False                # the server stopped at the token limit (finish_reason "length")


@dataclass
class Caller:
    transport: Transport
    base_url: str
    concurrency: int
    retries: int
    backoff: float
    max_backoff: float
    max_retry_after: float
    rng: np.random.Generator
    sleep: Callable[[float], None] = time.sleep
    adapted: dict[str, str | None] = field(default_factory=dict)   # refused fields -> their replacement

    def adapt(self, payload: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for k, v in payload.items():
            if k not in self.adapted:
                out[k] = v
            elif self.adapted[k] is not None:
                out[self.adapted[k]] = v
        return out

    def complete(self, payload: dict[str, Any]) -> Completion:
        """Ask until a 200 with content comes back or the retries are spent; never raises for the endpoint."""
        records: list[dict[str, Any]] = []
        limit = endpoint_limit(self.base_url, self.concurrency)
        attempt, failures = 0, 0
        while True:
            attempt += 1
            sent = self.adapt(payload)
            with limit:
                ex = self.transport.post(sent)
            rec: dict[str, Any] = {"request": sent, "reply": ex.body if ex.status is not None else None,
                                   "status": ex.status, "retry_after": ex.retry_after,
                                   "tokens": {"prompt": None, "completion": None},
                                   "latency_s": round(ex.latency_s, 6), "attempt": attempt, "error": ex.error,
                                   "wait_s": 0.0}
            records.append(rec)
            retry = True
            if ex.status == 200:
                try:
                    text, rec["tokens"], finish = _content(ex.body)
                    return Completion(text, None, records, truncated=finish == "length")
                except ValueError as exc:
                    rec["error"] = f"malformed response: {exc}"
            elif ex.status is not None:
                rec["error"] = f"HTTP {ex.status}: {_snippet(ex.body)}"
                refused = [k for k in ADAPTABLE if k in sent and ex.status == 400 and REFUSAL[k].search(ex.body)]
                if refused:                      # ask again at once without (or with the other name of) it
                    self.adapted.update({k: ADAPTABLE[k] for k in refused})
                    continue
                retry = ex.status in (408, 409, 425, 429) or ex.status >= 500
            failures += 1
            if not retry or failures > self.retries:
                return Completion(None, rec["error"], records)
            rec["wait_s"] = wait = self.wait(failures, ex)
            self.sleep(wait)

    def wait(self, failures: int, ex: Exchange) -> float:
        """Retry-After when the server gives one (capped); else exponential backoff with equal jitter."""
        d = min(self.max_backoff, self.backoff * 2 ** (failures - 1))
        jittered = d / 2 + d / 2 * float(self.rng.random())
        if ex.status == 429 and ex.retry_after is not None:
            return round(min(ex.retry_after, self.max_retry_after), 6)
        return round(jittered, 6)


def _content(body: str) -> tuple[str, dict[str, int | None], str | None]:
    try:
        data = json.loads(body)
        choice = data["choices"][0]
        message = choice["message"]
    except (ValueError, KeyError, IndexError, TypeError, RecursionError):    # RecursionError: nested without end
        raise ValueError("not a chat completion (no choices[0].message)") from None
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    tokens = {"prompt": _int(usage.get("prompt_tokens")), "completion": _int(usage.get("completion_tokens"))}
    content = message.get("content") if isinstance(message, dict) else None
    finish = choice.get("finish_reason") if isinstance(choice, dict) else None
    return (content if isinstance(content, str) else ""), tokens, finish


def _int(x: Any) -> int | None:
    return x if isinstance(x, int) and not isinstance(x, bool) else None


def _snippet(body: str, n: int = 300) -> str:
    text = " ".join(body.split())
    return text if len(text) <= n else text[:n] + "..."
