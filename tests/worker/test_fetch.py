from __future__ import annotations

import codecs
import logging
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import imageio_ffmpeg
import numpy as np
import pytest
from PIL import ImageFont

from framecast.config import FetchConfig
from framecast.errors import FetchError
from framecast.public_http import public_addresses
from framecast.worker.fetch import Backoff, fetch_to_file, make_client
from framecast.worker.media_kinds import MediaKind
from tests.support.http_server import MediaServer
from tests.support.media import png_bytes

IMAGE = bytes(range(256)) * 400  # 100 KiB: more than one chunk
FAST = Backoff(first_seconds=0.01, max_retry_after_seconds=2.0)
LOCAL = FetchConfig(allow_private=True, timeout_seconds=5.0, attempts=3)


@pytest.fixture
def server() -> Iterator[MediaServer]:
    with MediaServer() as media:
        yield media


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with make_client(LOCAL) as http:
        yield http


def fetch(
    url: str, dest: Path, client: httpx.Client, kind: MediaKind = MediaKind.IMAGE, **changes: Any
) -> int:
    config = FetchConfig(**{**LOCAL.__dict__, **changes})
    return fetch_to_file(url, dest, config, client, kind=kind, backoff=FAST)


def test_success_writes_exactly_the_bytes_served(server, client, tmp_path) -> None:
    server.add("/a.jpg", IMAGE)
    assert fetch(server.url("/a.jpg"), tmp_path / "a.jpg", client) == len(IMAGE)
    assert (tmp_path / "a.jpg").read_bytes() == IMAGE
    assert [p.name for p in tmp_path.iterdir()] == ["a.jpg"]


def test_url_with_spaces_and_accents_is_fetched(server, client, tmp_path) -> None:
    server.add("/photos/my café.jpg", IMAGE)
    fetch(server.url("/photos/my café.jpg\n"), tmp_path / "a.jpg", client)
    assert server.hits["/photos/my café.jpg"] == 1


def test_requests_carry_the_framecast_user_agent(server, client, tmp_path) -> None:
    server.add("/a.jpg", IMAGE)
    fetch(server.url("/a.jpg"), tmp_path / "a.jpg", client)
    assert server.requests[0].headers["User-Agent"].startswith("framecast/")


@pytest.mark.parametrize("content_type", ["", "application/octet-stream", "image/webp"])
def test_image_and_untyped_bodies_are_accepted(server, client, tmp_path, content_type) -> None:
    server.add("/a", IMAGE, content_type=content_type)
    assert fetch(server.url("/a"), tmp_path / "a.jpg", client) == len(IMAGE)


def test_404_fails_at_once_naming_the_status_and_url(server, client, tmp_path) -> None:
    url = server.url("/missing.jpg")
    with pytest.raises(FetchError, match=re.escape(f"HTTP 404 Not Found for {url}")):
        fetch(url, tmp_path / "a.jpg", client)
    assert server.hits["/missing.jpg"] == 1
    assert list(tmp_path.iterdir()) == []


def test_503_twice_then_200_succeeds_on_the_third_attempt(server, client, tmp_path) -> None:
    server.add_flaky("/a.jpg", IMAGE, failures=2, status=503)
    assert fetch(server.url("/a.jpg"), tmp_path / "a.jpg", client) == len(IMAGE)
    assert server.hits["/a.jpg"] == 3


def test_persistent_5xx_fails_after_the_configured_attempts(server, client, tmp_path) -> None:
    server.add_flaky("/a.jpg", IMAGE, failures=10, status=502)
    with pytest.raises(FetchError, match=r"HTTP 502 Bad Gateway .* \(after 2 attempts\)"):
        fetch(server.url("/a.jpg"), tmp_path / "a.jpg", client, attempts=2)
    assert server.hits["/a.jpg"] == 2
    assert list(tmp_path.iterdir()) == []


def test_retries_are_logged_as_one_line_events(server, client, tmp_path, caplog) -> None:
    server.add_flaky("/a.jpg", IMAGE, failures=1, status=503)
    with caplog.at_level(logging.INFO, logger="framecast.worker"):
        fetch(server.url("/a.jpg"), tmp_path / "a.jpg", client)
    assert f"fetch retry url={server.url('/a.jpg')} attempt=2 status=503" in caplog.text


