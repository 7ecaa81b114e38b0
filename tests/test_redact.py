"""Credentials in URLs never reach a log line or an error message."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

from framecast.logs import RedactCredentials
from framecast.redact import redact


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("http://user:pass@host.test/x.jpg", "http://***@host.test/x.jpg"),
        ("https://tok@host.test:8443/x.jpg", "https://***@host.test:8443/x.jpg"),
        (
            "https://host.test/x.jpg?token=abc&size=2",
            "https://host.test/x.jpg?token=***&size=***",
        ),
        ("https://host.test/x.jpg?abc123", "https://host.test/x.jpg?***"),
        ("https://host.test/x.jpg#access_token=abc", "https://host.test/x.jpg#access_token=***"),
        ("HTTPS://u:p@HOST.test/?a=1", "HTTPS://***@HOST.test/?a=***"),
        ("//u:p@host.test/x.jpg?t=1", "//***@host.test/x.jpg?t=***"),
        ("https://host.test/x.jpg", "https://host.test/x.jpg"),
        ("https://host.test/x.jpg?", "https://host.test/x.jpg?"),
        ("no url here, a=b?c", "no url here, a=b?c"),
    ],
)
def test_redact_hides_userinfo_and_query_values(text: str, shown: str) -> None:
    assert redact(text) == shown


def test_redact_finds_every_url_in_a_message_and_keeps_the_rest() -> None:
    message = (
        "image download failed: HTTP 404 Not Found for 'http://a:b@one.test/x.jpg?sig=s1' "
        "redirected from https://two.test/y?key=k2 on the way"
    )
    assert redact(message) == (
        "image download failed: HTTP 404 Not Found for 'http://***@one.test/x.jpg?sig=***' "
        "redirected from https://two.test/y?key=*** on the way"
    )


def test_redact_takes_urls_it_cannot_parse() -> None:
    assert redact("http://u:p@[::1/x?t=1") == "http://***@[::1/x?t=***"


def test_the_log_filter_redacts_the_line_and_its_traceback() -> None:
    try:
        raise ValueError("bad http://u:secret@host.test/?token=t0k")
    except ValueError:
        record = logging.LogRecord(
            "framecast.worker",
            logging.WARNING,
            __file__,
            1,
            "fetch failed url=%s",
            ("http://u:secret@host.test/x.jpg?token=t0k",),
            exc_info=sys.exc_info(),
        )
    assert RedactCredentials().filter(record)
    line = logging.Formatter().format(record)
    assert "secret" not in line and "t0k" not in line
    assert "fetch failed url=http://***@host.test/x.jpg?token=***" in line


@pytest.mark.parametrize("log_format", ["plain", "json"])
def test_every_line_the_service_writes_is_redacted(log_format: str) -> None:
    # In a process of its own: configure_logging replaces the root logger's handlers.
    script = (
        "import logging\n"
        "from framecast.logs import configure_logging\n"
        f"configure_logging({log_format!r})\n"
        "log = logging.getLogger('framecast.anything')\n"
        "log.warning('hook failed url=%s', 'https://u:secret@h.test/x?token=t0k')\n"
        "try:\n"
        "    raise RuntimeError('http://u:secret@h.test/?token=t0k')\n"
        "except RuntimeError:\n"
        "    log.exception('crashed')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=True
    )
    assert "hook failed url=https://***@h.test/x?token=***" in done.stderr
    assert "RuntimeError: http://***@h.test/?token=***" in done.stderr.replace("\\n", "\n")
    assert "secret" not in done.stderr and "t0k" not in done.stderr
