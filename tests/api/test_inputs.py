"""POST /inputs end to end: files uploaded to a real service, then named by URL in real jobs."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import httpx
import numpy as np
import pytest

from framecast.api.credentials import load_or_create_secret
from framecast.api.routes.inputs import SECRET_NAME
from framecast.jobs.inputs.links import InputLinks
from framecast.jobs.inputs.store import InputStore
from framecast.render.probe import probe, probe_media
from tests.support.clips import lavfi_audio, lavfi_clip
from tests.support.media import gradient_rgb, png_bytes
from tests.support.s3_server import S3Server
from tests.support.service import ServiceProcess
from tests.support.tenants import KEYS, key_of, keys_file

SMALL = {"width": 64, "height": 36}
StartService = Callable[..., ServiceProcess]


@pytest.fixture
def s3() -> Iterator[S3Server]:
    server = S3Server()
    yield server
    server.stop()


def upload(service: ServiceProcess, body: bytes, **params: str) -> dict:
    with service.client() as client:
        response = client.post("/inputs", content=body, params=params)
    assert response.status_code == 201, response.text
    return dict(response.json())


def links_query(service: ServiceProcess, input_id: str) -> str:
    """The query of a URL signed as the service signs one for a worker, for 60 s."""
    links = InputLinks(load_or_create_secret(service.data_dir, SECRET_NAME))
    return links.signed_url("http://x", input_id, time.time() + 60).partition("?")[2]


def img2vid(service: ServiceProcess, image_url: str, headers: dict[str, str] | None = None):
    images = [{"id": "shot", "image_url": image_url, "duracao": 0.5}]
    with service.client() as client:
        return client.post("/video/img2vid", json={"images": images, **SMALL}, headers=headers)


def test_a_png_uploaded_raw_becomes_a_clip_fetched_from_the_apis_own_address(
    start_service: StartService, tmp_path: Path
) -> None:
    # FETCH_ALLOW_PRIVATE=false: the worker still reaches this service's own (loopback) address.
    service = start_service(FETCH_ALLOW_PRIVATE="false")
    image = png_bytes(gradient_rgb(128, 72))
    stored = upload(service, image)
    assert stored["kind"] == "image" and stored["content_type"] == "image/png"
    assert (stored["bytes"], stored["sha256"]) == (len(image), hashlib.sha256(image).hexdigest())
    assert stored["input_url"] == f"{service.base_url}/inputs/{stored['input_id']}"
    response = img2vid(service, stored["input_url"])
    assert response.status_code == 200, response.text
    info = probe(service.download(response.json()["videos"][0]["video_url"], tmp_path / "c.mp4"))
    assert (info.width, info.height, info.frames) == (64, 36, 12)
    signed = f"fetch done url={stored['input_url']}?expires=***&sig=*** "
    assert signed in service.log()


def test_the_owner_downloads_an_input_and_a_bad_signature_is_401(
    service: ServiceProcess,
) -> None:
    image = png_bytes(gradient_rgb(32, 18))
    stored = upload(service, image)
    with service.client() as client:
        assert client.get(stored["input_url"]).content == image
        forged = client.get(stored["input_url"], params={"expires": "9999999999", "sig": "0" * 64})
        odd = client.get(stored["input_url"], params={"expires": "\u00b2", "sig": "0" * 64})
        downloaded = client.get(stored["input_url"])
    assert forged.status_code == 401, forged.text
    assert odd.status_code == 401, odd.text  # "²" is a digit to str.isdigit, not to int()
    # A download, never a page of this origin (an XML "subtitle" must not run as a document).
    assert downloaded.headers["x-content-type-options"] == "nosniff"
    assert downloaded.headers["content-security-policy"] == "sandbox"
    # A signed URL works without the key, and its signature never reaches the access log.
    signed = httpx.get(f"{stored['input_url']}?{links_query(service, stored['input_id'])}")
    assert signed.content == image
    assert "sig=***" in service.log() and not re.search(r"sig=[0-9a-f]{6}", service.log())


def test_a_wav_and_a_video_uploaded_as_form_files_make_a_narrated_video(
    service: ServiceProcess, tmp_path: Path
) -> None:
    wav = lavfi_audio(tmp_path / "n.wav", 1.0).read_bytes()
    mp4 = lavfi_clip(tmp_path / "v.mp4", 2.0).read_bytes()
    with service.client() as client:
        answers = [
            client.post("/inputs", files={"file": (name, data, "application/octet-stream")})
            for name, data in (("n.wav", wav), ("v.mp4", mp4))
        ]
    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    narration, video = (a.json() for a in answers)
    assert (narration["kind"], narration["content_type"]) == ("audio", "audio/wav")
    assert (video["kind"], narration["bytes"]) == ("video", len(wav))
    body = {
        "video_url": video["input_url"],
        "tracks": [{"role": "narration", "url": narration["input_url"], "start": 0.5}],
    }
    with service.client() as client:
        response = client.post("/video/audio", json=body)
    assert response.status_code == 200, response.text
    out = service.download(response.json()["videos"][0]["video_url"], tmp_path / "out.mp4")
    media = probe_media(out)
    assert media.audio is not None and probe(out).frames == 48  # 2 s at 24 fps, with sound


def test_another_tenants_input_is_not_found_at_submission(
    start_service: StartService, tmp_path: Path
) -> None:
    service = start_service(TENANTS_FILE=str(keys_file(tmp_path / "tenants.toml")))
    with service.client(KEYS["alpha"]) as client:
        response = client.post("/inputs", content=png_bytes(gradient_rgb(32, 18)))
    assert response.status_code == 201, response.text
    url = response.json()["input_url"]
    refused = img2vid(service, url, headers=key_of("beta"))
    assert refused.status_code == 404, refused.text
    assert refused.json()["message"].startswith("images[0].image_url: no input ")
    with service.client(KEYS["beta"]) as client:
        assert client.get(url).status_code == 404
    with service.client(KEYS["alpha"]) as client:
        assert client.get(url).status_code == 200


def test_an_expired_input_is_gone_and_refused_naming_the_field(service: ServiceProcess) -> None:
    stored = upload(service, png_bytes(gradient_rgb(32, 18)), ttl="1")
    time.sleep(1.1)
    with service.client() as client:
        assert client.get(stored["input_url"]).status_code == 410
    refused = img2vid(service, stored["input_url"])
    assert refused.status_code == 410, refused.text
    message = refused.json()["message"]
    assert message.startswith(f"images[0].image_url: input {stored['input_id']} expired at ")


def test_an_input_named_by_a_job_is_kept_until_the_jobs_deadline(
    service: ServiceProcess,
) -> None:
    stored = upload(service, png_bytes(gradient_rgb(32, 18)), ttl="60")
    images = [{"id": "shot", "image_url": stored["input_url"], "duracao": 0.5}]
    with service.client() as client:
        accepted = client.post(
            "/video/img2vid",
            json={"images": images, **SMALL},
            headers={"Prefer": "respond-async"},
        )
        assert accepted.status_code == 202, accepted.text
        job = client.get(f"/jobs/{accepted.json()['job_id']}").json()
    deadline = datetime.fromisoformat(job["deadline_at"]).timestamp()
    with InputStore(service.data_dir / "framecast.db") as store:
        kept = store.get(stored["input_id"])
    assert kept is not None and kept.expires_at >= deadline  # not the 60 s it was given


def test_a_file_over_its_kinds_cap_is_413_naming_the_setting(start_service: StartService) -> None:
    service = start_service(MAX_IMAGE_BYTES="2048")
    noise = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    with service.client() as client:
        response = client.post("/inputs", content=png_bytes(noise))
    assert response.status_code == 413, response.text
    assert "MAX_IMAGE_BYTES" in response.json()["message"]
    assert not [p for p in (service.data_dir / "output").rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    ("body", "params", "received"),
    [
        (np.random.default_rng(7).bytes(4096), {}, "got unrecognised binary data"),
        (b"hello, this is a note\n" * 10, {"kind": "image"}, "not an image: got plain text"),
        (b"<!DOCTYPE html><html></html>", {}, "got HTML"),
    ],
)
def test_a_file_of_no_kind_is_refused_naming_what_was_received(
    service: ServiceProcess, body: bytes, params: dict[str, str], received: str
) -> None:
    with service.client() as client:
        response = client.post("/inputs", content=body, params=params)
    assert response.status_code == 400, response.text
    assert received in response.json()["message"]


def test_with_s3_the_worker_fetches_the_input_through_a_presigned_url(
    start_service: StartService,
    s3: S3Server,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    service = start_service(**s3.env())
    stored = upload(service, png_bytes(gradient_rgb(128, 72)))
    key = f"inputs/default/{stored['input_id']}"
    assert s3.keys() == [key]
    with service.client() as client:
        # With the key: relayed (a redirect would carry X-API-Key to the bucket's host).
        relayed = client.get(stored["input_url"])
    assert relayed.status_code == 200, relayed.text
    assert relayed.content == png_bytes(gradient_rgb(128, 72))
    assert relayed.headers["content-disposition"] == "attachment"
    signed = f"{stored['input_url']}?{links_query(service, stored['input_id'])}"
    redirected = httpx.get(signed)  # a worker's signed URL: to the bucket directly
    assert redirected.status_code == 307
    assert redirected.headers["location"].startswith(f"{s3.endpoint}/{s3.bucket}/{key}?")
    response = img2vid(service, stored["input_url"])
    assert response.status_code == 200, response.text
    gets = [r.getMessage() for r in caplog.records if f'"GET /{s3.bucket}/{key}?' in r.getMessage()]
    assert any("X-Amz-Signature=" in get for get in gets), gets
    clip = httpx.get(response.json()["videos"][0]["video_url"])
    assert clip.status_code == 200
    (tmp_path / "c.mp4").write_bytes(clip.content)
    assert (probe(tmp_path / "c.mp4").width, probe(tmp_path / "c.mp4").height) == (64, 36)


def test_a_form_without_a_file_and_a_ttl_over_the_max_are_400(start_service: StartService) -> None:
    service = start_service(INPUT_TTL_SECONDS="600", INPUT_MAX_TTL_SECONDS="3600")
    with service.client() as client:
        no_file = client.post("/inputs", data={"note": "hi"}, files={"other": ("", b"", "")})
        too_long = client.post("/inputs", content=b"\x89PNG\r\n\x1a\n", params={"ttl": "7200"})
    assert no_file.status_code == 400 and "no file" in no_file.json()["message"], no_file.text
    assert too_long.status_code == 400, too_long.text
    assert too_long.json()["message"] == "ttl: at most 3600 seconds (INPUT_MAX_TTL_SECONDS)"


def test_a_compose_dry_run_measures_a_narration_uploaded_as_an_input(
    service: ServiceProcess, tmp_path: Path
) -> None:
    narration = upload(service, lavfi_audio(tmp_path / "n.wav", 1.5).read_bytes())
    image = upload(service, png_bytes(gradient_rgb(64, 36)))
    scene = {"image_url": image["input_url"], "narration_url": narration["input_url"]}
    body = {"scenes": [scene], "fps": 24, **SMALL, "dry_run": True}
    with service.client() as client:
        response = client.post("/video/compose", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["timeline"]["frames"] >= round(1.5 * 24)  # the narration's length


def test_an_input_larger_than_a_json_request_is_taken(
    service: ServiceProcess, tmp_path: Path
) -> None:
    # MAX_REQUEST_BYTES (8 MiB) caps JSON bodies; an input has its kind's cap instead.
    narration = lavfi_audio(tmp_path / "long.wav", 100.0, 330)  # 16-bit mono 48 kHz: 9.6 MB
    body = narration.read_bytes()
    assert len(body) > 8 * 1024 * 1024
    stored = upload(service, body)
    assert (stored["kind"], stored["bytes"]) == ("audio", len(body))


def test_a_retry_with_its_idempotency_key_is_the_first_job_even_once_its_input_is_gone(
    service: ServiceProcess,
) -> None:
    stored = upload(service, png_bytes(gradient_rgb(32, 18)))
    key = {"Idempotency-Key": "render-42"}
    first = img2vid(service, stored["input_url"], headers=key)
    assert first.status_code == 200, first.text
    with InputStore(service.data_dir / "framecast.db") as store:
        store.delete([stored["input_id"]])  # as the sweep does once it has expired
    again = img2vid(service, stored["input_url"], headers=key)
    assert again.status_code == 200, again.text
    assert again.json()["job_id"] == first.json()["job_id"]
    fresh = img2vid(service, stored["input_url"])  # without the key: a new job, refused
    assert fresh.status_code == 404 and "images[0].image_url" in fresh.json()["message"]
