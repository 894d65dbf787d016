"""A OneRoster 1.1/1.2 REST server on loopback for the tests: OAuth 2 client credentials at
`/token`, the orgs and users collections paged by `limit`/`offset` (at most `cap` a page, as a
server may cap the client's limit) with `X-Total-Count`, and faults to switch on."""

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

CLIENT_ID = "frontoffice"
CLIENT_SECRET = "s3cret-of-the-sis"
TOKEN = "access-token-1"
PATHS = {"1.1": "/ims/oneroster/v1p1", "1.2": "/ims/oneroster/rostering/v1p2"}


class OneRosterServer:
    def __init__(self, version: str, orgs: list[dict[str, Any]], users: list[dict[str, Any]], cap: int = 2):
        self.version = version
        self.collections = {"orgs": orgs, "users": users}
        self.cap = cap
        self.fault = ""  # "" | "token" | "status" | "json" | "shape"
        self.requests: list[str] = []  # "POST /token", "GET /…/users?limit=…&offset=…"
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                server.requests.append(f"POST {self.path}")
                form = parse_qs(self.rfile.read(int(self.headers["Content-Length"] or 0)).decode())
                expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
                if (
                    server.fault == "token"
                    or self.headers.get("Authorization") != f"Basic {expected}"
                    or form.get("grant_type") != ["client_credentials"]
                ):
                    self.answer(401, b'{"error": "invalid_client"}')
                    return
                self.answer(200, json.dumps({"access_token": TOKEN, "token_type": "bearer"}).encode())

            def do_GET(self) -> None:
                server.requests.append(f"GET {self.path}")
                url = urlsplit(self.path)
                key = url.path.rsplit("/", 1)[-1]
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self.answer(401, b"{}")
                    return
                if url.path != f"{PATHS[server.version]}/{key}" or key not in server.collections:
                    self.answer(404, b"{}")
                    return
                query = parse_qs(url.query)
                offset = int(query.get("offset", ["0"])[0])
                limit = min(int(query.get("limit", ["100"])[0]), server.cap)
                records = server.collections[key]
                if key == "users" and offset > 0 and server.fault in ("status", "json", "shape"):
                    # Faults come on a later page, after some users arrived: still nothing written.
                    if server.fault == "status":
                        self.answer(503, b"{}")
                    elif server.fault == "json":
                        self.answer(200, b"<html>maintenance</html>")
                    else:
                        self.answer(200, json.dumps({"users": {"sourcedId": "x"}}).encode())
                    return
                page = records[offset : offset + limit]
                self.answer(200, json.dumps({key: page}).encode(), {"X-Total-Count": str(len(records))})

        return Handler

    @contextmanager
    def running(self) -> Iterator["OneRosterServer"]:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self.port = httpd.server_address[1]
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            httpd.shutdown()
            httpd.server_close()
            thread.join()
