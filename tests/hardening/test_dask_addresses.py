"""Issue 8: every scheduler address exits 2 cleanly within the dask-timeout limit, never a traceback.

Endpoints are loopback listeners started here: dead (nothing listens), silent (accepts, never answers),
HTTP (answers a request with an HTTP status line), another protocol (speaks first, not Dask), closing.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from escalab.errors import UsageError
from escalab.solve.dask_client import connect

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def listener() -> Iterator:
    sockets: list[socket.socket] = []

    def start(kind: str) -> str:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        sockets.append(s)

        def serve() -> None:
            while True:
                try:
                    c, _ = s.accept()
                except OSError:
                    return
                sockets.append(c)
                if kind == "http":
                    def answer(c: socket.socket = c) -> None:
                        try:
                            c.recv(4096)
                            c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                        except OSError:
                            pass
                    threading.Thread(target=answer, daemon=True).start()
                elif kind == "banner":
                    c.sendall(b"SSH-2.0-OpenSSH_9.0\r\n")
                elif kind == "close":
                    c.close()
        threading.Thread(target=serve, daemon=True).start()
        return f"tcp://127.0.0.1:{s.getsockname()[1]}"
    yield start
    for s in sockets:
        s.close()


def _dead_address() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"tcp://127.0.0.1:{port}"


@pytest.mark.parametrize("kind, message", [
    ("silent", "sent no Dask handshake within 2 s"),
    ("http", "sent no Dask handshake within 2 s"),
    ("banner", "does not speak Dask's protocol (it began with 'SSH-2.0-')"),
    ("close", "closed the connection without a Dask handshake"),
])
def test_live_endpoints_that_are_not_dask(listener, kind: str, message: str) -> None:
    address = listener(kind)
    t0 = time.monotonic()
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        connect(address, timeout=2)
    assert time.monotonic() - t0 < 2 + 3        # within the stated timeout (plus slack under load)


@pytest.mark.parametrize("address, message", [
    ("http://127.0.0.1:8787", "http:// is the address of a web page"),
    ("https://example.invalid:443", "https:// is the address of a web page"),
    ("inproc://192.0.2.1/1/1", "inproc:// names a scheduler inside one Python process"),
    ("ucx://127.0.0.1:1", "ucx:// connections are not supported"),
    ("tls://127.0.0.1:1", "tls:// connections are not supported"),
    ("ws://127.0.0.1:1", "ws:// connections are not supported"),
    ("gopher://127.0.0.1:1", "unknown scheme 'gopher://'"),
    ("tcp://127.0.0.1:99999", "a port between 1 and 65535"),
    ("garbage", "a port between 1 and 65535"),
])
def test_every_scheme_refused_or_checked_by_name(address: str, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        connect(address, timeout=2)


def test_dead_port() -> None:
    with pytest.raises(UsageError, match="cannot connect to 127.0.0.1:.*Connection refused"):
        connect(_dead_address(), timeout=2)


def test_real_scheduler_connects() -> None:
    from distributed import LocalCluster
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                      dashboard_address=":0") as cluster:
        client = connect(cluster.scheduler_address, timeout=10)
        try:
            assert client.submit(sum, [1, 2, 3]).result(timeout=30) == 6
        finally:
            client.close()


@pytest.mark.parametrize("kind", ["http", "dead", "inproc"])
def test_cli_exits_2_without_traceback_at_exit(listener, kind: str) -> None:
    address = {"http": lambda: listener("http"), "dead": _dead_address,
               "inproc": lambda: "inproc://192.0.2.1/1/1"}[kind]()
    env = {**os.environ, "ESCALAB_LIMIT_DASK_TIMEOUT": "2"}
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-c", "from escalab.cli.app import main; main()", "sweep", "deterrence-game", "--grid", "v=0:1:3",
                        "--scheduler", address], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 2, r.stderr
    assert "--scheduler" in r.stderr and "Traceback" not in r.stderr and "Exception ignored" not in r.stderr
    assert time.monotonic() - t0 < 30
