"""``Client``: the service's API over HTTP, one method per route; answers are the API's JSON.

Every request goes through ``_send``, which turns transport failures and error answers into
the client's errors (``errors.py``). Submissions carry an ``Idempotency-Key`` and are retried
on a lost connection, 502 and 503: the service answers a repeat with the job the first one
made, so a retry never renders twice.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from framecast import version
from framecast.client.errors import ApiError, ServiceUnreachable
from framecast.client.events import END, Event, EventReader

SUBMIT_RETRIES = 3  # after the first attempt; safe because every attempt carries the same key
RETRY_STATUSES = (502, 503)  # a proxy or a service that is restarting: the job may be made
RETRY_FIRST_SECONDS = 0.5  # doubled at each retry
STREAM_READ_SECONDS = 60.0  # the stream sends a keep-alive every 15 s: silence this long is a drop
RECONNECT_SECONDS = 60.0  # how long an events stream keeps reconnecting without an event
RECONNECT_DELAY_SECONDS = 2.0  # until the stream's own ``retry:`` says otherwise
CHUNK_BYTES = 1024 * 1024

Progress = Callable[[Event], None]


class Client:
    """A framecast service at ``base_url``, used with ``api_key``."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        headers = {"X-API-Key": api_key, "User-Agent": f"framecast-client/{version()}"}
        self._http = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=transport
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path_or_url: str) -> str:
        """An absolute URL: a path on this service (``/output/…``), or ``path_or_url`` as is."""
        return urljoin(self.base_url + "/", path_or_url)

    def upload_input(self, path: str | Path, *, ttl: float | None = None) -> dict[str, Any]:
        """``POST /inputs``: store a local file; its ``input_url`` names it in a job."""
        params = {"ttl": str(ttl)} if ttl is not None else {}
        with Path(path).open("rb") as body:
            return self._json("POST", "/inputs", content=body, params=params)

    def submit(
        self,
        route: str,
        body: dict[str, Any],
        idempotency_key: str | None = None,
        *,
        respond_async: bool = False,
    ) -> dict[str, Any]:
        """``POST route`` (``/video/img2vid``…): the 200 result, or the 202 ``{job_id, …}``.

        With ``idempotency_key`` a lost connection, 502 or 503 is retried with the same key;
        ``respond_async`` asks for the 202 at once (``Prefer: respond-async``)."""
        headers = {"Prefer": "respond-async"} if respond_async else {}
        if idempotency_key is None:
            return self._json("POST", route, json=body, headers=headers)
        headers["Idempotency-Key"] = idempotency_key
        for retry in range(SUBMIT_RETRIES + 1):
            last = retry == SUBMIT_RETRIES
            try:
                response = self._send("POST", route, json=body, headers=headers)
            except ServiceUnreachable:
                if last:
                    raise
            else:
                if last or response.status_code not in RETRY_STATUSES:
                    return _answer(response)
            time.sleep(RETRY_FIRST_SECONDS * 2**retry)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def job(self, job_id: str) -> dict[str, Any]:
        """``GET /jobs/{id}``: status, progress, videos so far, errors, webhook."""
        return self._json("GET", f"/jobs/{job_id}")

    def jobs(self, status: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """``GET /jobs``: the newest ``limit`` jobs, of one ``status`` if given."""
        params: dict[str, str | int] = {"limit": limit}
        if status is not None:
            params["status"] = status
        jobs: list[dict[str, Any]] = self._json("GET", "/jobs", params=params)["jobs"]
        return jobs

    def cancel(self, job_id: str) -> dict[str, Any]:
        """``POST /jobs/{id}/cancel``: the job, cancelled (``ApiError`` 409 once it has ended)."""
        return self._json("POST", f"/jobs/{job_id}/cancel")

    def events(self, job_id: str, last_event_id: str | None = None) -> Iterator[Event]:
        """``GET /jobs/{id}/events``: the job's events up to ``end``; a dropped stream is
        reopened with ``Last-Event-ID``, so no event is lost or repeated."""
        reader = EventReader(last_event_id)
        timeout = self._http.timeout.connect or 60.0
        stream_timeout = httpx.Timeout(timeout, read=STREAM_READ_SECONDS)
        heard = time.monotonic()
        while True:
            headers = {"Accept": "text/event-stream"}
            if reader.last_event_id is not None:
                headers["Last-Event-ID"] = reader.last_event_id
            problem = "the stream closed before the job's end"
            try:
                with self._http.stream(
                    "GET", f"/jobs/{job_id}/events", headers=headers, timeout=stream_timeout
                ) as response:
                    if response.status_code == 204:
                        return  # the job ended and its ``end`` was received already
                    if response.status_code not in RETRY_STATUSES:
                        if response.status_code >= 400:
                            response.read()
                            _answer(response)
                        for event in reader.read(response.iter_lines()):
                            heard = time.monotonic()
                            yield event
                            if event.name == END:
                                return
                    problem = f"HTTP {response.status_code}"
            except httpx.TransportError as exc:
                problem = _describe(exc)
            if time.monotonic() - heard > RECONNECT_SECONDS:
                raise ServiceUnreachable(
                    f"{self.base_url}: the events of job {job_id} stopped ({problem}) and"
                    f" reconnecting failed for {RECONNECT_SECONDS:.0f} s"
                )
            time.sleep(reader.retry_seconds or RECONNECT_DELAY_SECONDS)

    def wait(self, job_id: str, progress: Progress | None = None) -> dict[str, Any]:
        """The job once it has ended (as ``job()`` shows it), following its events; each event
        goes to ``progress`` as it comes."""
        for event in self.events(job_id):
            if progress is not None:
                progress(event)
            if event.name == END:
                return event.data
        return self.job(job_id)

    def download(self, url: str, dest: str | Path) -> Path:
        """GET ``url`` (a path on this service or any URL) into the file ``dest``, whole or
        not at all; the key is sent only to this service."""
        target, dest = self.url(url), Path(dest)
        own = urlsplit(target)[:2] == urlsplit(self.base_url)[:2]
        part = dest.with_name(f".{dest.name}.part")
        # A foreign host (a bucket, a CDN) gets a client of its own: never this service's key.
        foreign = None if own else httpx.Client(timeout=self._http.timeout)
        try:
            with (foreign or self._http).stream("GET", target) as response:
                if response.status_code >= 400:
                    response.read()
                    _answer(response)
                with part.open("wb") as out:
                    for chunk in response.iter_bytes(CHUNK_BYTES):
                        out.write(chunk)
        except httpx.TransportError as exc:
            part.unlink(missing_ok=True)
            raise ServiceUnreachable(f"{target}: {_describe(exc)}") from exc
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        finally:
            if foreign is not None:
                foreign.close()
        os.replace(part, dest)
        return dest

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        return _answer(self._send(method, path, **kwargs))

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The answer to one request; a failed connection is ``ServiceUnreachable``."""
        try:
            return self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ServiceUnreachable(f"{self.base_url}{path}: {_describe(exc)}") from exc


def _answer(response: httpx.Response) -> dict[str, Any]:
    """The JSON of a success; an error answer as ``ApiError``, with the API's code and message."""
    if response.status_code < 400:
        body: dict[str, Any] = response.json()
        return body
    try:
        error = response.json()
        code, message = str(error["error"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        # Not the API's own answer (a proxy's page): its status and the start of its text.
        code = "http_error"
        text = response.text[:200].strip() or response.reason_phrase
        message = f"HTTP {response.status_code}: {text}"
    raise ApiError(response.status_code, code, message)


def _describe(exc: httpx.TransportError) -> str:
    return str(exc) or type(exc).__name__
