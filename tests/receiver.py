"""A real HTTP receiver for webhook tests: ``http.server`` on 127.0.0.1 in a thread.

Each request takes the next scripted answer: a status code, or ``"hang"``
(hold the request until :meth:`Receiver.release` or the test ends, so the
sender's time limit runs out or its process is killed meanwhile). With the
script used up it answers 200. Every request is recorded as it arrives.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes

    def signature_ok(self, secret: str, tolerance: float = 300.0) -> bool:
        """What a receiver does: the HMAC of "<timestamp>." + body, and a fresh timestamp."""
        timestamp = self.headers["x-audit-timestamp"]
        expected = hmac.new(
            secret.encode(), timestamp.encode() + b"." + self.body, hashlib.sha256
        ).hexdigest()
        given = self.headers["x-audit-signature"].removeprefix("sha256=")
        fresh = abs(time.time() - int(timestamp)) <= tolerance
        return hmac.compare_digest(expected, given) and fresh


class Receiver:
    def __init__(self) -> None:
        self.script: list[int | str] = []
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        self._release = threading.Event()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/audit"

    def answer(self, *script: int | str) -> None:
        with self.lock:
            self.script.extend(script)

    def release(self) -> None:
        self._release.set()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        """Block until ``count`` requests have arrived; all of them."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"{len(self.received)} of {count} webhook requests arrived"
                self.arrived.wait(left)
            return list(self.received)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length", "0"))
        body = handler.rfile.read(length)
        with self.arrived:
            self.received.append(
                Received(handler.path, {k.lower(): v for k, v in handler.headers.items()}, body)
            )
            step = self.script.pop(0) if self.script else 200
            self.arrived.notify_all()
        if step == "hang":
            self._release.wait(60)
            return  # no answer: the connection just closes
        assert isinstance(step, int)
        text = b'{"ok": true}' if step < 300 else b"receiver says no"
        handler.send_response(step)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(text)))
        if 300 <= step < 400:
            handler.send_header("Location", "https://elsewhere.example/hook")
        handler.end_headers()
        handler.wfile.write(text)


@contextmanager
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            state._handle(self)

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.server = server
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release()
        server.shutdown()
        server.server_close()
