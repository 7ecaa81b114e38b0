"""Uploads (scoped token, atomic, idempotent; the base64 original) and serving /output/."""

from __future__ import annotations

import base64
import hashlib
import os
import time

import httpx
import pytest

from tests.support.http_server import MediaServer
from tests.support.media import solid_jpeg
from tests.support.service import ServiceProcess


def slow_job(service: ServiceProcess, media_server: MediaServer) -> str:
    """A job whose single image takes a while to download, so it is still running."""
    media_server.add_slow("/slow.jpg", solid_jpeg(64, 36, (0, 0, 0)), delay=3.0)
    images = [{"id": "a", "image_url": media_server.url("/slow.jpg"), "duracao": 0.25}]
    with service.client() as client:
        response = client.post(
            "/video/img2vid",
            json={"images": images, "width": 64, "height": 36},
            headers={"Prefer": "respond-async"},
        )
    assert response.status_code == 202
    return str(response.json()["job_id"])


def upload_token(service: ServiceProcess, job_id: str) -> str:
    """The token the API would give a worker for ``job_id`` (same secret, same code)."""
    from framecast.jobs.upload_token import UploadTokens

    secret = (service.data_dir / "upload_token_secret").read_bytes()
    return UploadTokens(secret).issue(job_id, time.time() + 60)


def put(service: ServiceProcess, path: str, body: bytes, **headers: str) -> httpx.Response:
    return httpx.put(f"{service.base_url}{path}", content=body, headers=headers)


def test_put_needs_a_token_for_that_very_job(
    service: ServiceProcess, media_server: MediaServer
) -> None:
    job_a, job_b = slow_job(service, media_server), slow_job(service, media_server)
    assert put(service, f"/upload/{job_a}/0", b"x").status_code == 401
    wrong = put(
        service, f"/upload/{job_a}/0", b"x", Authorization=f"Bearer {upload_token(service, job_b)}"
    )
    assert wrong.status_code == 401
    assert "another job" in wrong.json()["message"]
    # the client's API key is not an upload credential either
    with_key = put(service, f"/upload/{job_a}/0", b"x", **{"X-API-Key": "test-key-0123456789"})
    assert with_key.status_code == 401


def test_put_is_atomic_checked_and_idempotent(
    service: ServiceProcess, media_server: MediaServer
) -> None:
    job_id = slow_job(service, media_server)
    auth = f"Bearer {upload_token(service, job_id)}"
    bad = put(
        service,
        f"/upload/{job_id}/0",
        b"first",
        Authorization=auth,
        **{"X-Content-SHA256": "0" * 64},
    )
    assert bad.status_code == 400
    assert "X-Content-SHA256" in bad.json()["message"]
    job_dir = service.data_dir / "output" / job_id
    assert not job_dir.exists() or list(job_dir.iterdir()) == []  # nothing partial left

    for body in (b"first", b"second, a retry"):
        ok = put(
            service,
            f"/upload/{job_id}/0",
            body,
            Authorization=auth,
            **{"X-Content-SHA256": hashlib.sha256(body).hexdigest()},
        )
        assert ok.status_code == 200, ok.text
    assert ok.json()["bytes"] == len(b"second, a retry")
    assert httpx.get(f"{service.base_url}{ok.json()['video_url']}").content == b"second, a retry"
    with service.client() as client:
        job = client.get(f"/jobs/{job_id}").json()
    assert job["progress"]["done"] == 1  # live progress from the upload, before the job ends


def test_put_to_an_unknown_item_is_404(service: ServiceProcess, media_server: MediaServer) -> None:
    job_id = slow_job(service, media_server)
    auth = f"Bearer {upload_token(service, job_id)}"
    assert put(service, f"/upload/{job_id}/7", b"x", Authorization=auth).status_code == 404


def test_base64_upload_keeps_the_original_contract(service: ServiceProcess) -> None:
    data = b"\x00\x00\x00\x18ftypmp42 pretend video"
    with service.client() as client:
        response = client.post(
            "/upload/video", json={"id": "../x", "video_base64": base64.b64encode(data).decode()}
        )
        assert response.status_code == 200, response.text
        assert response.json()["id"] == "../x"
        assert response.json()["sha256"] == hashlib.sha256(data).hexdigest()
        assert client.get(response.json()["video_url"]).content == data
        assert (
            client.post(
                "/upload/video", json={"id": "x", "video_base64": "not base64!!"}
            ).status_code
            == 400
        )
    assert httpx.post(f"{service.base_url}/upload/video", json={}).status_code == 401


def test_a_base64_upload_of_several_decode_slices_is_stored_byte_exact(
    service: ServiceProcess,
) -> None:
    data = os.urandom(7 * 1024 * 1024 + 5)  # ~9.3 M characters: 3 slices, padding at the end
    body = {"id": "several-slices", "video_base64": base64.b64encode(data).decode()}
    with service.client() as client:
        response = client.post("/upload/video", json=body)
        assert response.status_code == 200, response.text
        assert response.json()["bytes"] == len(data)
        assert response.json()["sha256"] == hashlib.sha256(data).hexdigest()
        assert client.get(response.json()["video_url"]).content == data


