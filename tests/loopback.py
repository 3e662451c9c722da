"""A real HTTP peer on loopback for the tests: serves files and records callbacks.

Shared by every test depth (``tests/`` is on ``sys.path`` because it holds the root conftest).
"""

from __future__ import annotations

import http.server
import io
import itertools
import json
import os
import random
import socket
import threading
from dataclasses import dataclass
from typing import Any

from PIL import Image

# free_port() hands out ports below Linux's ephemeral range (32768-60999), which bind(0) and
# outgoing connections draw from at random: a port handed out here and bound a moment later by
# a server (often a subprocess) cannot be taken meanwhile by another test's bind(0) or client.
# Each test process (pytest-xdist's gw0, gw1... in PYTEST_XDIST_WORKER; gw0 alone without
# xdist) takes the ports of a block of its own in turn, so two processes never hand out one;
# from a random start, so two test runs side by side (two checkouts) seldom meet either.
_PORTS_FROM = 20_000
_PORTS_PER_PROCESS = 1_000
_PROCESS_BLOCKS = 12  # 20000-31999
_turn = itertools.count(random.randrange(_PORTS_PER_PROCESS))


def _port_block() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    index = int(worker) if worker.isdigit() else 0
    return _PORTS_FROM + (index % _PROCESS_BLOCKS) * _PORTS_PER_PROCESS


def free_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago (bound and released), this process's
    next in its block (above)."""
    block = _port_block()
    for _ in range(_PORTS_PER_PROCESS):
        port = block + next(_turn) % _PORTS_PER_PROCESS
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:  # in use (by a server of an earlier test, or another program)
                continue
            return port
    raise RuntimeError(f"no free port in {block}-{block + _PORTS_PER_PROCESS - 1}")


@dataclass
class Post:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class LoopbackServer:
    """A real HTTP peer on 127.0.0.1 (a chosen port, or any free one) that records POSTs.

    POSTs are answered with the next of ``post_statuses`` (200 once it is empty); GETs of
    paths in ``responses`` (status, content type, body) are served (input images, files).
    """

    def __init__(self, port: int = 0) -> None:
        self.posts: list[Post] = []
        self.post_statuses: list[int] = []
        self.responses: dict[str, tuple[int, str, bytes]] = {}
        self.received = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def do_GET(self) -> None:
                status, ctype, body = receiver.responses.get(
                    self.path.split("?")[0], (404, "text/plain", b"not found")
                )
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                # Recorded before it is answered: a sender that has its answer finds its POST
                # here. Recorded after, a test that read the POSTs right after a send raced this
                # thread, and lost it on a loaded machine.
                with receiver.received:
                    status = receiver.post_statuses.pop(0) if receiver.post_statuses else 200
                    receiver.posts.append(Post(self.path, dict(self.headers.items()), body))
                    receiver.received.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = int(self.httpd.server_address[1])
        # A short poll: shutdown() waits for the loop's next poll, 0.5 s by default, which was
        # half a second of every test that used a loopback server.
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve_image(self, path: str, size: tuple[int, int] = (64, 48), fmt: str = "PNG") -> str:
        buffer = io.BytesIO()
        Image.new("RGB", size, (30, 120, 200)).save(buffer, fmt)
        self.responses[path] = (200, f"image/{fmt.lower()}", buffer.getvalue())
        return self.url(path)

    def posts_to(self, path: str) -> list[Post]:
        with self.received:
            return [p for p in self.posts if p.path == path]

    def wait_for_posts(self, path: str, count: int, timeout: float = 15.0) -> list[Post]:
        with self.received:
            self.received.wait_for(
                lambda: len([p for p in self.posts if p.path == path]) >= count, timeout
            )
            found = [p for p in self.posts if p.path == path]
        assert len(found) >= count, f"{len(found)} POST(s) to {path}, expected {count}"
        return found

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# The name the acceptance tests use for it.
Receiver = LoopbackServer
