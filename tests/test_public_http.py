import asyncio
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from framecast.errors import FetchError
from framecast.public_http import (
    PublicAsyncTransport,
    PublicTransport,
    public_addresses,
    trusting,
)
from tests.support.http_server import MediaServer


@pytest.fixture(scope="module")
def server() -> Iterator[MediaServer]:
    with MediaServer() as media:
        media.add("/a.jpg", b"image bytes")
        yield media


def as_if_public(name: str, *addresses: str):
    """A resolver under which ``name`` (which no DNS knows) is public, at ``addresses``."""
    asked: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return list(addresses) if host == name else public_addresses(host, port)

    resolve.asked = asked  # type: ignore[attr-defined]
    return resolve


def test_the_client_connects_to_the_addresses_it_checked(server) -> None:
    # No DNS knows images.test: the request only arrives because the connection went to the
    # address the check returned, not to a second lookup of the name.
    resolve = as_if_public("images.test", "127.0.0.1")
    with httpx.Client(transport=PublicTransport(httpx.Limits(), resolve)) as client:
        response = client.get(server.url("/a.jpg", host="images.test"))
    assert response.content == b"image bytes"
    assert resolve.asked == ["images.test"]
    assert server.requests[-1].headers["Host"] == f"images.test:{server.port}"


def test_a_private_address_is_refused_before_connecting(server) -> None:
    before = server.hits["/a.jpg"]
    with (
        httpx.Client(transport=PublicTransport(httpx.Limits())) as client,
        pytest.raises(FetchError, match=r"127\.0\.0\.1, which is not a public address"),
    ):
        client.get(server.url("/a.jpg"))
    assert server.hits["/a.jpg"] == before


def test_each_checked_address_is_tried_in_turn(server) -> None:
    resolve = as_if_public("images.test", "127.0.0.2", "127.0.0.1")  # nothing on .2's port
    with httpx.Client(transport=PublicTransport(httpx.Limits(), resolve)) as client:
        assert client.get(server.url("/a.jpg", host="images.test")).status_code == 200


@pytest.fixture
def unanswered_port() -> Iterator[int]:
    """A port whose backlog is full: connections to it neither succeed nor fail, they wait."""
    with socket.socket() as listener, socket.socket() as filler:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        filler.connect(listener.getsockname())
        yield listener.getsockname()[1]


def test_the_connect_timeout_is_shared_by_all_the_addresses(unanswered_port) -> None:
    # A host with 4 dead addresses: its connect takes the timeout once, not 4 times.
    resolve = as_if_public("dead.test", *["127.0.0.1"] * 4)
    timeout = httpx.Timeout(5.0, connect=0.5)
    started = time.monotonic()
    with (
        httpx.Client(transport=PublicTransport(httpx.Limits(), resolve), timeout=timeout) as client,
        pytest.raises(httpx.ConnectTimeout),
    ):
        client.get(f"http://dead.test:{unanswered_port}/")
    assert time.monotonic() - started < 1.5  # 4 x 0.5 s without the shared budget


def test_a_dead_address_leaves_the_next_one_time_to_answer(server) -> None:
    # 127.0.0.2 on the server's port accepts nothing (a full backlog): like a blackholed IPv6
    # address listed before a working IPv4 one.
    with socket.socket() as dead, socket.socket() as filler:
        dead.bind(("127.0.0.2", server.port))
        dead.listen(0)
        filler.connect(dead.getsockname())
        resolve = as_if_public("dual.test", "127.0.0.2", "127.0.0.1")
        timeout = httpx.Timeout(5.0, connect=1.0)
        with httpx.Client(
            transport=PublicTransport(httpx.Limits(), resolve), timeout=timeout
        ) as client:
            response = client.get(server.url("/a.jpg", host="dual.test"))
    assert response.content == b"image bytes"


def test_the_async_connect_timeout_is_shared_too(unanswered_port) -> None:
    resolve = as_if_public("dead.test", *["127.0.0.1"] * 4)
    timeout = httpx.Timeout(5.0, connect=0.5)

    async def get() -> None:
        transport = PublicAsyncTransport(httpx.Limits(), resolve)
        async with httpx.AsyncClient(transport=transport, timeout=timeout) as client:
            await client.get(f"http://dead.test:{unanswered_port}/")

    started = time.monotonic()
    with pytest.raises(httpx.ConnectTimeout):
        asyncio.run(get())
    assert time.monotonic() - started < 1.5


def test_the_async_transport_checks_the_same_way(server) -> None:
    resolve = as_if_public("hooks.test", "127.0.0.1")

    async def both() -> tuple[int, str]:
        async with httpx.AsyncClient(
            transport=PublicAsyncTransport(httpx.Limits(), resolve)
        ) as client:
            allowed = (await client.get(server.url("/a.jpg", host="hooks.test"))).status_code
            try:
                await client.get(server.url("/a.jpg"))
            except FetchError as exc:
                return allowed, exc.message
        return allowed, "not refused"

    status, refusal = asyncio.run(both())
    assert status == 200
    assert "127.0.0.1, which is not a public address" in refusal


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata endpoints
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "[::1]",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "fe80::1",
        "fc00::1",
        "2002:7f00:1::",  # 6to4 wrapping of 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 wrapping of 10.0.0.1
    ],
)
def test_non_public_addresses_are_refused(host: str) -> None:
    with pytest.raises(FetchError, match=r"not a public address.*FETCH_ALLOW_PRIVATE=true"):
        public_addresses(host, 80)


@pytest.mark.parametrize(
    "host", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_public_addresses_are_accepted(host: str) -> None:
    assert public_addresses(host, 443) == [host]


def test_a_host_that_does_not_resolve_is_named() -> None:
    with pytest.raises(FetchError, match=r"could not resolve host nonexistent\.invalid"):
        public_addresses("nonexistent.invalid", 80)


def test_trusting_reaches_only_the_services_own_host_and_port() -> None:
    resolve = trusting("http://127.0.0.1:3000/upload/job")
    assert resolve("127.0.0.1", 3000) == ["127.0.0.1"]
    for host, port in (("127.0.0.1", 3001), ("localhost", 3000), ("10.0.0.1", 3000)):
        with pytest.raises(FetchError, match="not a public address"):
            resolve(host, port)


def test_trusting_takes_the_schemes_default_port() -> None:
    assert trusting("https://[::1]/upload/job")("::1", 443) == ["::1"]
