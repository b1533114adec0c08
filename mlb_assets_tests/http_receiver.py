"""A real local HTTP server that records requests, for testing webhook and push clients.

    with http_receiver() as receiver:
        receiver.respond_with(500, 200)        # the first request fails, the next succeeds
        client_under_test.post(receiver.base_url + "/hook", ...)
        assert receiver.requests[0].json() == {...}

It is a :class:`http.server.ThreadingHTTPServer` on 127.0.0.1 with an OS-chosen port, served
from a daemon thread. Responses are taken from a queue, one per request; when the queue is
empty every request gets :attr:`Receiver.default`.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # with the query string, as the client sent it
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


@dataclass(frozen=True)
class Response:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/plain"})


class Receiver:
    """What the handler records and answers; safe to use from the test's thread."""

    def __init__(self) -> None:
        self.base_url = ""
        self.default = Response()
        self._requests: list[RecordedRequest] = []
        self._queue: deque[Response] = deque()
        self._lock = threading.Lock()

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def respond_with(self, *responses: int | Response) -> None:
        """Queue the responses for the next requests, in order (a bare int is a status)."""
        with self._lock:
            for response in responses:
                self._queue.append(
                    response if isinstance(response, Response) else Response(status=response)
                )

    def _record(self, request: RecordedRequest) -> Response:
        with self._lock:
            self._requests.append(request)
            return self._queue.popleft() if self._queue else self.default


def _handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {name.lower(): value for name, value in self.headers.items()}
            response = receiver._record(RecordedRequest(self.command, self.path, headers, body))
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    return Handler


@contextmanager
def http_receiver() -> Iterator[Receiver]:
    """A running receiver on 127.0.0.1; stopped and closed on exit."""
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(receiver))
    server.daemon_threads = True
    host, port = server.server_address[:2]
    receiver.base_url = f"http://{host}:{port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port_url() -> str:
    """The base URL of a local port nothing listens on (connections are refused)."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
