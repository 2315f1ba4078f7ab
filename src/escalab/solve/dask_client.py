"""Connecting to a Dask scheduler the user named, with a clean refusal for anything else.

``distributed.Client`` given a wrong address misbehaves in ways a user cannot read: a port that speaks
HTTP is read as a frame length ("Unable to allocate 3.07 EiB"), a port that accepts but never answers
hangs well past the timeout, and ``http://``, ``inproc://`` or ``ucx://`` print a traceback from
``Client.__del__`` after the message. So before a Client exists we check the scheme and probe the
endpoint ourselves with plain sockets and a deadline (the ``dask-timeout`` limit): a Dask scheduler
speaks first on a new connection (its handshake frame), so silence, a refusal or bytes that are not a
Dask frame are each reported for what they are, with exit code 2.

Trust: a Dask scheduler sends the client pickled objects, and unpickling runs code. Connect only to a
scheduler you run or trust (docs/limits.md says the same to users).
"""

from __future__ import annotations

import contextlib
import gc
import io
import logging
import socket
import struct
import time
from typing import Any

from .. import limits
from ..errors import UsageError

__all__ = ["connect", "parse_tcp_address", "probe"]

_HINT = "expected the address of a running Dask scheduler such as tcp://127.0.0.1:8786"


def parse_tcp_address(address: str) -> tuple[str, int]:
    """``tcp://host:port`` (or ``host:port``) -> (host, port); any other scheme is refused by name."""
    text = address.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "tcp", text
    scheme = scheme.lower()
    if scheme in ("http", "https"):
        raise UsageError(f"--scheduler '{address}': {scheme}:// is the address of a web page (the Dask dashboard "
                         f"is one); {_HINT}")
    if scheme == "inproc":
        raise UsageError(f"--scheduler '{address}': inproc:// names a scheduler inside one Python process and "
                         f"cannot be reached from escalab's command line; {_HINT}")
    if scheme in ("tls", "wss", "ws", "ucx"):
        raise UsageError(f"--scheduler '{address}': {scheme}:// connections are not supported by escalab (they need "
                         f"security or transport settings it does not take); use tcp:// on a trusted network or "
                         f"through an SSH tunnel")
    if scheme != "tcp":
        raise UsageError(f"--scheduler '{address}': unknown scheme '{scheme[:20]}://'; {_HINT}")
    host, colon, port_text = rest.rpartition(":")
    host = host.strip("[]")
    if not colon or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise UsageError(f"--scheduler '{address}': expected a host and a port between 1 and 65535; {_HINT}")
    return host, int(port_text)


def probe(address: str, timeout: float | None = None) -> tuple[str, int]:
    """Check within ``timeout`` seconds that a Dask scheduler answers at ``address``; UsageError if not."""
    host, port = parse_tcp_address(address)
    timeout = float(limits.DASK_TIMEOUT.value()) if timeout is None else timeout
    raise_how = limits.DASK_TIMEOUT.how_to_raise().replace(" if you trust this input", "")
    deadline = time.monotonic() + timeout
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except socket.timeout:
        raise UsageError(f"--scheduler '{address}': no answer from {host}:{port} within {timeout:g} s "
                         f"(the dask-timeout limit; {raise_how})") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UsageError(f"--scheduler '{address}': cannot connect to {host}:{port}: {reason} "
                         "(is a Dask scheduler running there?)") from None
    with sock:
        head = b""
        try:
            while len(head) < 8:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise socket.timeout
                sock.settimeout(left)
                chunk = sock.recv(8 - len(head))
                if not chunk:
                    raise UsageError(f"--scheduler '{address}': {host}:{port} closed the connection without a "
                                     "Dask handshake (not a Dask scheduler)")
                head += chunk
        except socket.timeout:
            raise UsageError(f"--scheduler '{address}': {host}:{port} accepted the connection but sent no Dask "
                             f"handshake within {timeout:g} s (it is silent or speaks another protocol, such as "
                             f"HTTP; {raise_how})") from None
        except OSError as exc:
            raise UsageError(f"--scheduler '{address}': reading from {host}:{port} failed: "
                             f"{exc.strerror or type(exc).__name__}") from None
    (frames,) = struct.unpack("<Q", head)
    if not 0 < frames < 1024:       # Dask's TCP comm starts with the number of frames of the message
        shown = head.decode("ascii", "replace").translate({c: "?" for c in range(32)})
        raise UsageError(f"--scheduler '{address}': {host}:{port} does not speak Dask's protocol (it began with "
                         f"{shown!r})")
    return host, port


def connect(address: str, timeout: float | None = None) -> Any:
    """A ``distributed.Client`` for the scheduler at ``address`` -- or a UsageError, never a traceback."""
    timeout = float(limits.DASK_TIMEOUT.value()) if timeout is None else timeout
    host, port = probe(address, timeout)
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - pinned dependency
        raise UsageError("--scheduler needs dask.distributed installed") from None
    quiet = logging.getLogger("distributed")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            try:
                return Client(f"tcp://{host}:{port}", timeout=timeout, set_as_default=False)
            except Exception as exc:  # noqa: BLE001 - any failure to connect is the user's address, said plainly
                text = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
                gc.collect()          # run a half-made Client's finaliser now, while its output is captured
                raise UsageError(f"--scheduler '{address}': cannot use the Dask scheduler at {host}:{port}: "
                                 f"{text}") from None
    finally:
        quiet.setLevel(level)
