"""Sending finished clips to storage: the job's upload block, or the VPS fallback."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
import time
from pathlib import Path
from typing import Any, Protocol

import httpx

from framecast.config import Settings
from framecast.contracts.audio import AudioJob
from framecast.contracts.concatenate import ConcatenateJob
from framecast.contracts.img2vid import Img2VidJob
from framecast.contracts.plan import WorkItem
from framecast.contracts.upload_urls import RESULT_HEADER, clip_url, complete_url
from framecast.errors import InputError, UploadError

log = logging.getLogger("framecast.worker")

ATTEMPTS = 4
BACKOFF_SECONDS = 0.5
STATUS_CHECK_SECONDS = 1.0
STATUS_TIMEOUT = 2.0  # seconds; an API slower than this is a blip: work goes on


class Uploader(Protocol):
    def upload(
        self, item: WorkItem, clip: Path, result: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Store ``clip`` and return ``{"id", "video_url", "bytes", "sha256"}`` plus ``result``
        (the operation's own fields, recorded with the item by the API)."""
        ...

    def still_wanted(self, wait: bool = True) -> bool:
        """False once the job was cancelled or has ended: the rest is not worth rendering.

        With ``wait=False`` a caller never waits for an answer another thread is getting:
        it takes the last one (a render asks each second of video and must not stall).
        """
        ...


class ApiUploader:
    """``PUT {url}/{index}`` with the job's upload token; the body is streamed from disk."""

    def __init__(self, url: str, token: str, client: httpx.Client) -> None:
        self._url = url.rstrip("/")
        self._token = token
        self._client = client
        self._answered = threading.Condition()
        self._checked_at = -STATUS_CHECK_SECONDS
        self._asking = False
        self._wanted = True

    def still_wanted(self, wait: bool = True) -> bool:
        # Asked before each download and clip and each second of video rendered: at most once
        # a second, one caller at a time with a short timeout (the others wait for that answer,
        # or take the last one), and a network blip or an odd answer never stops work.
        with self._answered:
            if wait:
                self._answered.wait_for(lambda: not self._asking, timeout=STATUS_TIMEOUT + 1)
            due = time.monotonic() - self._checked_at >= STATUS_CHECK_SECONDS
            if not self._wanted or self._asking or not due:
                return self._wanted
            self._asking, self._checked_at = True, time.monotonic()
        wanted = True
        try:
            response = self._client.get(
                self._url,
                headers={"Authorization": f"Bearer {self._token}"},
                timeout=STATUS_TIMEOUT,
            )
            if response.status_code == 401:  # the token expired with the job's deadline
                wanted = False
            elif response.is_success:
                wanted = response.json().get("status") in ("queued", "running")
        except (httpx.HTTPError, ValueError, AttributeError):
            pass  # no answer (or not JSON, or not an object): a blip
        with self._answered:
            self._asking = False
            self._wanted = self._wanted and wanted
            self._answered.notify_all()
            return self._wanted

    def upload(
        self, item: WorkItem, clip: Path, result: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        sha256 = _sha256(clip)
        auth = {"Authorization": f"Bearer {self._token}"}
        if item.put_url:
            put_url = item.put_url
            _with_retries(lambda: _put_file(self._client, put_url, clip, {}), item, "storage")
            notice = {"bytes": clip.stat().st_size, "sha256": sha256, "result": result}
            stored = _with_retries(
                lambda: self._client.post(
                    complete_url(self._url, item.index), json=notice, headers=auth
                ),
                item,
            )
        else:
            headers = {**auth, "X-Content-SHA256": sha256}
            if result is not None:
                headers[RESULT_HEADER] = json.dumps(result, separators=(",", ":"))
            stored = _with_retries(
                lambda: _put_file(self._client, clip_url(self._url, item.index), clip, headers),
                item,
            )
        fields = {k: stored[k] for k in ("video_url", "bytes", "sha256")}
        return {"id": item.id, **fields, **(result or {})}


class VpsUploader:
    """The original contract: ``POST VPS_UPLOAD_URL`` with ``X-API-Key`` and base64 JSON."""

    def __init__(self, url: str, api_key: str, client: httpx.Client) -> None:
        self._url = url
        self._api_key = api_key
        self._client = client

    def still_wanted(self, wait: bool = True) -> bool:
        return True  # the original contract has no notion of a job to ask about

    def upload(
        self, item: WorkItem, clip: Path, result: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        data = clip.read_bytes()
        body = {"id": item.id, "video_base64": base64.b64encode(data).decode()}
        result = _with_retries(
            lambda: self._client.post(self._url, json=body, headers={"X-API-Key": self._api_key}),
            item,
        )
        return {
            "id": item.id,
            "video_url": result["video_url"],
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            **(result or {}),
        }


def uploader_for(
    job: Img2VidJob | ConcatenateJob | AudioJob, settings: Settings, client: httpx.Client
) -> Uploader:
    """The job's own upload target, else the worker's VPS_* fallback, else a clear error."""
    if job.upload is not None:
        return ApiUploader(job.upload.url, job.upload.token, client)
    if settings.vps_upload_url and settings.vps_api_key:
        return VpsUploader(settings.vps_upload_url, settings.vps_api_key, client)
    raise InputError(
        "upload: the job has no upload block and the worker has no VPS_UPLOAD_URL / VPS_API_KEY;"
        " there is nowhere to send the clips"
    )


def _put_file(
    client: httpx.Client, url: str, clip: Path, headers: dict[str, str]
) -> httpx.Response:
    with clip.open("rb") as body:
        return client.put(url, content=body, headers={**headers, "Content-Type": "video/mp4"})


def _with_retries(send: Any, item: WorkItem, target: str = "the API") -> dict[str, Any]:
    """Retry network errors and 5xx/429 with backoff; other statuses fail at once."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            response = send()
        except httpx.HTTPError as exc:
            problem = f"{type(exc).__name__}: {exc}"
        else:
            if response.is_success:
                return dict(response.json()) if response.content else {}
            problem = f"HTTP {response.status_code}: {_message(response)}"
            if response.status_code < 500 and response.status_code != 429:
                break
        if attempt < ATTEMPTS:
            log.warning("upload retry item=%s attempt=%d problem=%s", item.index, attempt, problem)
            time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
    raise UploadError(f"clip upload to {target} failed: {problem}")


def _message(response: httpx.Response) -> str:
    try:
        return str(response.json().get("message", response.text[:200]))
    except ValueError:
        return response.text[:200]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
