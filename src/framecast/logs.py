"""One log format for the API, uvicorn, the workers and the command line: plain or JSON lines.

Our own lines are events with ``key=value`` fields (``job queued job_id=… items=3``). Plain keeps
them as they are behind a time, level and logger; JSON (``LOG_FORMAT=json``) puts the same
fields in an object, one per line. uvicorn's access lines are rewritten into the same shape, and
the workers' own calls to ``/upload/…`` (status checks and results, dozens per job) are left out
of the access log unless they fail. Every line passes :class:`RedactCredentials` on its way out,
so no URL's credentials are written, whichever code logged it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from framecast.redact import redact, redact_target

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
FORMATS = ("plain", "json")
ACCESS_LOGGER = "uvicorn.access"

# A field of one of our lines: key=value or key="a value with spaces".
_FIELD = re.compile(r'(?<!\S)([a-z_][a-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S+)')
_RESERVED = {"time", "level", "logger", "message", "event", "exception"}
# The routes workers call with their job's upload token (job ids are 32 hex digits), not the
# original contract's /upload/video (a client's own worker, with an API key): that one stays.
_WORKER_UPLOAD = re.compile(r"/upload/[0-9a-f]{32}(?:[/?]|$)")


def access_fields(record: logging.LogRecord) -> dict[str, Any] | None:
    """The fields of one of uvicorn's access lines; None for any other line."""
    if record.name != ACCESS_LOGGER or not isinstance(record.args, tuple):
        return None
    if len(record.args) != 5:
        return None
    client, method, path, http_version, status = record.args
    return {
        "method": method,
        "path": path,
        "status": status,
        "client": client,
        "http": http_version,
    }


def message_of(record: logging.LogRecord) -> str:
    """The line's text: ours as it is, an access line as ``request method=… path=…``."""
    fields = access_fields(record)
    if fields is None:
        return record.getMessage()
    return "request " + " ".join(f"{key}={value}" for key, value in fields.items())


class PlainFormatter(logging.Formatter):
    """``<time> <LEVEL> <logger> <event> key=value …``."""

    def __init__(self) -> None:
        super().__init__(LOG_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = message_of(record)
        return super().formatMessage(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, event and the line's fields."""

    def format(self, record: logging.LogRecord) -> str:
        message = message_of(record)
        line: dict[str, Any] = {
            "time": _utc(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": message,
        }
        fields = access_fields(record)
        if fields is None:
            found = list(_FIELD.finditer(message))
            fields = {m[1]: _unquoted(m[2]) for m in found}
            event = message[: found[0].start()] if found else message
        else:
            event = "request"
        line["event"] = event.strip()
        line.update({k: v for k, v in fields.items() if k not in _RESERVED})
        # exc_text, as logging's own format does: the traceback as RedactCredentials left it.
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


class QuietWorkerUploads(logging.Filter):
    """Drops the access lines of workers' successful ``/upload/{job_id}…`` calls."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = access_fields(record)
        if fields is None:
            return True
        ok = isinstance(fields["status"], int) and fields["status"] < 400
        return not (ok and _WORKER_UPLOAD.match(str(fields["path"])))


class RedactCredentials(logging.Filter):
    """Masks the userinfo and query values of every URL in a line and in its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if access_fields(record) is None:
            message = record.getMessage()
            shown = redact(message)
            if shown != message:
                record.msg, record.args = shown, None
        else:  # an access line: its args are fields, kept apart; the target's query masked
            assert isinstance(record.args, tuple)  # access_fields checked it
            client, method, path, http_version, status = record.args
            record.args = (client, method, redact_target(str(path)), http_version, status)
        if record.exc_info and not record.exc_text:
            # Formatted here, once: formatters reuse exc_text (ours and logging's own).
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def configure_logging(log_format: str = "plain") -> None:
    """Send every line (ours, uvicorn's, the workers') to stderr in ``log_format``."""
    if log_format not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, got {log_format!r}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else PlainFormatter())
    handler.addFilter(QuietWorkerUploads())
    handler.addFilter(RedactCredentials())
    # force: replaces what an earlier basicConfig (the command line's, before the settings
    # were read) installed, so no line is printed twice or in the other format.
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    for name in ("uvicorn", "uvicorn.error", ACCESS_LOGGER):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()  # uvicorn's own, if it configured itself first
        uvicorn_logger.propagate = True


def _utc(timestamp: float) -> str:
    """``2024-05-01T12:00:00.123Z``."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"


def _unquoted(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"')
    return value