@pytest.mark.parametrize("text", ["QUJ", "QQ==QUJD", "QUJD\nQUJD", "QUJD====", "QU-D"])
def test_bad_base64_is_refused_whole_and_records_nothing(service: ServiceProcess, text) -> None:
    with service.client() as client:
        before = client.get("/jobs").json()["jobs"]
        response = client.post("/upload/video", json={"id": "bad", "video_base64": text})
        assert response.status_code == 400
        assert response.json()["message"].startswith("video_base64: not valid base64")
        assert client.get("/jobs").json()["jobs"] == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"id": "x" * 300, "video_base64": "QUJD"}, "id: String should have at most 256"),
        ({"id": "x"}, "video_base64: Field required"),
        ({"id": "x", "video_base64": "QUJD", "extra": 1}, "extra: Extra inputs"),
        ("not json", "body: not valid JSON"),
    ],
)
def test_base64_upload_errors_name_the_field(service: ServiceProcess, body, message) -> None:
    with service.client() as client:
        if isinstance(body, str):
            response = client.post(
                "/upload/video", content=body, headers={"Content-Type": "application/json"}
            )
        else:
            response = client.post("/upload/video", json=body)
    assert response.status_code == 400
    assert response.json()["message"].startswith(message), response.json()["message"]
    assert "pydantic" not in response.json()["message"]


def test_base64_upload_over_the_limit_is_413(start_service) -> None:
    service = start_service(BASE64_UPLOAD_MAX_BYTES="2048")
    body = {"id": "big", "video_base64": base64.b64encode(b"x" * 10_000).decode()}
    with service.client() as client:
        response = client.post("/upload/video", json=body)
    assert response.status_code == 413
    assert "limit" in response.json()["message"]


def test_output_supports_range_requests(service: ServiceProcess) -> None:
    data = bytes(range(256)) * 40
    with service.client() as client:
        url = client.post(
            "/upload/video", json={"id": "r", "video_base64": base64.b64encode(data).decode()}
        ).json()["video_url"]
        part = client.get(url, headers={"Range": "bytes=100-199"})
        tail = client.get(url, headers={"Range": "bytes=-1"})
        beyond = client.get(url, headers={"Range": f"bytes={len(data)}-"})
        # A Range that can't be parsed is ignored, as RFC 9110 asks: the whole clip
        ignored = [
            client.get(url, headers={"Range": r})
            for r in ("bytes=5-2", "bytes=abc", "bytes=-", "items=0-5")
        ]
    assert part.status_code == 206
    assert part.content == data[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
    assert (tail.status_code, tail.content) == (206, data[-1:])
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(data)}"
    assert all((r.status_code, r.content) == (200, data) for r in ignored)


def test_output_answers_head_like_get_without_the_body(service: ServiceProcess) -> None:
    data = b"\x00\x00\x00\x18ftypmp42" * 100
    with service.client() as client:
        url = client.post(
            "/upload/video", json={"id": "h", "video_base64": base64.b64encode(data).decode()}
        ).json()["video_url"]
        head = client.head(url)
        assert head.status_code == 200
        assert head.headers["content-length"] == str(len(data))
        assert head.headers["content-type"] == "video/mp4"
        assert head.headers["accept-ranges"] == "bytes"
        assert head.content == b""


def test_a_nul_in_an_output_name_is_404_not_a_crash(service: ServiceProcess) -> None:
    with service.client() as client:
        url = client.post(
            "/upload/video", json={"id": "n", "video_base64": base64.b64encode(b"mp4").decode()}
        ).json()["video_url"]
        folder = url.rsplit("/", 1)[0]
        for name in ("%00", "a%00b.mp4", url.rsplit("/", 1)[1] + "%00"):
            response = client.get(f"{folder}/{name}")
            assert response.status_code == 404, name
            assert response.json()["error"] == "not_found"


def test_clips_expire_after_the_ttl_with_410(start_service, media_server: MediaServer) -> None:
    service = start_service(OUTPUT_TTL_SECONDS="3")
    media_server.add("/a.jpg", solid_jpeg(64, 36, (10, 10, 10)))
    images = [{"id": "a", "image_url": media_server.url("/a.jpg"), "duracao": 0.25}]
    with service.client() as client:
        result = client.post(
            "/video/img2vid", json={"images": images, "width": 64, "height": 36}
        ).json()
        url = result["videos"][0]["video_url"]
        assert client.get(url).status_code == 200
        deadline = time.monotonic() + 10
        while (gone := client.get(url)).status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert gone.status_code == 410
        assert gone.json()["error"] == "gone"
        deadline = time.monotonic() + 5
        while list((service.data_dir / "output").rglob("*.mp4")) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert list((service.data_dir / "output").rglob("*.mp4")) == []
        assert client.get(f"/jobs/{result['job_id']}").json()["expired"] is True


def test_unknown_output_path_is_404(service: ServiceProcess) -> None:
    assert httpx.get(f"{service.base_url}/output/nojob/0000-a.mp4").status_code == 404
