"""A real S3 API over HTTP on 127.0.0.1: moto's server, plus the presigned-URL expiry S3 enforces.

moto serves the S3 API faithfully but refuses neither expired presigned URLs nor unknown access
keys; the small WSGI layer here does both, as S3 does (403): expiry from the URL's own
X-Amz-Date and X-Amz-Expires, the key from the request's SigV4 credential (header or query).
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import boto3
from botocore.config import Config
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

ACCESS_KEY, SECRET_KEY = "test-access", "test-secret"
EXPIRED = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>'
    b"<Message>Request has expired</Message></Error>"
)
UNKNOWN_KEY = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidAccessKeyId</Code>'
    b"<Message>The AWS Access Key Id you provided does not exist in our records.</Message>"
    b"</Error>"
)


class _Refusals:
    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        credential = query.get("X-Amz-Credential", [""])[0] or environ.get("HTTP_AUTHORIZATION", "")
        key = re.search(r"(?:^|Credential=)([^/\s,]+)/", credential)
        if key and key[1] != ACCESS_KEY:
            start_response("403 Forbidden", [("Content-Type", "application/xml")])
            return [UNKNOWN_KEY]
        if "X-Amz-Date" in query and "X-Amz-Expires" in query:
            signed = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            if datetime.now(UTC) > signed + timedelta(seconds=int(query["X-Amz-Expires"][0])):
                start_response("403 Forbidden", [("Content-Type", "application/xml")])
                return [EXPIRED]
        return self.app(environ, start_response)


class S3Server:
    """moto's S3 on a free port, with a fresh bucket; ``stop()`` simulates an outage.

    moto keeps its state per process, so every server gets a bucket of its own.
    """

    def __init__(self) -> None:
        self.bucket = f"clips-{uuid.uuid4().hex[:12]}"
        app = _Refusals(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            "127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler
        )
        self.endpoint = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.client().create_bucket(Bucket=self.bucket)

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    def make_public(self) -> None:
        """What a user does for S3_PUBLIC_BASE_URL: a bucket policy letting anyone read."""
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{self.bucket}/*",
                }
            ],
        }
        self.client().put_bucket_policy(Bucket=self.bucket, Policy=json.dumps(policy))

    def keys(self) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=self.bucket)
        return sorted(obj["Key"] for obj in listed.get("Contents", []))

    def env(self, **extra: str) -> dict[str, str]:
        """The service settings that point at this server."""
        return {
            "STORAGE": "s3",
            "S3_ENDPOINT_URL": self.endpoint,
            "S3_BUCKET": self.bucket,
            "S3_REGION": "us-east-1",
            "S3_ACCESS_KEY": ACCESS_KEY,
            "S3_SECRET_KEY": SECRET_KEY,
            **extra,
        }

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