def test_429_waits_for_retry_after(server, client, tmp_path) -> None:
    server.add_flaky("/a.jpg", IMAGE, failures=1, status=429, failure_headers={"Retry-After": "1"})
    started = time.monotonic()
    fetch(server.url("/a.jpg"), tmp_path / "a.jpg", client)
    assert time.monotonic() - started >= 0.95
    assert server.hits["/a.jpg"] == 2


def test_a_long_retry_after_is_capped(server, client, tmp_path) -> None:
    server.add_flaky(
        "/a.jpg", IMAGE, failures=1, status=429, failure_headers={"Retry-After": "3600"}
    )
    backoff = Backoff(first_seconds=0.01, max_retry_after_seconds=0.1)
    started = time.monotonic()
    fetch_to_file(server.url("/a.jpg"), tmp_path / "a.jpg", LOCAL, client, backoff=backoff)
    assert time.monotonic() - started < 2


def test_content_length_over_the_cap_is_refused_before_download(server, client, tmp_path) -> None:
    server.add("/big.jpg", b"x" * (2 * 1024 * 1024))
    with pytest.raises(FetchError, match="over the 1 MB limit"):
        fetch(server.url("/big.jpg"), tmp_path / "a.jpg", client, max_image_bytes=1024 * 1024)
    assert server.hits["/big.jpg"] == 1
    assert list(tmp_path.iterdir()) == []


def test_a_body_over_the_cap_without_length_is_cut_off(server, client, tmp_path) -> None:
    server.add("/big.jpg", b"x" * (2 * 1024 * 1024), content_length=False)
    with pytest.raises(FetchError, match="larger than the 1 MB limit"):
        fetch(server.url("/big.jpg"), tmp_path / "a.jpg", client, max_image_bytes=1024 * 1024)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_download_leaves_an_existing_file_alone(server, client, tmp_path) -> None:
    (tmp_path / "a.jpg").write_bytes(b"previous")
    with pytest.raises(FetchError):
        fetch(server.url("/missing.jpg"), tmp_path / "a.jpg", client)
    assert (tmp_path / "a.jpg").read_bytes() == b"previous"


def test_an_html_page_is_not_an_image(server, client, tmp_path) -> None:
    server.add("/share/abc", b"<html>sign in</html>", content_type="text/html; charset=utf-8")
    with pytest.raises(FetchError, match="returned text/html, not an image"):
        fetch(server.url("/share/abc"), tmp_path / "a.jpg", client)
    assert list(tmp_path.iterdir()) == []


def test_an_empty_body_is_refused(server, client, tmp_path) -> None:
    server.add("/empty.jpg", b"")
    with pytest.raises(FetchError, match="empty body"):
        fetch(server.url("/empty.jpg"), tmp_path / "a.jpg", client)


def test_a_slow_server_times_out(server, client, tmp_path) -> None:
    server.add_slow("/slow.jpg", IMAGE, delay=3.0)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"timed out after 0.2s"):
        fetch(server.url("/slow.jpg"), tmp_path / "a.jpg", client, timeout_seconds=0.2, attempts=1)
    assert time.monotonic() - started < 2
    assert list(tmp_path.iterdir()) == []


def test_a_refused_connection_is_retried_then_reported(client, tmp_path) -> None:
    with MediaServer() as gone:
        url = gone.url("/a.jpg")  # nothing listens on this port once the server is closed
    with pytest.raises(FetchError, match=r"connection error .* \(after 2 attempts\)"):
        fetch(url, tmp_path / "a.jpg", client, attempts=2)


def test_redirects_are_followed(server, client, tmp_path) -> None:
    server.add_redirect("/old.jpg", server.url("/moved.jpg"), status=301)
    server.add_redirect("/moved.jpg", "/photos/new image.jpg")  # relative, unencoded
    server.add("/photos/new image.jpg", IMAGE)
    assert fetch(server.url("/old.jpg"), tmp_path / "a.jpg", client) == len(IMAGE)


