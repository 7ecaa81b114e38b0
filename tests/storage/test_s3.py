"""STORAGE=s3 end to end against a real S3 API on 127.0.0.1: workers PUT straight to the bucket."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
import pytest

from framecast.render.probe import probe
from tests.api.test_jobs import poll_until_final
from tests.support.http_server import MediaServer
from tests.support.media import solid_jpeg
from tests.support.s3_server import S3Server

SMALL = {"width": 64, "height": 36}


@pytest.fixture
def s3() -> Iterator[S3Server]:
    server = S3Server()
    yield server
    server.stop()


def batch(media_server: MediaServer, count: int = 2, slow: float = 0.0) -> list[dict[str, object]]:
    for i in range(count):
        body = solid_jpeg(64, 36, (40 * i, 80, 120))
        (media_server.add_slow if slow else media_server.add)(
            f"/s{i}.jpg", body, *([slow] if slow else [])
        )
    return [
        {"id": f"shot {i}", "image_url": media_server.url(f"/s{i}.jpg"), "duracao": 0.5}
        for i in range(count)
    ]


def fetch_clip(url: str, dest: Path) -> Path:
    response = httpx.get(url)
    assert response.status_code == 200, response.text
    dest.write_bytes(response.content)
    return dest


def test_clips_go_straight_to_the_bucket_and_come_back_through_presigned_urls(
    start_service,
    s3: S3Server,
    media_server: MediaServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    service = start_service(**s3.env())
    with service.client() as client:
        result = client.post("/video/img2vid", json={"images": batch(media_server), **SMALL}).json()
    assert result["code"] == 200, result
    job_id = result["job_id"]
    assert s3.keys() == [f"{job_id}/0000-shot-0.mp4", f"{job_id}/0001-shot-1.mp4"]
    for i, video in enumerate(result["videos"]):
        assert video["video_url"].startswith(f"{s3.endpoint}/{s3.bucket}/{job_id}/")
        assert "X-Amz-Signature=" in video["video_url"]
        info = probe(fetch_clip(video["video_url"], tmp_path / f"{i}.mp4"))
        assert (info.width, info.height, info.frames) == (64, 36, 12)
    # The worker PUT each clip to its presigned URL (the bucket server runs in this process);
    # the API was only told (its items are done) and holds nothing on its disk.
    puts = [r.getMessage() for r in caplog.records if '"PUT /' in r.getMessage()]
    stored = s3.keys()
    for key in stored:
        assert any(f"/{key}?X-Amz-Algorithm=" in put for put in puts), key
    assert list(service.data_dir.rglob("*.mp4")) == []


def test_public_base_url_keys_with_spaces_and_accents(
    start_service, s3: S3Server, media_server: MediaServer, tmp_path: Path
) -> None:
    public = f"{s3.endpoint}/{s3.bucket}/"
    s3.make_public()
    service = start_service(**s3.env(S3_PREFIX="/my clips//épisode 1", S3_PUBLIC_BASE_URL=public))
    images = batch(media_server, 1)
    images[0]["id"] = "Café olé"
    with service.client() as client:
        result = client.post("/video/img2vid", json={"images": images, **SMALL}).json()
    job_id = result["job_id"]
    key = f"my clips/épisode 1/{job_id}/0000-Cafe-ole.mp4"
    assert s3.keys() == [key]
    url = result["videos"][0]["video_url"]
    assert (
        url == f"{s3.endpoint}/{s3.bucket}/my%20clips/%C3%A9pisode%201/{job_id}/0000-Cafe-ole.mp4"
    )
    assert "//" not in urlsplit(url).path and unquote(urlsplit(url).path).endswith(key)
    assert probe(fetch_clip(url, tmp_path / "c.mp4")).frames == 12


@pytest.mark.parametrize("path", ["../escape", "a/./b", "tab\there"])
def test_a_path_that_could_escape_is_refused(
    start_service, s3: S3Server, media_server: MediaServer, path: str
) -> None:
    service = start_service(**s3.env())
    with service.client() as client:
        response = client.post(
            "/video/img2vid", json={"images": batch(media_server, 1), **SMALL, "path": path}
        )
    assert response.status_code == 400
    assert response.json()["message"].startswith("path:")
    assert s3.keys() == []


def test_an_expired_presigned_url_is_refused(
    start_service, s3: S3Server, media_server: MediaServer
) -> None:
    # Presigned GETs live until the job's deadline + TTL: a few seconds here. The object is
    # kept (lifecycle mode), so a refusal can only come from the URL's expiry.
    service = start_service(
        **s3.env(S3_DELETE_EXPIRED="false"), OUTPUT_TTL_SECONDS="1", JOB_TIMEOUT_SECONDS="10"
    )
    with service.client() as client:
        result = client.post(
            "/video/img2vid", json={"images": batch(media_server, 1), **SMALL}
        ).json()
    url = result["videos"][0]["video_url"]
    assert httpx.get(url).status_code == 200
    deadline = time.monotonic() + 40
    while httpx.get(url).status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.25)
    refused = httpx.get(url)
    assert refused.status_code == 403
    assert b"Request has expired" in refused.content
    assert len(s3.keys()) == 1


def test_expired_clips_are_deleted_from_the_bucket(
    start_service, s3: S3Server, media_server: MediaServer
) -> None:
    service = start_service(**s3.env(), OUTPUT_TTL_SECONDS="1")
    with service.client() as client:
        job_id = client.post(
            "/video/img2vid", json={"images": batch(media_server, 1), **SMALL}
        ).json()["job_id"]
        deadline = time.monotonic() + 15
        while not client.get(f"/jobs/{job_id}").json()["expired"]:
            assert time.monotonic() < deadline
            time.sleep(0.25)
    assert s3.keys() == []


def test_lifecycle_rules_can_own_deletion(
    start_service, s3: S3Server, media_server: MediaServer
) -> None:
    service = start_service(**s3.env(S3_DELETE_EXPIRED="false"), OUTPUT_TTL_SECONDS="1")
    with service.client() as client:
        job_id = client.post(
            "/video/img2vid", json={"images": batch(media_server, 1), **SMALL}
        ).json()["job_id"]
        deadline = time.monotonic() + 10
        while not client.get(f"/jobs/{job_id}").json()["expired"]:
            assert time.monotonic() < deadline
            time.sleep(0.25)
    assert len(s3.keys()) == 1


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"S3_BUCKET": "no-such-bucket"}, "S3_BUCKET"),
        ({"S3_ENDPOINT_URL": "http://127.0.0.1:9"}, "S3_ENDPOINT_URL"),
        ({"S3_BUCKET": ""}, "S3_BUCKET"),
        ({"S3_ACCESS_KEY": "AKIA-NOT-OURS"}, "S3_ACCESS_KEY"),
    ],
)
def test_a_bad_bucket_setting_stops_the_service_at_start(
    start_service, s3: S3Server, env: dict[str, str], named: str
) -> None:
    with pytest.raises(RuntimeError, match=named):
        start_service(**{**s3.env(), **env})


def test_an_s3_outage_during_a_job_gives_item_errors_not_a_stuck_job(
    start_service, s3: S3Server, media_server: MediaServer
) -> None:
    service = start_service(**s3.env())
    with service.client() as client:
        job_id = client.post(
            "/video/img2vid",
            json={"images": batch(media_server, 2, slow=1.5), **SMALL},
            headers={"Prefer": "respond-async"},
        ).json()["job_id"]
        s3.stop()
        job = poll_until_final(service, job_id, timeout=60)
    assert job["status"] == "failed"
    assert all("clip upload to storage failed" in f["error"] for f in job["failed"])


def test_the_original_base64_upload_lands_in_the_bucket(start_service, s3: S3Server) -> None:
    import base64

    service = start_service(**s3.env())
    with service.client() as client:
        stored = client.post(
            "/upload/video",
            json={"id": "legacy", "video_base64": base64.b64encode(b"mp4").decode()},
        ).json()
    assert httpx.get(stored["video_url"]).content == b"mp4"
    assert s3.keys() == [f"{stored['video_url'].split('/')[4]}/0000-legacy.mp4"]
