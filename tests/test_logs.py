"""The log format: plain and JSON lines, uvicorn's access lines rewritten, workers' uploads quiet;
the start-up lines of the API (banner, api key)."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from framecast.api.app import create_app
from framecast.backends.base import RunRecord
from framecast.backends.inline import InlineBackend
from framecast.config import Settings
from framecast.logs import JsonFormatter, PlainFormatter, QuietWorkerUploads

JOB_ID = "0123456789abcdef0123456789abcdef"


def record(name: str, message: str, *args: object, level: int = logging.INFO) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, args, None)


def access(method: str, path: str, status: int) -> logging.LogRecord:
    """A line as uvicorn's access logger makes it."""
    return record(
        "uvicorn.access", '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", method, path, "1.1", status
    )


def test_plain_access_lines_are_key_value_like_ours() -> None:
    line = PlainFormatter().format(access("GET", "/jobs?limit=5", 200))
    assert line.endswith(
        " INFO uvicorn.access request method=GET path=/jobs?limit=5 status=200"
        " client=127.0.0.1:5000 http=1.1"
    )


def test_plain_lines_of_ours_are_time_level_logger_message() -> None:
    line = PlainFormatter().format(
        record("framecast.jobs", "job queued job_id=%s items=%d", "j", 3)
    )
    assert line.split(" ", 2)[2] == "INFO framecast.jobs job queued job_id=j items=3"


def test_json_lines_carry_the_event_and_its_fields() -> None:
    message = 'webhook retry job_id=%s attempt=%d error="%s"'
    line = json.loads(
        JsonFormatter().format(record("framecast.webhooks", message, "j", 2, "HTTP 500"))
    )
    assert line["event"] == "webhook retry"
    assert (line["job_id"], line["attempt"], line["error"]) == ("j", "2", "HTTP 500")
    assert (line["level"], line["logger"]) == ("INFO", "framecast.webhooks")
    assert line["time"].endswith("Z")


def test_json_access_lines_have_typed_fields() -> None:
    line = json.loads(JsonFormatter().format(access("POST", "/video/img2vid", 202)))
    assert line["event"] == "request"
    assert (line["method"], line["path"], line["status"]) == ("POST", "/video/img2vid", 202)


def test_json_lines_carry_the_traceback() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        crashed = record("framecast.api", "request crashed path=/x", level=logging.ERROR)
        crashed.exc_info = sys.exc_info()
    line = json.loads(JsonFormatter().format(crashed))
    assert "RuntimeError: boom" in line["exception"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", f"/upload/{JOB_ID}", 200),
        ("PUT", f"/upload/{JOB_ID}/3", 200),
        ("PUT", f"/upload/{JOB_ID}/3/files/captions.srt", 200),
        ("POST", f"/upload/{JOB_ID}/3/complete", 200),
    ],
)
def test_workers_own_upload_calls_are_left_out(method: str, path: str, status: int) -> None:
    assert not QuietWorkerUploads().filter(access(method, path, status))


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("PUT", f"/upload/{JOB_ID}/3", 409),  # a failed upload is worth seeing
        ("GET", f"/upload/{JOB_ID}", 401),
        ("POST", "/upload/video", 200),  # the original contract: a client's call
        ("GET", f"/jobs/{JOB_ID}", 200),
    ],
)
def test_other_requests_stay_in_the_access_log(method: str, path: str, status: int) -> None:
    assert QuietWorkerUploads().filter(access(method, path, status))


async def no_work(job: dict[str, Any], record: RunRecord) -> dict[str, Any]:
    return {"videos": [], "failed": []}


def start(settings: Settings) -> None:
    """Run the app's start-up and shut-down once."""
    with TestClient(create_app(settings, InlineBackend(no_work))):
        pass


def test_a_stored_api_key_is_reported_once_at_info(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    start(settings)  # generates the key
    caplog.clear()
    with caplog.at_level(logging.INFO):
        start(settings)
    loaded = [r for r in caplog.records if "api key loaded from" in r.getMessage()]
    assert [r.levelno for r in loaded] == [logging.INFO]


def test_start_up_logs_one_banner_with_the_settings_that_matter(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(api_keys=("k" * 16,), data_dir=tmp_path / "data")
    with caplog.at_level(logging.INFO, logger="framecast.api"):
        start(settings.with_changes(public_base_url="https://clips.example"))
    [banner] = [r.getMessage() for r in caplog.records if "framecast started" in r.getMessage()]
    for fact in (
        "backend=inline",
        "storage=local",
        "encoder=auto",
        "public_url=https://clips.example",
        "fetch_allow_private=false",
    ):
        assert fact in banner.split(), banner
    assert {"version", "workers"} <= {fact.split("=")[0] for fact in banner.split()}
