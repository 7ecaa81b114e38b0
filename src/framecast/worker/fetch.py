"""Downloading source media: redirects checked hop by hop, retries, a size cap, atomic files.

Every httpx error is translated into a ``FetchError`` here, with a message the user can act on
(what failed, the HTTP status, the URL). Each download is of a ``MediaKind``, which sets its size
cap and the types it accepts: once downloaded, its first bytes are sniffed and a download that is
clearly something else (a web page, a PDF, audio given as a video) fails its item
(:mod:`media_kinds`). Decoding the media is the renderer's job.
"""

from __future__ import annotations

import email.utils
import logging
import math
import os
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import urljoin

import httpx

from framecast.config import FetchConfig
from framecast.errors import FetchError, InputError
from framecast.public_http import PublicTransport, Resolver, public_addresses
from framecast.worker.media_kinds import SNIFF_BYTES, MediaKind, describe, fits, sniff
from framecast.worker.timings import RECORDER
from framecast.worker.urls import normalize_url, shorten_url

log = logging.getLogger("framecast.worker")

MAX_REDIRECTS = 5
MAX_CONNECTIONS = 8  # downloads in flight at once per worker process
CHUNK_BYTES = 64 * 1024
# Read and connect timeouts apply per operation; a server trickling one byte at a time would
# never trip them, so each attempt also has an overall deadline of this many timeouts.
ATTEMPT_DEADLINE_FACTOR = 4
_MB = 1024 * 1024


@dataclass(frozen=True)
class Backoff:
    """How long to wait before retry number ``attempt`` (1-based)."""

    first_seconds: float = 0.5
    max_retry_after_seconds: float = 5.0  # a Retry-After of an hour must not stall a batch

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after_seconds)
        # Jitter keeps a batch of clients that failed together from retrying together.
        return self.first_seconds * 2 ** (attempt - 1) * random.uniform(1.0, 1.25)


