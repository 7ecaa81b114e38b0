"""Source URLs: normalising what automation tools send.

n8n, Make and hand-written scripts send image URLs with spaces, accents and stray newlines in
them. Those are repaired here rather than rejected; only a URL that cannot be fetched at all
(no host, a scheme other than http/https, an IPv4 address spelled ambiguously) is an
``InputError``, whose message shows the URL without its credentials (:mod:`framecast.redact`).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import quote, urlsplit, urlunsplit

import idna

from framecast.errors import InputError
from framecast.redact import redact

# Characters left as they are in each part (RFC 3986 sub-delims, ":" and "@", plus "%" so that
# existing escapes survive); everything else, spaces and non-ASCII included, is percent-encoded.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = _PATH_SAFE + "?"
_USERINFO_SAFE = "!$&'()*+,;=-._~%:"
_STRAY = re.compile(r"[\r\n\t]")
# A "%" that does not start a valid escape is a literal percent sign: encode it, so that the
# result is a valid URL and a valid "%20" is never encoded twice.
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# A host whose last label is a number (decimal, or hex after "0x") is an IPv4 address to URL
# parsers (WHATWG's "ends in a number" rule) and to resolvers, never a name to look up.
_NUMBER_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")


def normalize_url(raw: str) -> str:
    """Return ``raw`` as a valid http(s) URL, or raise ``InputError`` saying why it cannot be."""
    text = _STRAY.sub("", raw).strip()
    if not text:
        raise InputError("the URL is empty")
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        raise InputError(f"the URL is malformed ({exc}): {_clip(text)!r}") from exc
    scheme = parts.scheme.lower()
    if not scheme or "://" not in text:
        raise InputError(f"the URL must start with http:// or https://, got {_clip(text)!r}")
    if scheme not in ("http", "https"):
        raise InputError(
            f"the URL scheme {scheme!r} is not supported: only http and https are accepted"
        )
    netloc = _netloc(parts.netloc, text)
    return urlunsplit(
        (
            scheme,
            netloc,
            _quote(parts.path, _PATH_SAFE),
            _quote(parts.query, _QUERY_SAFE),
            _quote(parts.fragment, _QUERY_SAFE),
        )
    )


def shorten_url(url: str, limit: int = 120) -> str:
    """``url`` cut to ``limit`` characters for messages and logs, dropping a long query first."""
    if len(url) <= limit:
        return url
    # A long query is usually a signature or a token: it helps nobody and should not be logged.
    base, sep, _ = url.partition("?")
    if sep:
        base += "?…"
    if len(base) <= limit:
        return base
    head = (limit - 1) * 2 // 3
    return base[:head] + "…" + base[-(limit - 1 - head) :]


def _netloc(netloc: str, text: str) -> str:
    userinfo, at, hostport = netloc.rpartition("@")
    if hostport.startswith("["):  # IPv6 literal: "[::1]:8080"
        host, _, rest = hostport[1:].partition("]")
        port = rest.removeprefix(":")
        host = f"[{host.lower()}]"
    else:
        host, _, port = hostport.partition(":")
        host = _encode_host(host.rstrip("."), text) if host.rstrip(".") else ""
    if not host or host == "[]":
        raise InputError(f"the URL has no host: {_clip(text)!r}")
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        raise InputError(f"the URL has an invalid port {port!r}: {_clip(text)!r}")
    userinfo = _quote(userinfo, _USERINFO_SAFE) + at
    return f"{userinfo}{host}:{port}" if port else f"{userinfo}{host}"


def _encode_host(host: str, text: str) -> str:
    if host.isascii():
        if not re.fullmatch(r"[A-Za-z0-9._~!$&'()*+,;=%-]+", host):
            raise InputError(f"the URL has an invalid host {host!r}: {_clip(text)!r}")
        encoded = host.lower()
    else:
        try:
            encoded = str(idna.encode(host, uts46=True).decode("ascii"))
        except UnicodeError as exc:  # idna.IDNAError is one
            raise InputError(f"the URL has an invalid host {host!r}: {exc}") from exc
    if _NUMBER_LABEL.fullmatch(encoded.rpartition(".")[2]):
        _check_ipv4(encoded)
        return encoded
    if problem := _dns_name_problem(encoded):
        raise InputError(f"the URL has an invalid host {host!r}: {problem}")
    return encoded


def _check_ipv4(host: str) -> None:
    """Raise unless ``host`` is an IPv4 address in its one canonical spelling.

    Octal (0177.0.0.1), hex (0x7f.1), fewer parts (127.1), one number (2130706433) and
    leading zeros (127.000.000.001) are refused, not canonicalised: parsers disagree on them
    (glibc and browsers read 0177 as octal 127; Python's ipaddress and httpx refuse it; others
    read decimal 177), so whichever reading we picked, a check and a connection made by
    different code could reach different hosts, the classic way round an address block list.
    Refused, they never get that far, and no one publishes media at such an address.
    """
    try:
        ipaddress.IPv4Address(host)  # four decimal numbers, no leading zeros
    except ValueError:
        pass
    else:
        return
    try:
        reading = socket.inet_ntoa(socket.inet_aton(host))
    except OSError:
        raise InputError(
            f"the URL has an invalid host {host!r}: it ends in a number, so it is not a name,"
            " and it is not an IPv4 address"
        ) from None
    raise InputError(
        f"the URL has an ambiguous host {host!r}: a resolver reads it as {reading}, other"
        " parsers differently; write an IPv4 address as four decimal numbers without leading"
        " zeros, like 127.0.0.1"
    )


def _dns_name_problem(host: str) -> str | None:
    """Why ``host`` (ASCII) can't be looked up, or None. Caught here, a bad name is a 400 at
    submission instead of an error deep in the resolver."""
    if len(host) > 253:
        return "a name longer than 253 characters"
    for label in host.split("."):
        if not label:
            return "an empty label (two dots in a row, or a leading dot)"
        if len(label) > 63:
            return f"a label longer than 63 characters ({label[:20]}…)"
        if label.startswith("xn--"):
            # Only that it decodes: names IDNA2008 disallows (emoji domains) still resolve.
            try:
                decoded = label[4:].encode("ascii").decode("punycode")
            except UnicodeError:
                decoded = ""
            if not decoded:
                return f"{label!r} is not a valid internationalised (xn--) label"
    return None


def _quote(part: str, safe: str) -> str:
    return quote(_LONE_PERCENT.sub("%25", part), safe=safe)


def _clip(text: str) -> str:
    """``text`` (a URL as given) for an error message: credentials masked, then cut short."""
    if "//" not in text:  # "user:pass@host/x.jpg?token=…" still carries credentials
        return shorten_url(redact("//" + text).removeprefix("//"), 80)
    return shorten_url(redact(text), 80)
