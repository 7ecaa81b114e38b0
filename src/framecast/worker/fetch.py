"""Downloading source media: redirects checked hop by hop, retries, a size cap, atomic files.

Every httpx error is translated into a ``FetchError`` here, with a message the user can act on
(what failed, the HTTP status, the URL with its credentials masked). Each download is of a
``MediaKind``, which sets its size cap and the types it accepts: once downloaded, its first bytes
are sniffed and a download that is clearly something else (a web page, a PDF, audio given as a
video) fails its item (:mod:`fetch_checks`, :mod:`media_kinds`). Whatever the server does, an
attempt ends at its deadline, when it stalls, or when the job is cancelled (:mod:`fetch_guard`).
Decoding the media is the renderer's job.
"""

from __future__ import annotations

import functools
import logging
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urljoin

import httpx

from framecast import version
from framecast.config import FetchConfig
from framecast.errors import FetchError, InputError
from framecast.public_http import PublicTransport, Resolver, any_addresses, public_addresses
from framecast.redact import redact
from framecast.worker.fetch_checks import (
    Retryable,
    check_response,
    check_type,
    media_type,
    megabytes,
)
from framecast.worker.fetch_guard import MIN_BYTES_PER_SECOND, FetchGuard, GuardedBackend, Stop
from framecast.worker.fetch_retries import (
    ATTEMPT_DEADLINE_FACTOR,
    DEFAULT_BACKOFF,
    Backoff,
    Cancelled,
    Fetched,
    with_retries,
)
from framecast.worker.media_kinds import MediaKind
from framecast.worker.timings import RECORDER
from framecast.worker.urls import normalize_url, shorten_url

__all__ = ["Backoff", "fetch_to_file", "make_client"]

log = logging.getLogger("framecast.worker")

MAX_REDIRECTS = 5
MAX_CONNECTIONS = 8  # downloads in flight at once per worker process
CHUNK_BYTES = 64 * 1024


def make_client(config: FetchConfig, resolve: Resolver = public_addresses) -> httpx.Client:
    """An httpx client for fetching source media, shared by every download of a worker.

    Unless private addresses are allowed, it connects only to public ones, checked as it
    connects (every redirect hop is a new connection, so each is checked): :mod:`public_http`.
    Its connections are guarded: :mod:`fetch_guard` can cut any of them short.
    """
    limits = httpx.Limits(
        max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS
    )
    return httpx.Client(
        timeout=httpx.Timeout(config.timeout_seconds),
        limits=limits,
        transport=PublicTransport(
            limits, any_addresses if config.allow_private else resolve, wrap=GuardedBackend
        ),
        # fetch_to_file sends each request's Accept header, the one of its media kind.
        headers={"User-Agent": f"framecast/{version()}"},
        follow_redirects=False,  # fetch_to_file follows them, hop by hop
        trust_env=False,  # settings come from Settings, never from proxy variables
    )


def fetch_to_file(
    url: str,
    dest: Path,
    config: FetchConfig,
    client: httpx.Client,
    *,
    kind: MediaKind = MediaKind.IMAGE,
    backoff: Backoff = DEFAULT_BACKOFF,
    keep_going: Callable[[], bool] | None = None,
    received: Callable[[str], None] | None = None,
) -> int:
    """Download ``url`` of ``kind`` to ``dest`` atomically and return the number of bytes written.

    ``dest`` appears only once the whole body is in, within the kind's cap, and its first bytes
    fit the kind. ``keep_going`` is asked during the download and between retries: once it says
    no, the download stops within a fraction of a second. ``received`` is told the response's
    Content-Type ("" if none) once ``dest`` is in.
    """
    try:
        url = normalize_url(url)
    except InputError as exc:
        # One bad URL fails its item, not the whole job.
        raise FetchError(exc.message) from exc
    shown = shorten_url(redact(url))
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.part")
    started = time.monotonic()
    try:
        with FetchGuard(keep_going) as guard:
            one_attempt = functools.partial(_attempt, url, shown, tmp, config, client, kind, guard)
            (size, sniffed, media_type_), attempts = with_retries(
                one_attempt, shown, config, backoff, guard, keep_going
            )
        os.replace(tmp, dest)
        if received is not None:
            received(media_type_)
        RECORDER.fetched(str(kind), time.monotonic() - started)
        log.info(
            "fetch done url=%s bytes=%d attempts=%d kind=%s type=%s",
            shown,
            size,
            attempts,
            kind,
            sniffed or "-",
        )
        return size
    finally:
        tmp.unlink(missing_ok=True)


