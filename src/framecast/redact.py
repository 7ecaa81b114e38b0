"""Credentials out of what we show: every URL in a log line or an error message loses its
userinfo and the values of its query and fragment.

Media URLs arrive with their access in them (``https://user:pass@host/x.jpg``, presigned
``?X-Amz-Signature=…``, ``?token=…``). Item errors go back to clients, into webhooks and into
the job store, and log lines go to whoever reads the logs: neither should hand that access on.
The keys stay (``?token=***``), so a message still says which parameter a URL carried.
"""

from __future__ import annotations

import re

__all__ = ["MASK", "redact"]

MASK = "***"

# A URL inside free text: an optional scheme, "//", then up to the first space or quote. It is
# matched, never parsed, so a URL too broken to parse (the kind an error message quotes) is
# still redacted.
_URL = re.compile(
    r"""(?P<start>(?:\b[A-Za-z][A-Za-z0-9+.\-]*:)?//)"""
    r"""(?P<authority>[^\s/?#'"<>]*)"""
    r"""(?P<path>[^\s?#'"<>]*)"""
    r"""(?:\?(?P<query>[^\s#'"<>]*))?"""
    r"""(?:\#(?P<fragment>[^\s'"<>]*))?"""
)


def redact(text: str) -> str:
    """``text`` with the userinfo, query values and fragment values of every URL in it
    replaced by ``***``; the rest as it was."""
    return _URL.sub(_redacted, text)


def redact_target(target: str) -> str:
    """A request target (``/inputs/…?expires=1&sig=…``) with its query values masked."""
    path, mark, query = target.partition("?")
    return path + mark + _values_masked(query) if mark else target


def _redacted(match: re.Match[str]) -> str:
    authority = match["authority"]
    if "@" in authority:
        authority = MASK + "@" + authority.rpartition("@")[2]
    shown = match["start"] + authority + match["path"]
    if match["query"] is not None:
        shown += "?" + _values_masked(match["query"])
    if match["fragment"] is not None:
        shown += "#" + _values_masked(match["fragment"])
    return shown


def _values_masked(query: str) -> str:
    """``a=1&b`` → ``a=***&***``: each value masked, each key kept, "" left as it is."""
    if not query:
        return query
    masked = []
    for part in re.split(r"([&;])", query):
        if part in ("&", ";", ""):
            masked.append(part)
        elif "=" in part:
            masked.append(part.partition("=")[0] + "=" + MASK)
        else:
            masked.append(MASK)
    return "".join(masked)
