"""Sending finished clips to storage: the job's upload block, or the VPS fallback."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import httpx

from framecast.config import Settings
from framecast.contracts.plan import WorkItem
from framecast.contracts.upload_target import ApiUpload
from framecast.contracts.upload_urls import (
    PROGRESS_HEADER,
    RESULT_HEADER,
    check_file_name,
    clip_url,
    complete_url,
    file_url,
)
from framecast.errors import InputError
from framecast.worker.upload_http import put_file, sha256_of, with_retries

log = logging.getLogger("framecast.worker")

STATUS_CHECK_SECONDS = 1.0
STATUS_TIMEOUT = 2.0  # seconds; an API slower than this is a blip: work goes on


class Uploader(Protocol):
    def upload(
        self,
        item: WorkItem,
        clip: Path,
        result: dict[str, Any] | None = None,
        files: dict[str, Path] | None = None,
    ) -> dict[str, Any]:
        """Store ``files`` (name → path: sidecars such as ``captions.srt``), then ``clip``;
        return ``{"id", "video_url", "bytes", "sha256"}`` plus ``result`` (the operation's own
        fields, recorded with the item by the API) and, with files, ``"files": {name: url}``."""
        ...

    def progress(self, done: int, total: int) -> None:
        """How far the work is (compose: scenes rendered of its total): told to the API with
        the next status check, shown by ``GET /jobs/{id}``."""
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
        self._progress: str | None = None

    def progress(self, done: int, total: int) -> None:
        self._progress = f"scenes={done}/{total}"

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
            headers = {"Authorization": f"Bearer {self._token}"}
            if self._progress is not None:
                headers[PROGRESS_HEADER] = self._progress
            response = self._client.get(self._url, headers=headers, timeout=STATUS_TIMEOUT)
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
        self,
        item: WorkItem,
        clip: Path,
        result: dict[str, Any] | None = None,
        files: dict[str, Path] | None = None,
    ) -> dict[str, Any]:
        files = {check_file_name(name): path for name, path in (files or {}).items()}
        auth = {"Authorization": f"Bearer {self._token}"}
        # Files first: the clip's upload makes the item done, and a done item takes no files.
        in_bucket = {
            name: notice
            for name, path in files.items()
            if (notice := self._upload_file(item, name, path, auth)) is not None
        }
        sha256 = sha256_of(clip)
        if item.put_url:
            put_url = item.put_url
            with_retries(lambda: put_file(self._client, put_url, clip, {}), item, "storage")
            notice = {"bytes": clip.stat().st_size, "sha256": sha256, "result": result}
            if in_bucket:
                notice["files"] = in_bucket
            stored = with_retries(
                lambda: self._client.post(
                    complete_url(self._url, item.index), json=notice, headers=auth
                ),
                item,
            )
        else:
            headers = {**auth, "X-Content-SHA256": sha256}
            if result is not None:
                headers[RESULT_HEADER] = json.dumps(result, separators=(",", ":"))
            stored = with_retries(
                lambda: put_file(self._client, clip_url(self._url, item.index), clip, headers),
                item,
            )
        fields = {k: stored[k] for k in ("video_url", "bytes", "sha256")}
        uploaded = {"id": item.id, **fields, **(result or {})}
        if files:
            uploaded["files"] = dict(stored.get("files") or {})
        return uploaded

    def _upload_file(
        self, item: WorkItem, name: str, path: Path, auth: dict[str, str]
    ) -> dict[str, Any] | None:
        """PUT one file to its presigned URL (returns its size and hash for the API's notice)
        or, when the job has none for it, to the API (returns None: the API has recorded it)."""
        sha256 = sha256_of(path)
        presigned = (item.file_put_urls or {}).get(name)
        url = presigned or file_url(self._url, item.index, name)
        headers = {} if presigned else {**auth, "X-Content-SHA256": sha256}
        target = "storage" if presigned else "the API"
        send = partial(put_file, self._client, url, path, headers, name)
        with_retries(send, item, target, f"file {name}")
        return {"bytes": path.stat().st_size, "sha256": sha256} if presigned else None


class VpsUploader:
    """The original contract: ``POST VPS_UPLOAD_URL`` with ``X-API-Key`` and base64 JSON. It
    carries one video per item and nothing beside it: a result's files are left out (with a
    warning)."""

    def __init__(self, url: str, api_key: str, client: httpx.Client) -> None:
        self._url = url
        self._api_key = api_key
        self._client = client

    def still_wanted(self, wait: bool = True) -> bool:
        return True  # the original contract has no notion of a job to ask about

    def progress(self, done: int, total: int) -> None:
        pass  # nor of progress

    def upload(
        self,
        item: WorkItem,
        clip: Path,
        result: dict[str, Any] | None = None,
        files: dict[str, Path] | None = None,
    ) -> dict[str, Any]:
        if files:
            log.warning(
                "upload files left out item=%s names=%s: the VPS upload contract carries"
                " the video only",
                item.index,
                ",".join(sorted(files)),
            )
        data = clip.read_bytes()
        body = {"id": item.id, "video_base64": base64.b64encode(data).decode()}
        result = with_retries(
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


class CarriesUpload(Protocol):
    """A worker job of any operation: all the uploader needs of it is its upload block."""

    @property
    def upload(self) -> ApiUpload | None: ...


def uploader_for(job: CarriesUpload, settings: Settings, client: httpx.Client) -> Uploader:
    """The job's own upload target, else the worker's VPS_* fallback, else a clear error."""
    if job.upload is not None:
        return ApiUploader(job.upload.url, job.upload.token, client)
    if settings.vps_upload_url and settings.vps_api_key:
        return VpsUploader(settings.vps_upload_url, settings.vps_api_key, client)
    raise InputError(
        "upload: the job has no upload block and the worker has no VPS_UPLOAD_URL / VPS_API_KEY;"
        " there is nowhere to send the clips"
    )