def _attempt(
    url: str,
    shown: str,
    tmp: Path,
    config: FetchConfig,
    client: httpx.Client,
    kind: MediaKind,
    guard: FetchGuard,
) -> Fetched:
    """One attempt: follow redirects to the media, stream it into ``tmp``; (size, sniffed type,
    Content-Type)."""
    try:
        current = httpx.URL(url)
        for _hop in range(MAX_REDIRECTS + 1):
            with client.stream(
                "GET",
                current,
                headers={"Accept": kind.accept},
                timeout=config.timeout_seconds,
                follow_redirects=False,
            ) as response:
                if response.is_redirect:
                    current = _next_hop(current, response.headers["location"], shown, kind)
                    continue
                check_response(response, shown, kind, config.max_bytes_for(kind))
                size = _stream_body(response, tmp, shown, config, kind)
                return size, check_type(response, tmp, size, shown, kind), media_type(response)
    except httpx.HTTPError as exc:
        # A guard's stop shows up as whatever the cut connection raised: say what it was
        # (a timeout httpx saw for itself, in the same moment as a stall, says it better).
        if guard.stopped is Stop.CANCELLED:
            raise Cancelled() from exc
        timed_out = isinstance(exc, httpx.TimeoutException)
        if timed_out or guard.stopped is Stop.SILENT:
            error = type(exc).__name__ if timed_out else "nothing received"
            raise Retryable(
                f"{kind} download timed out after {config.timeout_seconds:g}s ({error}) for {shown}"
            ) from exc
        if guard.stopped is not None:
            raise _stop_error(guard.stopped, shown, config, kind) from exc
        if isinstance(exc, httpx.TransportError):
            reason = f"{type(exc).__name__}: {redact(str(exc))}"
            raise Retryable(
                f"{kind} download failed: connection error ({reason}) for {shown}"
            ) from exc
        raise FetchError(f"{kind} download failed: {redact(str(exc))} for {shown}") from exc
    except httpx.InvalidURL as exc:
        raise FetchError(f"{kind} download failed: {redact(str(exc))} for {shown}") from exc
    raise FetchError(f"{kind} download failed: more than {MAX_REDIRECTS} redirects for {shown}")


def _stop_error(stop: Stop, shown: str, config: FetchConfig, kind: MediaKind) -> Retryable:
    if stop is Stop.DEADLINE:
        total = config.timeout_seconds * ATTEMPT_DEADLINE_FACTOR
        return Retryable(f"{kind} download timed out: not complete after {total:g}s for {shown}")
    return Retryable(
        f"{kind} download stalled: under {MIN_BYTES_PER_SECOND // 1024} KiB/s for"
        f" {config.timeout_seconds:g}s for {shown}"
    )


def _next_hop(current: httpx.URL, location: str, shown: str, kind: MediaKind) -> httpx.URL:
    try:
        # urljoin, unlike httpx.URL.join, leaves "file:///etc/passwd" as it is, for
        # normalize_url to refuse.
        return httpx.URL(normalize_url(urljoin(str(current), location.strip())))
    except (InputError, httpx.InvalidURL) as exc:
        reason = exc.message if isinstance(exc, InputError) else redact(str(exc))
        raise FetchError(
            f"{kind} download failed: {shown} redirected to a bad URL: {reason}"
        ) from exc


def _stream_body(
    response: httpx.Response, tmp: Path, shown: str, config: FetchConfig, kind: MediaKind
) -> int:
    max_bytes = config.max_bytes_for(kind)
    written = 0
    with tmp.open("wb") as out:
        # iter_bytes decodes gzip/br, so the cap also bounds a compressed "bomb".
        for chunk in response.iter_bytes(CHUNK_BYTES):
            written += len(chunk)
            if written > max_bytes:
                raise FetchError(
                    f"{kind} download failed: {shown} is larger than the "
                    f"{megabytes(max_bytes)} MB limit ({kind.cap_setting})"
                )
            out.write(chunk)
    if written == 0:
        raise FetchError(f"{kind} download failed: {shown} returned an empty body")
    return written
