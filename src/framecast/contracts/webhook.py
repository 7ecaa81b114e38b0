"""Webhook signatures: ``X-Framecast-Signature: sha256=<hex HMAC-SHA256 of the raw body>``."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Framecast-Signature"
EVENT_HEADER = "X-Framecast-Event"
JOB_HEADER = "X-Framecast-Job-Id"


def signature(secret: bytes, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of the body>``, as sent in X-Framecast-Signature."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(secret: bytes | str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is the signature of ``body`` under ``secret`` (constant time)."""
    key = secret.encode() if isinstance(secret, str) else secret
    return header is not None and hmac.compare_digest(signature(key, body), header)
