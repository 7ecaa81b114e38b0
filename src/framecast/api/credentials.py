"""X_API_KEY's keys and the secrets: configured, or generated once and kept under DATA_DIR.

Who a key belongs to is :mod:`framecast.api.tenants`'s.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from framecast.config import Settings
from framecast.errors import ConfigError

log = logging.getLogger("framecast.api")

PLACEHOLDER_KEYS = {"changeme", "change-me", "your-api-key", "secret", "xxx"}


def load_or_create_api_keys(settings: Settings) -> tuple[str, ...]:
    """X_API_KEY's keys; with none set, a key generated on first start and printed."""
    for key in settings.api_keys:
        if key.lower() in PLACEHOLDER_KEYS or len(key) < 8:
            raise ConfigError(
                "X_API_KEY holds a placeholder or a key shorter than 8 characters; set real keys"
                " (or unset it to have one generated)"
            )
    if settings.api_keys:
        return settings.api_keys
    path = settings.data_dir / "api_key"
    if path.exists():
        key = path.read_text().strip()
        log.info("api key loaded from %s (set X_API_KEY to choose your own)", path)
    else:
        key = _write_secret(path, secrets.token_urlsafe(32).encode()).decode()
        log.warning("api key generated: %s (stored in %s; send it as X-API-Key)", key, path)
    return (key,)


def load_or_create_secret(data_dir: Path, name: str) -> bytes:
    """A random secret kept in DATA_DIR/name, so it survives restarts."""
    path = data_dir / name
    if path.exists():
        return path.read_bytes()
    return _write_secret(path, secrets.token_bytes(32))


def webhook_secret(settings: Settings) -> bytes:
    """WEBHOOK_SECRET, or one generated in DATA_DIR/webhook_secret (logged on first start)."""
    if settings.webhook_secret:
        return settings.webhook_secret.encode()
    path = settings.data_dir / "webhook_secret"
    if path.exists():
        return path.read_bytes().strip()
    secret = _write_secret(path, secrets.token_urlsafe(32).encode())
    log.warning(
        "webhook secret generated: %s (stored in %s; verify X-Framecast-Signature with it,"
        " or set WEBHOOK_SECRET)",
        secret.decode(),
        path,
    )
    return secret


def _write_secret(path: Path, value: bytes) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(value)
    return value
