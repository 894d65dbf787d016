"""A real webhook receiver on 127.0.0.1 that can fail on purpose: 500s, 410, slowness."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import msgspec


class _JoiningServer(ThreadingHTTPServer):
    # Join request threads on close (the stdlib's are daemonic and left running), so no
    # handler outlives a test with its socket open; and take bursts of connections (the
    # stdlib's listen queue of 5 refuses them on a loaded machine).
    daemon_threads = False
    request_queue_size = 128


class Received(msgspec.Struct, frozen=True):
    headers: dict[str, str]
    body: bytes


class Receiver:
    def __init__(self) -> None:
        self.status = 200
        self.delay = 0.0
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._in_flight: set[str] = set()
        self.overlaps: list[str] = []  # event ids received again while still being handled
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def event_ids(self) -> list[str]:
        return [r.headers["webhook-id"] for r in self.received]

    def handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                event_id = self.headers.get("webhook-id", "")
                with receiver._lock:
                    if event_id in receiver._in_flight:
                        receiver.overlaps.append(event_id)
                    receiver._in_flight.add(event_id)
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.status
                with receiver._lock:
                    receiver._in_flight.discard(event_id)
                    if status < 300:
                        receiver.received.append(Received(headers=dict(self.headers.items()), body=body))
                try:
                    self.send_response(status)
                    self.send_header("content-type", "text/plain")
                    self.end_headers()
                    self.wfile.write(b"thanks" if status < 300 else b"nope, not now")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up (timed out, or was killed): nothing to answer

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    @contextmanager
    def running(self) -> Iterator["Receiver"]:
        self._server = _JoiningServer(("127.0.0.1", 0), self.handler())
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
