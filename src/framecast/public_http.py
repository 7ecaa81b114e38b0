"""HTTP clients that reach public addresses only, checked at the moment of connecting.

Checking the addresses a host resolves to and then letting the HTTP client resolve it again
leaves a gap: a name that answers a public address to the check and a private one a moment
later (DNS rebinding) would get a request into the private network. These transports resolve
once, refuse the host unless every address is public, and connect to those very addresses;
TLS still checks the certificate against the host name. Source-image downloads (worker) and
webhooks (API) both use them, unless ``FETCH_ALLOW_PRIVATE`` is set.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Iterable
from typing import Any

import anyio.to_thread
import httpcore
import httpx

from framecast.errors import AddressRefused, FetchError

__all__ = [
    "BackendWrapper",
    "PublicAsyncTransport",
    "PublicTransport",
    "Resolver",
    "any_addresses",
    "is_public_address",
    "literal_address",
    "public_addresses",
    "trusting",
]

# host, port → the addresses to connect to (raising FetchError to refuse the host).
Resolver = Callable[[str, int], list[str]]
# Wraps the network backend of a transport (fetch_guard.GuardedBackend, to cut reads short).
BackendWrapper = Callable[[httpcore.NetworkBackend], httpcore.NetworkBackend]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# NAT64 (RFC 6052): on an IPv6-only network every IPv4 host resolves into this prefix.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def public_addresses(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to; ``AddressRefused`` unless every one is public."""
    addresses = any_addresses(host, port)
    for text in addresses:
        address = _address(text)
        if not is_public_address(address):
            raise AddressRefused(
                f"host {host.strip('[]')} resolves to {address}, which is not a public address;"
                " set FETCH_ALLOW_PRIVATE=true to allow private and local addresses"
            )
    return addresses


def any_addresses(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to, whatever they are (``FetchError`` if none)."""
    host = host.strip("[]")  # an IPv6 literal may arrive still bracketed
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise FetchError(f"could not resolve host {host}: {reason}") from exc
    addresses: list[str] = []
    for info in infos:
        text = str(info[4][0])
        if text not in addresses:
            addresses.append(text)
    return addresses


def trusting(url: str, resolve: Resolver = public_addresses) -> Resolver:
    """``resolve``, except for the host and port of ``url``, reached wherever they are: this
    service's own API (the operator's setting, not a user's URL), so a job can take the
    results of earlier jobs as its inputs even on a private or loopback address."""
    own = httpx.URL(url)
    own_host = (own.host or "").lower()
    own_port = own.port or (443 if own.scheme == "https" else 80)

    def resolver(host: str, port: int) -> list[str]:
        if host.strip("[]").lower() == own_host and port == own_port:
            return any_addresses(host, port)
        return resolve(host, port)

    return resolver


def literal_address(host: str) -> IPAddress | None:
    """The address ``host`` spells out (as a resolver reads it: "127.1" and "0x7f.1" are
    127.0.0.1), or None when it is a name to look up."""
    try:
        infos = socket.getaddrinfo(
            host.strip("[]"), 0, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST
        )
    except (OSError, UnicodeError):
        return None
    return _address(str(infos[0][4][0]))


def _address(text: str) -> IPAddress:
    # A link-local IPv6 address comes back from getaddrinfo with its zone ("fe80::1%eth0").
    return ipaddress.ip_address(text.split("%")[0])


def is_public_address(address: IPAddress) -> bool:
    """Whether ``address`` is globally routable (not private, loopback, link-local, ...)."""
    if isinstance(address, ipaddress.IPv6Address):
        # Addresses that carry an IPv4 address reach that address: judge it instead.
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public_address(embedded)
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


_SocketOptions = Iterable[Any] | None
_CONNECT_FAILURES = (httpcore.ConnectError, httpcore.ConnectTimeout)


class _ConnectBudget:
    """One connect timeout for all of a host's addresses, shared out evenly: a host with N
    dead addresses fails in the timeout, not N times it, and a dead address (a blackholed
    IPv6) leaves the next one time to answer."""

    def __init__(self, host: str, timeout: float | None, addresses: list[str]) -> None:
        self.host = host
        self.addresses = addresses
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.failure: Exception | None = None

    def share(self, attempt: int) -> float | None:
        """The time attempt ``attempt`` (0-based) may take; raises once none is left."""
        if self.deadline is None:
            return None
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ConnectTimeout(f"connecting to {self.host} timed out")
        return left / (len(self.addresses) - attempt)

    def failed(self) -> Exception:
        return self.failure or httpcore.ConnectError(f"no address for {self.host}")


class _PublicSyncBackend(httpcore.SyncBackend):
    def __init__(self, resolve: Resolver) -> None:
        self._resolve = resolve

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: _SocketOptions = None,
    ) -> httpcore.NetworkStream:
        budget = _ConnectBudget(host, timeout, self._resolve(host, port))
        for attempt, address in enumerate(budget.addresses):
            try:
                return super().connect_tcp(
                    address, port, budget.share(attempt), local_address, socket_options
                )
            except _CONNECT_FAILURES as exc:  # the next address may answer
                budget.failure = exc
        raise budget.failed()


class _PublicAsyncBackend(httpcore.AnyIOBackend):
    def __init__(self, resolve: Resolver) -> None:
        self._resolve = resolve

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: _SocketOptions = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await anyio.to_thread.run_sync(self._resolve, host, port)
        budget = _ConnectBudget(host, timeout, addresses)
        for attempt, address in enumerate(addresses):
            try:
                return await super().connect_tcp(
                    address, port, budget.share(attempt), local_address, socket_options
                )
            except _CONNECT_FAILURES as exc:
                budget.failure = exc
        raise budget.failed()


def _pool_options(limits: httpx.Limits) -> dict[str, Any]:
    return {
        "ssl_context": httpx.create_ssl_context(trust_env=False),
        "max_connections": limits.max_connections,
        "max_keepalive_connections": limits.max_keepalive_connections,
        "keepalive_expiry": limits.keepalive_expiry,
    }


class PublicTransport(httpx.HTTPTransport):
    """A transport for ``httpx.Client`` that connects only to what ``resolve`` allows, through
    ``wrap``'s wrapper of its network backend if given."""

    def __init__(
        self,
        limits: httpx.Limits,
        resolve: Resolver = public_addresses,
        wrap: BackendWrapper | None = None,
    ) -> None:
        super().__init__(limits=limits, trust_env=False)
        backend: httpcore.NetworkBackend = _PublicSyncBackend(resolve)
        # httpx builds its pool without a way to pass a network backend: swap in one built
        # the same way with ours (tests/test_public_http.py fails if that stops working).
        self._pool = httpcore.ConnectionPool(
            **_pool_options(limits), network_backend=wrap(backend) if wrap else backend
        )


class PublicAsyncTransport(httpx.AsyncHTTPTransport):
    """The same for ``httpx.AsyncClient``."""

    def __init__(self, limits: httpx.Limits, resolve: Resolver = public_addresses) -> None:
        super().__init__(limits=limits, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            **_pool_options(limits), network_backend=_PublicAsyncBackend(resolve)
        )
