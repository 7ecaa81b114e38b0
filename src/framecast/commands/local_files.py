"""Local files where the API takes URLs: checked the way the API checks a URL."""

from __future__ import annotations

from pathlib import Path

from framecast.errors import InputError


def local_file(path: str, field: str) -> str:
    """``path`` if it is a file, else an InputError naming ``field``."""
    if not Path(path).is_file():
        raise InputError(f"{field}: no such file {path!r}")
    return path
