"""The OpenAPI document lists what each route really answers, with the error body it sends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from framecast.api.app import create_app
from framecast.config import Settings
from tests.support.service import API_KEY

# 404 and 410: an input_url of POST /inputs that is not the tenant's, or has expired.
OPERATION = {"200", "202", "400", "401", "404", "409", "410", "413", "422", "429"}
WORKER_RESULT = {"200", "400", "401", "404", "409", "413"}
WORKER_WRITE = {*WORKER_RESULT, "507"}  # bytes written to this service's disk

# What each route sends, read from its code (the conformance test checks the answers live).
STATUSES = {
    ("post", "/video/img2vid"): OPERATION,
    ("post", "/video/concatenate"): OPERATION,
    ("post", "/video/audio"): OPERATION,
    ("post", "/video/addaudio"): OPERATION,
    ("post", "/video/caption"): OPERATION,
    ("post", "/video/compose"): OPERATION,
    ("get", "/jobs/{job_id}"): {"200", "401", "404", "429"},
    ("get", "/jobs/{job_id}/events"): {"200", "204", "400", "401", "404", "429"},
    ("get", "/jobs"): {"200", "400", "401", "429"},
    ("post", "/jobs/{job_id}/cancel"): {"200", "401", "404", "409", "429"},
    ("post", "/jobs/{job_id}/webhook"): {"200", "401", "404", "409", "429"},
    ("post", "/inputs"): {"201", "400", "401", "413", "429", "507"},
    ("get", "/inputs/{input_id}"): {"200", "307", "401", "404", "410", "429"},
    ("get", "/upload/{job_id}"): {"200", "401", "404"},
    ("put", "/upload/{job_id}/{item}"): WORKER_WRITE,
    ("put", "/upload/{job_id}/{item}/files/{name}"): WORKER_WRITE,
    ("post", "/upload/{job_id}/{item}/complete"): WORKER_RESULT,
    ("post", "/upload/video"): {"200", "400", "401", "413", "429", "507"},
    ("get", "/output/{job_id}/{name}"): {"200", "206", "404", "410", "416"},
    ("get", "/health"): {"200"},
    ("get", "/runpod/health"): {"200", "401", "404", "429", "502"},
    ("get", "/metrics"): {"200", "401", "403", "429"},
}
ERROR_BODY = {"$ref": "#/components/schemas/ErrorPublic"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    data_dir: Path = tmp_path_factory.mktemp("openapi")
    return create_app(Settings(data_dir=data_dir, api_keys=(API_KEY,)))


@pytest.fixture(scope="module")
def document(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }


def test_every_route_is_in_the_table(document: dict[str, Any]) -> None:
    assert set(operations(document)) == set(STATUSES)


@pytest.mark.parametrize(("method", "path"), sorted(STATUSES))
def test_each_route_lists_the_statuses_it_sends(
    document: dict[str, Any], method: str, path: str
) -> None:
    assert set(operations(document)[method, path]["responses"]) == STATUSES[method, path]


def test_validation_errors_are_not_documented_as_422(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    for (_, path), operation in operations(document).items():
        answer = operation["responses"].get("422")
        if answer is not None:  # an operation's job that ended without a video
            assert path.startswith("/video/"), path
            assert answer["content"]["application/json"]["schema"]["$ref"].endswith("/JobResult")


def test_every_error_has_the_error_body(document: dict[str, Any]) -> None:
    for (method, path), operation in operations(document).items():
        for status, answer in operation["responses"].items():
            if int(status) < 400 or status in ("416", "422"):  # 416: Starlette's, no body
                continue
            schema = answer["content"]["application/json"]["schema"]
            assert schema == ERROR_BODY, f"{method} {path} {status}"


def test_401_and_429_document_their_headers(document: dict[str, Any]) -> None:
    answers = operations(document)["post", "/video/img2vid"]["responses"]
    assert set(answers["401"]["headers"]) == {"WWW-Authenticate"}
    assert set(answers["429"]["headers"]) == {"Retry-After"}


def test_batches_document_the_sizes_the_service_takes(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["Img2VidCreate"]["properties"]["images"]["minItems"] == 1
    videos = schemas["ConcatenateCreate"]["properties"]["videos"]
    assert (videos["minItems"], videos["maxItems"]) == (2, 500)
    parts = [s for s in schemas["AudioTrackSpec"]["properties"]["url"]["anyOf"] if "items" in s]
    assert (parts[0]["minItems"], parts[0]["maxItems"]) == (1, 200)


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/jobs", "GET"),
        ("PUT", "/health", "GET"),
        ("POST", "/output/job/clip.mp4", "GET, HEAD"),
        ("GET", "/video/img2vid", "POST"),
    ],
)
def test_a_wrong_method_is_405_naming_the_allowed_ones(
    app: FastAPI, method: str, path: str, allow: str
) -> None:
    response = TestClient(app).request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json()["error"] == "method_not_allowed"


def test_the_api_key_is_a_security_scheme_not_a_header_parameter(
    document: dict[str, Any],
) -> None:
    assert document["components"]["securitySchemes"]["ApiKey"]["name"] == "X-API-Key"
    for (method, path), operation in operations(document).items():
        headers = {
            p["name"].lower() for p in operation.get("parameters", []) if p["in"] == "header"
        }
        assert "x-api-key" not in headers, f"{method} {path}"
