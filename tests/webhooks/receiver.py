"""A real webhook receiver on 127.0.0.1 that can fail on purpose: 500s, 410, slowness, or no
answer at all until the test lets it answer; a test waits for requests to arrive, not for time."""

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
        self.pattern: tuple[int, ...] = ()
        """When set, the statuses the requests get in turn (a flapping endpoint), not `status`."""
        self.delay = 0.0
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._in_flight: set[str] = set()
        self.overlaps: list[str] = []  # event ids received again while still being handled
        self.arrivals = 0
        """Requests that reached the handler, answered or not."""
        self._arrived = threading.Condition(self._lock)
        self._answering = threading.Event()
        self._answering.set()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def event_ids(self) -> list[str]:
        return [r.headers["webhook-id"] for r in self.received]

    @contextmanager
    def holding(self) -> Iterator["Receiver"]:
        """Requests arriving inside this block get no answer until it ends: a sender times out
        (or is killed) while waiting, however fast or slow the machine is."""
        self._answering.clear()
        try:
            yield self
        finally:
            self._answering.set()

    def wait_for_arrivals(self, count: int, within: float) -> bool:
        """Whether `count` requests in all reached the handler within `within` seconds; returns as
        soon as they have. Blocking: an async test calls it in a thread."""
        with self._arrived:
            return self._arrived.wait_for(lambda: self.arrivals >= count, timeout=within)

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
                    turn = receiver.arrivals
                    receiver.arrivals += 1
                    receiver._arrived.notify_all()
                receiver._answering.wait()
                if receiver.delay:
                    time.sleep(receiver.delay)
                pattern = receiver.pattern
                status = pattern[turn % len(pattern)] if pattern else receiver.status
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
            self._answering.set()  # a held request must not keep its thread, and the join, waiting
            self._server.shutdown()
            self._server.server_close()
