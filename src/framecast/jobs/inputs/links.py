"""Input URLs: ``{base}/inputs/{id}``, and the signed form a worker fetches without a key.

The signature is an HMAC of the id and the expiry time, with a secret kept in DATA_DIR; it
proves the API made the URL for a job, until that job's deadline.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from urllib.parse import urlencode, urlsplit

from framecast.errors import AuthError

ROUTE = "/inputs/{input_id}"
SECRET_NAME = "input_url_secret"  # the file in DATA_DIR
_ID = re.compile(r"[0-9a-f]{32}")
_PATH = re.compile(r"(?:.*)/inputs/([0-9a-f]{32})/?")

_EXPIRES = re.compile(r"[0-9]{1,12}")  # seconds since 1970, as signed_url writes them


def new_input_id() -> str:
    return uuid.uuid4().hex


def is_input_id(text: str) -> bool:
    return _ID.fullmatch(text) is not None


def input_url(base_url: str, input_id: str) -> str:
    """The URL a client names the input by."""
    return base_url.rstrip("/") + ROUTE.format(input_id=input_id)


class InputLinks:
    """Makes and checks the signed URLs of inputs."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def signed_url(self, base_url: str, input_id: str, expires_at: float) -> str:
        """``input_url`` with ``?expires=…&sig=…``, good until ``expires_at``."""
        expires = int(expires_at) + 1  # whole seconds, never earlier than asked
        query = urlencode({"expires": expires, "sig": self._sign(input_id, expires)})
        return f"{input_url(base_url, input_id)}?{query}"

    def verify(self, input_id: str, expires: str, sig: str, now: float) -> None:
        """AuthError unless ``sig`` signs ``input_id`` until ``expires`` and that is not past."""
        if not _EXPIRES.fullmatch(expires) or not hmac.compare_digest(
            self._sign(input_id, int(expires)).encode(), sig.encode()
        ):
            raise AuthError("sig: not a signature of this input's URL")
        if int(expires) < now:
            raise AuthError(f"expires: this signed URL expired at {int(expires)}")

    def _sign(self, input_id: str, expires: int) -> str:
        message = f"{input_id}\0{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()


def own_input_id(url: str, own_bases: tuple[str, ...]) -> str | None:
    """The input id of ``url`` if it names an input of this service (its path is
    ``/inputs/{id}`` on one of ``own_bases``' scheme and host), else None."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    match = _PATH.fullmatch(parts.path)
    if match is None:
        return None
    origin = (parts.scheme.lower(), parts.netloc.lower())
    for base in own_bases:
        own = urlsplit(base)
        if (own.scheme.lower(), own.netloc.lower()) == origin and parts.path.startswith(
            own.path.rstrip("/") + "/inputs/"
        ):
            return match[1]
    return None
