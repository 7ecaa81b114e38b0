from __future__ import annotations

import pytest

from framecast.api.routes.video import checked_webhook_url
from framecast.contracts.plan import checked_url
from framecast.errors import InputError
from framecast.worker.urls import normalize_url, shorten_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://example.com/my photo.jpg", "https://example.com/my%20photo.jpg"),
        ("https://example.com/fotos/café.jpg", "https://example.com/fotos/caf%C3%A9.jpg"),
        ("  https://example.com/a.jpg\n", "https://example.com/a.jpg"),
        ("https://example.com/a\r\n.jpg", "https://example.com/a.jpg"),
        ("https://exa\tmple.com/a.jpg", "https://example.com/a.jpg"),
        ("https://example.com/my%20photo.jpg", "https://example.com/my%20photo.jpg"),
        ("https://example.com/my%20big photo.jpg", "https://example.com/my%20big%20photo.jpg"),
        ("https://example.com/100%.jpg", "https://example.com/100%25.jpg"),
        ("https://example.com/a.jpg?name=a b&x=é", "https://example.com/a.jpg?name=a%20b&x=%C3%A9"),
        ("https://example.com/a.jpg?sig=ab%2Bc+d=", "https://example.com/a.jpg?sig=ab%2Bc+d="),
        ("https://example.com/a.jpg#frag ment", "https://example.com/a.jpg#frag%20ment"),
        ("HTTPS://Example.COM/Photo.JPG", "https://example.com/Photo.JPG"),
        ("https://bücher.example/x.jpg", "https://xn--bcher-kva.example/x.jpg"),
        ("https://xn--ls8h.la/x.jpg", "https://xn--ls8h.la/x.jpg"),  # an emoji domain
        ("http://example.com:8080/a.jpg", "http://example.com:8080/a.jpg"),
        ("http://[::1]:8080/a.jpg", "http://[::1]:8080/a.jpg"),
        ("https://user:p%40ss@example.com/a.jpg", "https://user:p%40ss@example.com/a.jpg"),
    ],
)
def test_normalize_url_repairs_what_automation_tools_send(raw: str, expected: str) -> None:
    assert normalize_url(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["https://example.com/fotos/my café.jpg?q=a b", "https://example.com/a%2Fb.jpg", "http://x.io"],
)
def test_normalize_url_is_idempotent(raw: str) -> None:
    once = normalize_url(raw)
    assert normalize_url(once) == once


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "empty"),
        ("  \r\n\t ", "empty"),
        ("ftp://example.com/a.jpg", "'ftp' is not supported: only http and https are accepted"),
        ("file:///etc/passwd", "'file' is not supported: only http and https are accepted"),
        ("javascript:alert(1)", "must start with http:// or https://"),
        ("example.com/a.jpg", "must start with http:// or https://"),
        ("http:///a.jpg", "has no host"),
        ("https://", "has no host"),
        ("http://example.com:99999/a.jpg", "invalid port"),
        ("http://exa mple.com/a.jpg", "invalid host"),
        ("http://xn--/a.jpg", "invalid host"),
        ("http://xn--0.com/a.jpg", "not a valid internationalised"),  # not punycode
        ("http://a..b/x.jpg", "invalid host 'a..b': an empty label"),
        (f"http://{'a' * 64}.com/x.jpg", "a label longer than 63 characters"),
        (f"http://{'a.' * 127}com/x.jpg", "longer than 253 characters"),
        ("http://café..com/x.jpg", "invalid host"),
    ],
)
def test_normalize_url_refuses_what_cannot_be_fetched(raw: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        normalize_url(raw)


def test_shorten_url_drops_a_long_query_first() -> None:
    url = "https://bucket.example.com/photos/a.jpg?X-Amz-Signature=" + "f" * 300
    assert shorten_url(url) == "https://bucket.example.com/photos/a.jpg?…"


def test_shorten_url_keeps_both_ends_of_a_long_path() -> None:
    url = "https://example.com/" + "d/" * 100 + "photo.jpg"
    short = shorten_url(url, limit=60)
    assert len(short) == 60
    assert short.startswith("https://example.com/")
    assert short.endswith("photo.jpg")


# Spellings of an IPv4 address that parsers read differently (octal, hex, fewer than four
# parts, a single number, leading zeros): refused, whatever address they may stand for.
AMBIGUOUS_HOSTS = [
    "0177.0.0.1",
    "127.000.000.001",
    "0x7f.1",
    "0x7F.0.0.1",
    "127.1",
    "2130706433",
    "0x7f000001",
    "017700000001",
    "010.8.8.8",
    "8.8.8.010",
]


@pytest.mark.parametrize("host", AMBIGUOUS_HOSTS)
def test_an_ambiguous_ipv4_spelling_is_refused(host: str) -> None:
    with pytest.raises(InputError, match=r"four decimal numbers.*like 127\.0\.0\.1") as raised:
        normalize_url(f"http://{host}/x.jpg")
    assert host.lower() in raised.value.message


@pytest.mark.parametrize("host", ["1.2.3.4.5", "256.1.1.1", "example.0x7f", "photos.123"])
def test_a_name_ending_in_a_number_that_is_no_ipv4_address_is_refused(host: str) -> None:
    with pytest.raises(InputError, match="not an IPv4 address"):
        normalize_url(f"http://{host}/x.jpg")


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "8.8.8.8", "10.0.0.255", "1password.com", "123.example", "0x7f.example"]
)
def test_canonical_addresses_and_names_with_digits_are_accepted(host: str) -> None:
    assert normalize_url(f"http://{host}/x.jpg") == f"http://{host}/x.jpg"


def test_an_ambiguous_address_is_a_400_naming_the_field() -> None:
    with pytest.raises(InputError) as raised:
        checked_url("http://0177.0.0.1/x.jpg", "images[0].image_url")
    assert raised.value.message.startswith("images[0].image_url: the URL has an ambiguous host")


def test_an_ambiguous_webhook_address_is_a_400_naming_the_field() -> None:
    with pytest.raises(InputError, match=r"^webhook_url: the URL has an ambiguous host"):
        checked_webhook_url("http://0x7f.1/hook", allow_private=False)
