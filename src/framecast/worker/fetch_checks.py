"""What a download's response must be: a success, of its media kind, within its size cap.

Each check raises ``FetchError`` (the item fails) or :class:`Retryable` (worth another
attempt), with a message that names the URL as shown (credentials masked) and the limit.
"""

from __future__ import annotations

import email.utils
import math
import time
from pathlib import Path

import httpx

from framecast.errors import FetchError
from framecast.worker.media_kinds import SNIFF_BYTES, MediaKind, describe_received, fits, sniff

_MB = 1024 * 1024


class Retryable(Exception):
    """A failure worth another attempt: 5xx, 429, 408, a network error, a timeout, a stall."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.message, self.status, self.retry_after = message, status, retry_after


def check_response(response: httpx.Response, shown: str, kind: MediaKind, max_bytes: int) -> None:
    """Raise unless ``response`` is a success that may carry ``kind`` within its size cap."""
    status = response.status_code
    if status >= 500 or status in (408, 429):
        raise Retryable(
            f"{kind} download failed: HTTP {status} {response.reason_phrase} for {shown}",
            status,
            retry_after(response.headers.get("retry-after")),
        )
    if not 200 <= status < 300:
        raise FetchError(
            f"{kind} download failed: HTTP {status} {response.reason_phrase} for {shown}"
        )
    type_ = media_type(response)
    if kind.refuses_content_type(type_):
        raise FetchError(
            f"{kind} download failed: {shown} returned {type_}, not {kind.noun} "
            f"(is it a link to a web page rather than to the {kind.file_noun}?)"
        )
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise FetchError(
            f"{kind} download failed: {shown} is {megabytes(int(length))} MB, "
            f"over the {megabytes(max_bytes)} MB limit ({kind.cap_setting})"
        )


def check_type(
    response: httpx.Response, tmp: Path, size: int, shown: str, kind: MediaKind
) -> str | None:
    """The type sniffed from the first bytes of ``tmp``; raise if it is clearly not ``kind``."""
    with tmp.open("rb") as downloaded:
        head = downloaded.read(SNIFF_BYTES)
    sniffed = sniff(head)
    if not fits(kind, sniffed):
        raise FetchError(
            f"{kind} download failed: {shown} is not {kind.noun}: "
            + describe_received(head, size, media_type(response))
        )
    return sniffed


def media_type(response: httpx.Response) -> str:
    """The Content-Type without its parameters, lower case; "" if absent."""
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def retry_after(value: str | None) -> float | None:
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


def megabytes(size: int) -> str:
    """``size`` in MB for a message: "1.5", "50", "0.0012"."""
    value = size / _MB
    return f"{value:.1f}".removesuffix(".0") if value >= 1 else f"{value:.2g}"