class _Retryable(Exception):
    """A failure worth another attempt: 5xx, 429, 408, a network error or a timeout."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.message, self.status, self.retry_after = message, status, retry_after


def make_client(config: FetchConfig, resolve: Resolver = public_addresses) -> httpx.Client:
    """An httpx client for fetching source media, shared by every download of a worker.

    Unless private addresses are allowed, it connects only to public ones, checked as it
    connects (every redirect hop is a new connection, so each is checked): :mod:`public_http`.
    """
    limits = httpx.Limits(
        max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS
    )
    return httpx.Client(
        timeout=httpx.Timeout(config.timeout_seconds),
        limits=limits,
        transport=None if config.allow_private else PublicTransport(limits, resolve),
        # fetch_to_file sends each request's Accept header, the one of its media kind.
        headers={"User-Agent": f"framecast/{_version()}"},
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
    backoff: Backoff = Backoff(),  # frozen, so one shared default is safe
    keep_going: Callable[[], bool] | None = None,
    received: Callable[[str], None] | None = None,
) -> int:
    """Download ``url`` of ``kind`` to ``dest`` atomically and return the number of bytes written.

    ``dest`` appears only once the whole body is in, within the kind's cap, and its first bytes
    fit the kind. ``keep_going`` is asked before each retry: a cancelled job does not wait out
    the rest. ``received`` is told the response's Content-Type ("" if none) once ``dest`` is in.
    """
    try:
        url = normalize_url(url)
    except InputError as exc:
        # One bad URL fails its item, not the whole job.
        raise FetchError(exc.message) from exc
    shown = shorten_url(url)
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.part")
    started = time.monotonic()
    try:
        for attempt in range(1, max(1, config.attempts) + 1):
            try:
                size, sniffed, media_type = _attempt(url, shown, tmp, config, client, kind)
            except _Retryable as exc:
                # A failure is not logged here: it fails its item, and the item's one line
                # ("item failed … error=…") carries this message.
                if attempt >= config.attempts:
                    raise FetchError(f"{exc.message} (after {attempt} attempts)") from exc
                delay = backoff.delay(attempt, exc.retry_after)
                log.info(
                    "fetch retry url=%s attempt=%d status=%s delay=%.2f",
                    shown,
                    attempt + 1,
                    exc.status or "-",
                    delay,
                )
                time.sleep(delay)
                if keep_going is not None and not keep_going():
                    raise FetchError(
                        f"stopped after {attempt} attempts: the job was cancelled or passed its"
                        " deadline"
                    ) from exc
                continue
            os.replace(tmp, dest)
            if received is not None:
                received(media_type)
            RECORDER.fetched(str(kind), time.monotonic() - started)
            log.info(
                "fetch done url=%s bytes=%d attempts=%d kind=%s type=%s",
                shown,
                size,
                attempt,
                kind,
                sniffed or "-",
            )
            return size
        raise AssertionError("unreachable: the last attempt returns or raises")
    finally:
        tmp.unlink(missing_ok=True)


def _attempt(
    url: str, shown: str, tmp: Path, config: FetchConfig, client: httpx.Client, kind: MediaKind
) -> tuple[int, str | None, str]:
    """One attempt: follow redirects to the media, stream it into ``tmp``; (size, sniffed type,
    Content-Type)."""
    deadline = time.monotonic() + config.timeout_seconds * ATTEMPT_DEADLINE_FACTOR
    current = httpx.URL(url)
    try:
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
                _check_response(response, shown, kind, config.max_bytes_for(kind))
                size = _stream_body(response, tmp, shown, config, kind, deadline)
                return size, _check_type(response, tmp, size, shown, kind), _media_type(response)
    except httpx.TimeoutException as exc:
        error = type(exc).__name__
        raise _Retryable(
            f"{kind} download timed out after {config.timeout_seconds:g}s ({error}) for {shown}"
        ) from exc
    except httpx.TransportError as exc:
        raise _Retryable(
            f"{kind} download failed: connection error ({type(exc).__name__}: {exc}) for {shown}"
        ) from exc
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise FetchError(f"{kind} download failed: {exc} for {shown}") from exc
    raise FetchError(f"{kind} download failed: more than {MAX_REDIRECTS} redirects for {shown}")


def _next_hop(current: httpx.URL, location: str, shown: str, kind: MediaKind) -> httpx.URL:
    try:
        # urljoin, unlike httpx.URL.join, leaves "file:///etc/passwd" as it is, for
        # normalize_url to refuse.
        return httpx.URL(normalize_url(urljoin(str(current), location.strip())))
    except (InputError, httpx.InvalidURL) as exc:
        reason = exc.message if isinstance(exc, InputError) else str(exc)
        raise FetchError(
            f"{kind} download failed: {shown} redirected to a bad URL: {reason}"
        ) from exc


def _check_response(response: httpx.Response, shown: str, kind: MediaKind, max_bytes: int) -> None:
    """Raise unless ``response`` is a success that may carry ``kind`` within its size cap."""
    status = response.status_code
    if status >= 500 or status in (408, 429):
        raise _Retryable(
            f"{kind} download failed: HTTP {status} {response.reason_phrase} for {shown}",
            status,
            _retry_after(response.headers.get("retry-after")),
        )
    if not 200 <= status < 300:
        raise FetchError(
            f"{kind} download failed: HTTP {status} {response.reason_phrase} for {shown}"
        )
    media_type = _media_type(response)
    if kind.refuses_content_type(media_type):
        raise FetchError(
            f"{kind} download failed: {shown} returned {media_type}, not {kind.noun} "
            f"(is it a link to a web page rather than to the {kind.file_noun}?)"
        )
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise FetchError(
            f"{kind} download failed: {shown} is {_megabytes(int(length))} MB, "
            f"over the {_megabytes(max_bytes)} MB limit ({kind.cap_setting})"
        )


def _stream_body(
    response: httpx.Response,
    tmp: Path,
    shown: str,
    config: FetchConfig,
    kind: MediaKind,
    deadline: float,
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
                    f"{_megabytes(max_bytes)} MB limit ({kind.cap_setting})"
                )
            if time.monotonic() > deadline:
                total = config.timeout_seconds * ATTEMPT_DEADLINE_FACTOR
                raise _Retryable(
                    f"{kind} download timed out: not complete after {total:g}s for {shown}"
                )
            out.write(chunk)
    if written == 0:
        raise FetchError(f"{kind} download failed: {shown} returned an empty body")
    return written


def _check_type(
    response: httpx.Response, tmp: Path, size: int, shown: str, kind: MediaKind
) -> str | None:
    """The type sniffed from the first bytes of ``tmp``; raise if it is clearly not ``kind``."""
    with tmp.open("rb") as downloaded:
        head = downloaded.read(SNIFF_BYTES)
    sniffed = sniff(head)
    if not fits(kind, sniffed):
        media_type = _media_type(response)
        raise FetchError(
            f"{kind} download failed: {shown} is not {kind.noun}: got "
            f"{describe(sniffed, head)}, {size} bytes, "
            + (f"Content-Type {media_type}" if media_type else "no Content-Type")
        )
    return sniffed


def _media_type(response: httpx.Response) -> str:
    """The Content-Type without its parameters, lower case; "" if absent."""
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _megabytes(size: int) -> str:
    value = size / _MB
    return f"{value:.1f}".removesuffix(".0") if value >= 1 else f"{value:.2g}"


def _version() -> str:
    try:
        return metadata.version("framecast")
    except metadata.PackageNotFoundError:
        return "0"
