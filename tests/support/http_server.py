"""A real HTTP server on 127.0.0.1 serving test media: ``with MediaServer() as server: ...``.

Routes match on the percent-decoded path (query ignored), so ``server.add("/my café.jpg", ...)``
answers ``GET /my%20caf%C3%A9.jpg``; ``hits`` and ``requests`` are keyed by that decoded path.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

CHUNK_BYTES = 64 * 1024


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "image/jpeg"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_length: bool = True  # False: no Content-Length, the body ends when the socket closes
    failures: int = 0  # answer the first N requests with failure_status
    failure_status: int = 503
    failure_headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the response starts
    held: bool = False  # wait for ``MediaServer.release()`` before responding
    trickle: float = 0.0  # send the body ``trickle_bytes`` at a time, one every this many seconds
    trickle_bytes: int = 1
    trickle_headers: bool = False  # trickle the headers too, one byte at a time


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # decoded, without the query
    raw_path: str  # as sent, query included
    headers: dict[str, str]
    body: bytes


class MediaServer:
    """Threaded HTTP server with per-path canned responses and request counters."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.hits: Counter[str] = Counter()
        self.requests: list[RecordedRequest] = []
        self._routes: dict[str, Route] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._released = threading.Event()
        self._httpd = _Server((host, 0), _Handler)
        self._httpd.media = self
        self.host = host
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def url(self, path: str, host: str | None = None) -> str:
        """Absolute URL of ``path``, which is used as given (not encoded)."""
        return f"http://{host or self.host}:{self.port}{path}"

    def add(
        self,
        path: str,
        body: bytes,
        content_type: str = "image/jpeg",
        status: int = 200,
        headers: dict[str, str] | None = None,
        *,
        content_length: bool = True,
    ) -> None:
        """Serve ``body`` at ``path``."""
        self._set(path, Route(body, content_type, status, dict(headers or {}), content_length))

    def serve_file(self, path: Path, content_type: str) -> str:
        """Serve the file ``path`` at ``/<its name>``; its URL."""
        self.add(f"/{path.name}", path.read_bytes(), content_type=content_type)
        return self.url(f"/{path.name}")

    def add_flaky(
        self,
        path: str,
        body: bytes,
        failures: int,
        status: int = 503,
        content_type: str = "image/jpeg",
        *,
        failure_headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the first ``failures`` requests with ``status``, then serve ``body``."""
        route = Route(body, content_type, failures=failures, failure_status=status)
        route.failure_headers = dict(failure_headers or {})
        self._set(path, route)

    def add_redirect(self, path: str, location: str, status: int = 302) -> None:
        """Redirect ``path`` to ``location`` (absolute or relative)."""
        self._set(path, Route(b"", "text/plain", status, {"Location": location}))

    def add_slow(
        self, path: str, body: bytes, delay: float, content_type: str = "image/jpeg"
    ) -> None:
        """Serve ``body`` after waiting ``delay`` seconds (cut short by ``close``)."""
        self._set(path, Route(body, content_type, delay=delay))

    def add_trickle(
        self,
        path: str,
        body: bytes,
        every: float = 1.0,
        *,
        step: int = 1,
        headers_too: bool = False,
    ) -> None:
        """Send the headers (Content-Length included) at once, then ``body`` ``step`` bytes
        every ``every`` seconds (cut short by ``close``); with ``headers_too``, the headers also."""
        route = Route(body, trickle=every, trickle_bytes=step, trickle_headers=headers_too)
        self._set(path, route)

    def add_held(self, path: str, body: bytes, content_type: str = "image/jpeg") -> None:
        """Serve ``body`` only once :meth:`release` is called (or the server closes)."""
        self._set(path, Route(body, content_type, held=True))

    def release(self) -> None:
        """Let every held response (waiting or to come) go out."""
        self._released.set()

    def close(self) -> None:
        """Stop serving; slow responses still waiting are released."""
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> MediaServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _set(self, path: str, route: Route) -> None:
        with self._lock:
            self._routes[unquote(path)] = route

    def _route_for(self, request: RecordedRequest) -> tuple[Route | None, bool]:
        """The route for ``request`` and whether this request is one of its failures."""
        with self._lock:
            self.hits[request.path] += 1
            self.requests.append(request)
            route = self._routes.get(request.path)
            if route is None:
                return None, False
            failing = route.failures > 0
            if failing:
                route.failures -= 1
            return route, failing


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    media: MediaServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up early (size caps, timeouts) are expected in these tests


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    do_POST = do_PUT = do_DELETE = do_GET

    def _respond(self, send_body: bool) -> None:
        media = self.server.media
        length = int(self.headers.get("Content-Length") or 0)
        request = RecordedRequest(
            self.command,
            unquote(urlsplit(self.path).path),
            self.path,
            dict(self.headers.items()),
            self.rfile.read(length) if length else b"",
        )
        route, failing = media._route_for(request)
        if route is None:
            self._send(404, b"not found", "text/plain", {}, send_body, True)
        elif failing:
            body = f"failure {route.failure_status}".encode()
            self._send(route.failure_status, body, "text/plain", route.failure_headers, send_body)
        else:
            if route.delay and media._closing.wait(route.delay):
                return
            while route.held and not media._released.wait(0.05):
                if media._closing.is_set():
                    return
            if route.trickle:
                self._trickle(route)
                return
            self._send(
                route.status,
                route.body,
                route.content_type,
                route.headers,
                send_body,
                route.content_length,
            )

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str],
        send_body: bool,
        content_length: bool = True,
    ) -> None:
        self.send_response(status)
        if content_type:  # "" sends no Content-Type at all
            self.send_header("Content-Type", content_type)
        if content_length:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            # In chunks, so that a client enforcing a size cap can hang up part way through.
            for start in range(0, len(body), CHUNK_BYTES):
                self.wfile.write(body[start : start + CHUNK_BYTES])

    def _trickle(self, route: Route) -> None:
        head = (
            f"HTTP/1.1 {route.status} OK\r\nContent-Type: {route.content_type}\r\n"
            f"Content-Length: {len(route.body)}\r\n\r\n"
        ).encode()
        if not route.trickle_headers:
            self.wfile.write(head)
            head = b""
        data = head + route.body
        for start in range(0, len(data), route.trickle_bytes):
            if self.server.media._closing.wait(route.trickle):
                break
            try:
                self.wfile.write(data[start : start + route.trickle_bytes])
                self.wfile.flush()
            except OSError:  # the client hung up: what a deadline is for
                break
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet; requests are recorded in MediaServer.requests
