"""A result's files over HTTP: a worker PUTs them before its clip, the job's answers list their
URLs, /output/ serves them with their own Content-Type."""

from __future__ import annotations

from pathlib import Path

import httpx

from framecast.contracts.plan import WorkItem
from framecast.contracts.upload_urls import FILE_NAME_RULE, job_url
from framecast.worker.upload import ApiUploader
from tests.api.test_uploads_and_files import put, upload_token
from tests.support.http_server import MediaServer
from tests.support.media import solid_jpeg
from tests.support.service import ServiceProcess

SRT = "1\n00:00:00,000 --> 00:00:00,250\nolé\n".encode()
WORDS = '[{"word": "olé", "start": 0.0, "end": 0.25}]'.encode()


def held_job(service: ServiceProcess, media_server: MediaServer) -> str:
    """A job of one item "a" whose image is held back: it stays running, its item pending."""
    media_server.add_held("/held.jpg", solid_jpeg(64, 36, (0, 0, 0)))
    images = [{"id": "a", "image_url": media_server.url("/held.jpg"), "duracao": 0.25}]
    with service.client() as client:
        response = client.post(
            "/video/img2vid",
            json={"images": images, "width": 64, "height": 36},
            headers={"Prefer": "respond-async"},
        )
    assert response.status_code == 202, response.text
    return str(response.json()["job_id"])


def sidecars(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "a.srt").write_bytes(SRT)
    (tmp_path / "w.json").write_bytes(WORDS)
    return {"captions.srt": tmp_path / "a.srt", "words.json": tmp_path / "w.json"}


def test_files_put_before_the_clip_are_listed_and_served_and_none_come_after_it(
    service: ServiceProcess, media_server: MediaServer, tmp_path: Path
) -> None:
    job_id = held_job(service, media_server)
    token = upload_token(service, job_id)
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42 pretend video")
    with httpx.Client() as http:
        uploader = ApiUploader(job_url(service.base_url, job_id), token, http)
        uploaded = uploader.upload(WorkItem(index=0, id="a"), clip, None, sidecars(tmp_path))
    base = f"/output/{job_id}/0000-a"
    assert uploaded["files"] == {
        "captions.srt": f"{base}.captions.srt",
        "words.json": f"{base}.words.json",
    }
    with service.client() as client:
        job = client.get(f"/jobs/{job_id}").json()
        assert job["videos"][0]["files"] == uploaded["files"]
        srt = client.get(uploaded["files"]["captions.srt"])
        words = client.get(uploaded["files"]["words.json"])
    assert (srt.content, srt.headers["content-type"]) == (SRT, "text/plain; charset=utf-8")
    assert (words.content, words.headers["content-type"]) == (WORDS, "application/json")

    late = put(
        service,
        f"/upload/{job_id}/0/files/captions.vtt",
        b"WEBVTT\n",
        Authorization=f"Bearer {token}",
    )
    assert late.status_code == 409
    assert "uploaded before its clip" in late.json()["message"]


def test_a_file_needs_the_jobs_token_and_a_name_within_the_rule(
    service: ServiceProcess, media_server: MediaServer
) -> None:
    job_id = held_job(service, media_server)
    auth = {"Authorization": f"Bearer {upload_token(service, job_id)}"}
    assert put(service, f"/upload/{job_id}/0/files/captions.srt", SRT).status_code == 401
    for name in ("Captions.srt", "captions.mp4", "-x.srt", f"{'a' * 42}.srt", "a.srt.exe"):
        refused = put(service, f"/upload/{job_id}/0/files/{name}", SRT, **auth)
        assert refused.status_code == 400, name
        assert refused.json()["message"].startswith(f"name: {name!r} is not a file name")
        assert FILE_NAME_RULE in refused.json()["message"]
    stored = put(service, f"/upload/{job_id}/0/files/{'a' * 41}.vtt", b"WEBVTT\n", **auth)
    assert stored.status_code == 200, stored.text
    assert stored.json()["bytes"] == 7
    assert put(service, f"/upload/{job_id}/3/files/captions.srt", SRT, **auth).status_code == 404
