"""The client's errors: what a service answered, or that no answer came.

FramecastError (framecast.errors)
└── ClientError
    ├── ApiError            the service answered an error: its status, ``error`` and ``message``
    └── ServiceUnreachable  no answer: refused, dropped or timed out (after any retries)
"""

from __future__ import annotations

from framecast.errors import FramecastError


class ClientError(FramecastError):
    """Base of the client's errors."""


class ApiError(ClientError):
    """An error answer of the service: HTTP ``status``, its ``error`` code and ``message``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code

    def __repr__(self) -> str:
        return f"ApiError({self.status}, {self.code!r}, {self.message!r})"


class ServiceUnreachable(ClientError):
    """The service could not be reached, or the connection failed before an answer."""