def test_a_redirect_loop_stops_after_five_hops(server, client, tmp_path) -> None:
    server.add_redirect("/loop", "/loop")
    with pytest.raises(FetchError, match="more than 5 redirects"):
        fetch(server.url("/loop"), tmp_path / "a.jpg", client, attempts=1)
    assert server.hits["/loop"] == 6


def test_a_redirect_to_another_scheme_is_refused(server, client, tmp_path) -> None:
    server.add_redirect("/a.jpg", "file:///etc/passwd")
    with pytest.raises(FetchError, match=r"redirected to a bad URL.*only http and https"):
        fetch(server.url("/a.jpg"), tmp_path / "a.jpg", client)


def test_a_loopback_address_is_refused_by_default(server, tmp_path) -> None:
    server.add("/a.jpg", IMAGE)
    config = FetchConfig(allow_private=False, timeout_seconds=5.0)
    with (
        make_client(config) as client,
        pytest.raises(FetchError, match=r"127\.0\.0\.1, which is not a public address"),
    ):
        fetch_to_file(server.url("/a.jpg"), tmp_path / "a.jpg", config, client)
    assert server.hits["/a.jpg"] == 0
    assert list(tmp_path.iterdir()) == []


def test_every_redirect_hop_is_checked(server, tmp_path) -> None:
    # "localhost" stands in for a public host: only the first hop is allowed through.
    def localhost_is_public(host: str, port: int) -> list[str]:
        return ["127.0.0.1"] if host == "localhost" else public_addresses(host, port)

    server.add_redirect("/a.jpg", server.url("/internal.jpg"))
    server.add("/internal.jpg", IMAGE)
    config = FetchConfig(allow_private=False, timeout_seconds=5.0)
    url = server.url("/a.jpg", host="localhost")
    with (
        make_client(config, resolve=localhost_is_public) as client,
        pytest.raises(FetchError, match=r"127\.0\.0\.1, which is not a public address"),
    ):
        fetch_to_file(url, tmp_path / "a.jpg", config, client)
    assert server.hits["/a.jpg"] == 1
    assert server.hits["/internal.jpg"] == 0


def test_a_bad_url_fails_the_item_not_the_job(client, tmp_path) -> None:
    with pytest.raises(FetchError, match="only http and https are accepted"):
        fetch("ftp://example.com/a.jpg", tmp_path / "a.jpg", client)


@pytest.mark.parametrize("host", ["0177.0.0.1", "127.000.000.001", "0x7f.1"])
def test_an_ambiguous_address_fails_the_item_saying_why(client, tmp_path, host) -> None:
    # Before: httpx refused some of these (InvalidURL) and the item failed as "internal error".
    with pytest.raises(FetchError, match="ambiguous host"):
        fetch(f"http://{host}/a.jpg", tmp_path / "a.jpg", client)


def test_a_cancelled_job_stops_retrying(server, client, tmp_path) -> None:
    server.add_flaky("/down.jpg", IMAGE, failures=10, status=503)
    asked: list[int] = []
    with pytest.raises(FetchError, match="stopped after 1 attempts: the job was cancelled"):
        fetch_to_file(
            server.url("/down.jpg"),
            tmp_path / "a.jpg",
            FetchConfig(**{**LOCAL.__dict__, "attempts": 5}),
            client,
            backoff=FAST,
            keep_going=lambda: bool(asked.append(1)),
        )
    assert server.hits["/down.jpg"] == 1 and len(asked) == 1
    assert list(tmp_path.iterdir()) == []


# Media of every kind, made once: what each kind must accept.
SUBTITLES = codecs.BOM_UTF8 + "1\r\n00:00:00,000 --> 00:00:01,500\r\nÉté à Paris\r\n\r\n".encode()
WEB_PAGE = b"<!DOCTYPE html><html><head><title>Sign in</title></head></html>"


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("media")
    video = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=0.3", "-pix_fmt", "yuv420p"]
    sine = ["-f", "lavfi", "-i", "sine=frequency=440:duration=0.3"]
    files = {}
    for name, options in (("clip.mp4", video), ("a.m4a", sine), ("a.mp3", sine), ("a.wav", sine)):
        command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", *options, str(folder / name)]
        subprocess.run(command, check=True, capture_output=True, timeout=60)
        files[name] = (folder / name).read_bytes()
    files["a.png"] = png_bytes(np.full((8, 8, 3), 200, dtype=np.uint8))
    files["a.ttf"] = ImageFont.load_default(12).font_bytes
    files["a.vtt"] = b"WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n"
    return files


