"""RunPod workers with STORAGE=s3: chunks carry presigned PUTs, clips land in the bucket."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from framecast.render.probe import probe
from tests.backends.runpod_emulator import RunPodEmulator
from tests.backends.test_runpod_e2e import SMALL, images
from tests.support.s3_server import S3Server


@pytest.fixture
def s3() -> Iterator[S3Server]:
    server = S3Server()
    yield server
    server.stop()


def test_runpod_workers_upload_straight_to_the_bucket(
    start_runpod_service,
    start_workers,
    cloud: RunPodEmulator,
    media_server,
    s3: S3Server,
    tmp_path: Path,
) -> None:
    start_workers(2)  # the workers hold no S3 credentials: only the presigned URLs
    service = start_runpod_service(RUNPOD_CHUNK_SIZE="2", **s3.env())
    with service.client() as client:
        result = client.post("/video/img2vid", json={"images": images(media_server, 5), **SMALL})
    assert result.status_code == 200, result.text
    job_id = result.json()["job_id"]
    assert len(cloud.runs) == 3
    assert s3.keys() == [f"{job_id}/{i:04d}-img-{i}.mp4" for i in range(5)]
    for i, video in enumerate(result.json()["videos"]):
        assert video["id"] == f"img-{i}"
        clip = tmp_path / f"{i}.mp4"
        clip.write_bytes(httpx.get(video["video_url"]).content)
        assert (probe(clip).width, probe(clip).frames) == (64, 12)
    # every chunk carried presigned PUTs to the bucket, not a route on the API
    for run in cloud.runs:
        assert all(
            item["put_url"].startswith(f"{s3.endpoint}/{s3.bucket}/") for item in run.input["items"]
        )


def test_runpod_concatenate_puts_the_joined_video_in_the_bucket_with_its_cuts(
    start_runpod_service,
    start_workers,
    cloud: RunPodEmulator,
    media_server,
    s3: S3Server,
    tmp_path: Path,
) -> None:
    start_workers(1)
    service = start_runpod_service(**s3.env())
    with service.client() as client:
        clips = client.post("/video/img2vid", json={"images": images(media_server, 2), **SMALL})
        assert clips.status_code == 200, clips.text
        urls = [video["video_url"] for video in clips.json()["videos"]]
        joined = client.post(
            "/video/concatenate", json={"id": "both", "videos": [{"video_url": u} for u in urls]}
        )
    assert joined.status_code == 200, joined.text
    result = joined.json()
    assert (result["mode"], result["cuts"]) == ("copy", [0.0, 0.5])
    assert cloud.runs[-1].input["operation"] == "concatenate"
    stored = s3.keys()
    assert f"{result['job_id']}/0000-both.mp4" in stored
    out = tmp_path / "both.mp4"
    out.write_bytes(httpx.get(result["videos"][0]["video_url"]).content)
    assert (probe(out).width, probe(out).frames) == (64, 24)
