"""framecast's exceptions.

Foreign errors (httpx, ffmpeg, Pillow, sqlite3) are translated into these where they enter,
chained with ``from exc``. Each class knows the HTTP status it maps to when it reaches a client.

    FramecastError
    ├── ConfigError        a setting is missing, malformed or unsafe (raised at start-up)
    ├── InputError         a request or a worker job is invalid                       400
    ├── AuthError          a missing or wrong API key or upload token                 401
    ├── Forbidden          the key is right but its tenant may not do this            403
    ├── NotFound           no such job or file                                        404
    ├── Conflict           the request clashes with the resource's state              409
    ├── Gone               the file existed but has expired                           410
    ├── PayloadTooLarge    a body over its size limit                                 413
    ├── TooManyRequests    over a limit, or too many wrong keys (sent Retry-After)    429
    ├── BackendError       the backend could not run or track a job                   502
    ├── InsufficientStorage  the output volume is full                                507
    └── ItemError          one item of a job failed; the message is for the user
        ├── FetchError     the source could not be downloaded
        │   └── AddressRefused  its host resolves to a private or local address (permanent)
        ├── ImageError     the download is not a usable image
        ├── RenderError    ffmpeg failed (exit code and the tail of its stderr)
        ├── UploadError    the finished clip could not be stored
        └── JobStopped     the job was cancelled or passed its deadline: not the item's fault
"""

from __future__ import annotations

import math
from typing import Any


class FramecastError(Exception):
    """Base of every framecast error."""

    status_code = 500
    code = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(FramecastError):
    code = "config_error"


class InputError(FramecastError):
    status_code = 400
    code = "invalid_request"


class AuthError(FramecastError):
    status_code = 401
    code = "unauthorized"


class Forbidden(FramecastError):
    status_code = 403
    code = "forbidden"


class NotFound(FramecastError):
    status_code = 404
    code = "not_found"


class Conflict(FramecastError):
    status_code = 409
    code = "conflict"


class Gone(FramecastError):
    status_code = 410
    code = "gone"


class PayloadTooLarge(FramecastError):
    status_code = 413
    code = "payload_too_large"


class TooManyRequests(FramecastError):
    """Over a limit; ``retry_after`` is the whole seconds to wait (at least 1)."""

    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = max(1, math.ceil(retry_after))


class BackendError(FramecastError):
    status_code = 502
    code = "backend_error"


class InsufficientStorage(FramecastError):
    """No space left where results are stored: no retry helps until someone makes room."""

    status_code = 507
    code = "insufficient_storage"


class ItemError(FramecastError):
    """One item failed; the others go on."""

    code = "item_failed"


class FetchError(ItemError):
    code = "fetch_failed"


class AddressRefused(FetchError):
    """The host resolves to an address this service may not reach: no retry can change that."""


class ImageError(ItemError):
    code = "bad_image"


class RenderError(ItemError):
    code = "render_failed"


class UploadError(ItemError):
    code = "upload_failed"


class JobStopped(ItemError):
    """Work on the item stopped because its job no longer wants it (logged once per job)."""

    code = "job_stopped"


def describe_validation_errors(errors: list[Any]) -> str:
    """pydantic's errors as ``images[2].duracao: Input should be greater than 0; …``."""
    # A ValueError raised in a validator comes back as "Value error, <its message>": pydantic's
    # wording, not ours; the message alone says it.
    return "; ".join(
        f"{field_path(e['loc'])}: {str(e['msg']).removeprefix('Value error, ')}" for e in errors
    )


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("body", "images", 2, "duracao")`` → ``images[2].duracao``."""
    path = ""
    for part in loc:
        if part == "body" and not path:
            continue
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"
