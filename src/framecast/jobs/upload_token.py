"""Upload tokens: an expiring credential that lets a worker store clips for one job only."""

from __future__ import annotations

import base64
import hashlib
import hmac

from framecast.errors import AuthError


class UploadTokens:
    """Issues and checks ``<job_id>.<expires_at>.<signature>`` tokens signed with a secret."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the upload token secret must be at least 16 bytes")
        self._secret = secret

    def issue(self, job_id: str, expires_at: float) -> str:
        payload = f"{job_id}.{int(expires_at)}"
        return f"{payload}.{self._sign(payload)}"

    def verify(self, token: str, job_id: str, now: float) -> None:
        """Raise AuthError unless ``token`` is valid for ``job_id`` at ``now``."""
        payload, _, signature = token.rpartition(".")
        token_job, _, expires = payload.rpartition(".")
        if not hmac.compare_digest(signature.encode(), self._sign(payload).encode()):
            raise AuthError("upload token: invalid signature")
        if not hmac.compare_digest(token_job.encode(), job_id.encode()):
            raise AuthError("upload token: issued for another job")
        if not expires.isdigit() or int(expires) < now:
            raise AuthError("upload token: expired (the job's deadline has passed)")

    def _sign(self, payload: str) -> str:
        mac = hmac.new(self._secret, payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")