@pytest.mark.parametrize(
    ("kind", "name", "content_type"),
    [
        (MediaKind.IMAGE, "a.png", "image/png"),
        (MediaKind.VIDEO, "clip.mp4", "video/mp4"),
        (MediaKind.AUDIO, "a.m4a", "audio/mp4"),
        (MediaKind.AUDIO, "a.mp3", "audio/mpeg"),
        (MediaKind.AUDIO, "a.wav", "audio/wav"),
        (MediaKind.AUDIO, "clip.mp4", "video/mp4"),  # its audio stream is what will be used
        (MediaKind.SUBTITLES, "a.vtt", "text/vtt"),
        (MediaKind.FONT, "a.ttf", "font/ttf"),
    ],
)
def test_each_kind_accepts_its_media(
    server, client, tmp_path, media, kind, name, content_type
) -> None:
    server.add(f"/{name}", media[name], content_type=content_type)
    assert fetch(server.url(f"/{name}"), tmp_path / name, client, kind) == len(media[name])
    assert (tmp_path / name).read_bytes() == media[name]


def test_subtitles_served_as_text_with_a_bom_and_crlf_are_accepted(
    server, client, tmp_path
) -> None:
    server.add("/a.srt", SUBTITLES, content_type="text/plain; charset=utf-8")
    fetch(server.url("/a.srt"), tmp_path / "a.srt", client, MediaKind.SUBTITLES)
    assert (tmp_path / "a.srt").read_bytes() == SUBTITLES


def test_a_video_url_serving_a_web_page_fails_naming_what_came(server, client, tmp_path) -> None:
    server.add("/clip.mp4", WEB_PAGE, content_type="application/octet-stream")
    expected = (
        f"video download failed: {server.url('/clip.mp4')} is not a video: got HTML"
        f' (starts with "<!DOCTYPE html><html><head><titl…"), {len(WEB_PAGE)} bytes,'
        " Content-Type application/octet-stream"
    )
    with pytest.raises(FetchError, match=re.escape(expected)):
        fetch(server.url("/clip.mp4"), tmp_path / "clip.mp4", client, MediaKind.VIDEO)
    assert list(tmp_path.iterdir()) == []  # neither dest nor the .part file
    assert server.hits["/clip.mp4"] == 1  # not retried: it would be the same page


def test_a_video_url_typed_as_a_web_page_is_refused_before_download(
    server, client, tmp_path
) -> None:
    server.add("/clip.mp4", WEB_PAGE, content_type="text/html")
    with pytest.raises(FetchError, match=r"^video download failed: .* returned text/html, not a"):
        fetch(server.url("/clip.mp4"), tmp_path / "clip.mp4", client, MediaKind.VIDEO)
    assert list(tmp_path.iterdir()) == []


def test_audio_served_for_a_video_is_refused(server, client, tmp_path, media) -> None:
    server.add("/clip.mp4", media["a.mp3"], content_type="")
    with pytest.raises(FetchError, match=r"is not a video: got MP3 .* no Content-Type$"):
        fetch(server.url("/clip.mp4"), tmp_path / "clip.mp4", client, MediaKind.VIDEO)
    assert list(tmp_path.iterdir()) == []


def test_an_api_error_served_for_an_image_is_refused(server, client, tmp_path) -> None:
    server.add("/a.jpg", b'{"error": "expired"}', content_type="application/octet-stream")
    with pytest.raises(FetchError, match=r"^image download failed: .* is not an image: got JSON"):
        fetch(server.url("/a.jpg"), tmp_path / "a.jpg", client)
    assert list(tmp_path.iterdir()) == []


