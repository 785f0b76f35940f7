"""A local HTTP server on 127.0.0.1 answering like the public APIs the providers call."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import parse_qs, urlparse


class LoopbackServer:
    """A threading HTTP server on 127.0.0.1 (a free port) serving ``handler`` in a ``with``."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Route:
    body: str
    status: int = 200
    content_type: str = "application/json"
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class FakeApi(LoopbackServer):
    """Serves ``routes`` by path (query ignored), counts GETs per path, records POSTs, each
    GET's query and headers, and, with ``bearer`` set, answers 401 to any other
    ``Authorization`` (in the providers' documented error format ``unauthorized``)."""

    def __init__(
        self, unauthorized: str = '{"status": {"code": 401, "message": "bad key"}}'
    ) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.posted: list[tuple[str, bytes]] = []
        self.queries: dict[str, dict[str, list[str]]] = {}
        self.headers: dict[str, dict[str, str]] = {}
        self.bearer: str | None = None
        self.unauthorized = unauthorized
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parsed = urlparse(self.path)
                path = parsed.path
                api.hits[path] += 1
                api.queries[path] = parse_qs(parsed.query)
                api.headers[path] = dict(self.headers.items())
                route = api.routes.get(path, Route("not found", status=404))
                if api.bearer is not None and self.headers.get("Authorization") != (
                    f"Bearer {api.bearer}"
                ):
                    route = Route(api.unauthorized, status=401)
                time.sleep(route.delay)
                body = route.body.encode()
                try:
                    self.send_response(route.status)
                    self.send_header("Content-Type", route.content_type)
                    self.send_header("Content-Length", str(len(body)))
                    for name, value in route.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                api.posted.append((urlparse(self.path).path, self.rfile.read(length)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(Handler)
