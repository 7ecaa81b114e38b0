"""S3-compatible storage (AWS, MinIO, R2): workers PUT clips straight to presigned URLs.

Only the API holds the credentials. Keys: ``{S3_PREFIX}[{path}/]{job_id}/{index:04d}-{slug}.mp4``
where ``path`` is a client's optional folder (a clip's files: ``mp4`` replaced by their name).
URLs are ``S3_PUBLIC_BASE_URL`` + key when set, else presigned GETs. No ACLs are set.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
import unicodedata
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from framecast.config import Settings
from framecast.contracts.upload_urls import media_type_of
from framecast.errors import ConfigError, InputError, UploadError
from framecast.storage.base import (
    Storage,
    StoredObject,
    copy_checked,
    input_key,
    safe_slug,
)

MAX_PRESIGN_SECONDS = 7 * 24 * 3600  # SigV4's limit


class S3Storage(Storage):
    """Clips in one bucket; the API presigns, workers upload, the bucket serves."""

    name = "s3"

    def __init__(self, settings: Settings) -> None:
        if not settings.s3_bucket:
            raise ConfigError("STORAGE=s3 needs S3_BUCKET")
        self.bucket = settings.s3_bucket
        try:
            self.prefix = normalise_prefix(settings.s3_prefix, "S3_PREFIX")
        except InputError as exc:
            raise ConfigError(exc.message) from exc
        self.deletes_expired = settings.s3_delete_expired
        if not settings.s3_public_base_url and settings.output_ttl_seconds > MAX_PRESIGN_SECONDS:
            raise ConfigError(
                "OUTPUT_TTL_SECONDS: presigned S3 URLs live 7 days at most; set a shorter TTL"
                " or S3_PUBLIC_BASE_URL"
            )
        self.public_base_url = settings.s3_public_base_url
        self.ttl = settings.output_ttl_seconds
        self._client = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key,
            aws_secret_access_key=settings.s3_secret_key,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path" if settings.s3_endpoint_url else "auto"},
                retries={"max_attempts": 4, "mode": "standard"},
                connect_timeout=10,
                read_timeout=60,
            ),
        )

    def check(self) -> None:
        """Fail at start-up, naming the setting, if the bucket can't be reached."""
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except EndpointConnectionError as exc:
            raise ConfigError(f"S3_ENDPOINT_URL: cannot connect ({exc})") from exc
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("404", "NoSuchBucket"):
                raise ConfigError(f"S3_BUCKET: bucket {self.bucket!r} does not exist") from exc
            if code in ("403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
                raise ConfigError(
                    f"S3_ACCESS_KEY / S3_SECRET_KEY: access to bucket {self.bucket!r} was"
                    f" refused ({code})"
                ) from exc
            raise ConfigError(f"S3_BUCKET {self.bucket!r}: {exc}") from exc
        except BotoCoreError as exc:
            raise ConfigError(f"S3 settings: {exc}") from exc

    def key_for(self, job_id: str, index: int, client_id: str, path: str | None = None) -> str:
        # The job id stays in the key even under a client's folder: two jobs never share a
        # key, so one job's expiry can't delete another's clips.
        folder = f"{path.strip('/')}/{job_id}" if path else job_id
        return f"{self.prefix}{folder}/{index:04d}-{safe_slug(client_id)}.mp4"

    def input_key(self, tenant: str, input_id: str) -> str:
        return self.prefix + input_key(tenant, input_id)

    def presign_get(self, key: str, expires_at: float) -> str | None:
        return str(
            self._client.generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket, "Key": key},
                ExpiresIn=_lifetime(expires_at),
            )
        )

    def presign_put(self, key: str, expires_at: float) -> str | None:
        return str(
            self._client.generate_presigned_url(
                "put_object",
                Params={"Bucket": self.bucket, "Key": key, "ContentType": media_type_of(key)},
                ExpiresIn=_lifetime(expires_at),
            )
        )

    def url(self, key: str, expires_at: float | None = None) -> str:
        if self.public_base_url:
            return f"{self.public_base_url}/{quote(key, safe='/')}"
        lifetime = _lifetime(expires_at) if expires_at else int(self.ttl)
        return str(
            self._client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=lifetime
            )
        )

    async def size(self, key: str) -> int | None:
        def head() -> dict[str, Any] | None:
            try:
                return dict(self._client.head_object(Bucket=self.bucket, Key=key))
            except ClientError as exc:
                if str(exc.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey"):
                    return None
                raise

        try:
            found = await asyncio.to_thread(head)
        except (ClientError, BotoCoreError) as exc:
            raise UploadError(f"the bucket could not be checked for the clip: {exc}") from exc
        return None if found is None else int(found["ContentLength"])

    async def write(
        self,
        key: str,
        chunks: AsyncIterator[bytes],
        max_bytes: int,
        expected_sha256: str | None = None,
    ) -> StoredObject:
        with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as buffer:
            size, sha256 = await copy_checked(chunks, buffer, max_bytes, expected_sha256)
            buffer.seek(0)
            try:
                await asyncio.to_thread(
                    self._client.upload_fileobj,
                    buffer,
                    self.bucket,
                    key,
                    ExtraArgs={"ContentType": media_type_of(key)},
                )
            except (ClientError, BotoCoreError) as exc:
                raise UploadError(f"the clip could not be stored in the bucket: {exc}") from exc
        return StoredObject(key=key, bytes=size, sha256=sha256)

    def delete(self, key: str) -> None:
        with contextlib.suppress(ClientError, BotoCoreError):
            self._client.delete_object(Bucket=self.bucket, Key=key)

    def delete_many(self, keys: list[str]) -> bool:
        ok = True
        for start in range(0, len(keys), 1000):  # DeleteObjects takes 1000 keys at most
            batch = [{"Key": key} for key in keys[start : start + 1000]]
            try:
                answer = self._client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
                )
            except (ClientError, BotoCoreError):
                return False
            ok = ok and not answer.get("Errors")
        return ok


def normalise_prefix(prefix: str, field: str) -> str:
    """``a//b/`` → ``a/b/``; NFC so accents have one spelling; no ``..`` or control characters."""
    text = unicodedata.normalize("NFC", prefix.strip())
    parts = [part for part in text.split("/") if part]
    for part in parts:
        if part in (".", "..") or any(ord(c) < 32 or c == "\\" for c in part):
            raise InputError(f"{field}: {prefix!r} has a '.', '..', backslash or control character")
    return "".join(f"{part}/" for part in parts)


def _lifetime(expires_at: float) -> int:
    return max(1, min(MAX_PRESIGN_SECONDS, int(expires_at - time.time())))