def test_a_subtitle_url_serving_a_web_page_is_refused(server, client, tmp_path) -> None:
    server.add("/a.srt", WEB_PAGE, content_type="text/plain")
    with pytest.raises(FetchError, match="is not a subtitle file: got HTML"):
        fetch(server.url("/a.srt"), tmp_path / "a.srt", client, MediaKind.SUBTITLES)
    assert list(tmp_path.iterdir()) == []


def test_binary_data_is_not_a_font(server, client, tmp_path) -> None:
    server.add("/a.ttf", IMAGE, content_type="font/ttf")
    with pytest.raises(FetchError, match=r"font download failed: .* is not a font: got unrec"):
        fetch(server.url("/a.ttf"), tmp_path / "a.ttf", client, MediaKind.FONT)
    assert list(tmp_path.iterdir()) == []


def test_a_video_over_its_cap_is_refused_naming_max_video_bytes(
    server, client, tmp_path, media
) -> None:
    server.add("/clip.mp4", media["clip.mp4"], content_type="video/mp4")
    with pytest.raises(FetchError, match=r"^video download failed: .* limit \(MAX_VIDEO_BYTES\)$"):
        fetch(
            server.url("/clip.mp4"),
            tmp_path / "a.mp4",
            client,
            MediaKind.VIDEO,
            max_video_bytes=1000,
        )
    assert list(tmp_path.iterdir()) == []


def test_a_video_over_its_cap_without_length_is_cut_off(server, client, tmp_path, media) -> None:
    server.add("/clip.mp4", media["clip.mp4"], content_type="video/mp4", content_length=False)
    with pytest.raises(FetchError, match=r"is larger than the .* limit \(MAX_VIDEO_BYTES\)$"):
        fetch(
            server.url("/clip.mp4"),
            tmp_path / "a.mp4",
            client,
            MediaKind.VIDEO,
            max_video_bytes=1000,
        )
    assert list(tmp_path.iterdir()) == []


def test_a_video_is_not_held_to_the_image_cap(server, client, tmp_path, media) -> None:
    server.add("/clip.mp4", media["clip.mp4"], content_type="video/mp4")
    fetch(server.url("/clip.mp4"), tmp_path / "a.mp4", client, MediaKind.VIDEO, max_image_bytes=1)
    assert (tmp_path / "a.mp4").read_bytes() == media["clip.mp4"]


def test_the_default_video_cap_is_2_gib(server, client, tmp_path) -> None:
    # Declared, never sent: the length alone is refused.
    three_gib = {"Content-Length": str(3 * 1024**3)}
    server.add("/big.mp4", b"", "video/mp4", headers=three_gib, content_length=False)
    with pytest.raises(
        FetchError, match=r"is 3072 MB, over the 2048 MB limit \(MAX_VIDEO_BYTES\)$"
    ):
        fetch(server.url("/big.mp4"), tmp_path / "a.mp4", client, MediaKind.VIDEO)
    assert list(tmp_path.iterdir()) == []


def test_requests_ask_for_their_kind(server, client, tmp_path, media) -> None:
    server.add("/clip.mp4", media["clip.mp4"], content_type="video/mp4")
    fetch(server.url("/clip.mp4"), tmp_path / "a.mp4", client, MediaKind.VIDEO)
    assert server.requests[0].headers["Accept"].startswith("video/*")


def test_a_finished_download_logs_its_kind_and_type(
    server, client, tmp_path, media, caplog
) -> None:
    server.add("/a.m4a", media["a.m4a"], content_type="audio/mp4")
    with caplog.at_level(logging.INFO, logger="framecast.worker"):
        fetch(server.url("/a.m4a"), tmp_path / "a.m4a", client, MediaKind.AUDIO)
    assert "kind=audio type=m4a" in caplog.text


def test_subtitles_not_in_utf8_are_refused_saying_so(server, client, tmp_path) -> None:
    latin1 = "1\r\n00:00:00,000 --> 00:00:01,500\r\nÉté\r\n".encode("cp1252")
    server.add("/a.srt", latin1, content_type="application/x-subrip")
    with pytest.raises(FetchError, match="is not a subtitle file: got text that is not UTF-8"):
        fetch(server.url("/a.srt"), tmp_path / "a.srt", client, MediaKind.SUBTITLES)
    assert list(tmp_path.iterdir()) == []
