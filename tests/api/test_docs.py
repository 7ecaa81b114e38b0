"""The docs work with no network: /docs and /redoc name only this service's files, served with
their types and caching; the document's API key is a security scheme (Swagger's Authorize);
each request body has an example, and each example is a valid request."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from framecast.api.app import create_app
from framecast.config import Settings
from framecast.contracts.audio import AddAudioCreate
from framecast.contracts.envelope import Base64UploadCreate, ErrorPublic, JobAccepted, UploadPublic
from framecast.contracts.upload_urls import BASE64_ROUTE
from framecast.operations import OPERATIONS
from tests.support.service import API_KEY, ServiceProcess

PAGES = ["/docs", "/redoc"]
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
}
# Each POST body's model: the operations' from the registry, and the two older routes'.
REQUEST_MODELS: dict[str, type[BaseModel]] = {
    **{operation.route: operation.request for operation in OPERATIONS.values()},
    "/video/addaudio": AddAudioCreate,
    BASE64_ROUTE: Base64UploadCreate,
}
RESPONSE_MODELS: list[type[BaseModel]] = [ErrorPublic, JobAccepted, UploadPublic]


class Links(HTMLParser):
    """Every ``src`` and ``href`` of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def links(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return parser.urls


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    data_dir: Path = tmp_path_factory.mktemp("docs")
    return create_app(Settings(data_dir=data_dir, api_keys=(API_KEY,)))


@pytest.fixture(scope="module")
def client(app: FastAPI) -> TestClient:
    return TestClient(app)  # no lifespan: the docs need no job service


@pytest.fixture(scope="module")
def document(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def json_bodies(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each POST route's JSON request body (its media type object), by path."""
    return {
        path: operation["requestBody"]["content"]["application/json"]
        for method, path, operation in operations(document)
        if method == "post"
        and "application/json" in operation.get("requestBody", {}).get("content", {})
    }


def is_worker_route(path: str) -> bool:
    """A worker's route: its 401 is about the job's upload token, not the API key."""
    return path.startswith("/upload/{job_id}")


@pytest.mark.parametrize("page", PAGES)
def test_a_docs_page_names_only_this_services_urls(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    urls = links(response.text)
    assert urls, "no src or href found"
    for url in urls:
        assert url.startswith("/docs/assets/"), url


@pytest.mark.parametrize("page", PAGES)
def test_a_docs_page_is_revalidated_each_time(client: TestClient, page: str) -> None:
    assert client.get(page).headers["cache-control"] == "no-cache"


def test_swagger_ui_loads_this_services_document_and_no_validator_badge(
    client: TestClient,
) -> None:
    html = client.get("/docs").text
    assert "url: '/openapi.json'" in html
    assert '"validatorUrl": null' in html  # else a badge image from validator.swagger.io


@pytest.mark.parametrize("page", PAGES)
def test_each_asset_is_served_with_its_type_and_for_good(client: TestClient, page: str) -> None:
    for url in links(client.get(page).text):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"] == MEDIA_TYPES[Path(url).suffix], url
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable", url
        assert len(response.content) > 4000, url


def test_an_asset_of_another_digest_is_not_found(client: TestClient) -> None:
    url = next(u for u in links(client.get("/docs").text) if u.endswith(".js"))
    digest = url.split("/")[3]
    response = client.get(url.replace(digest, "0" * len(digest)))
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_the_api_key_is_a_header_security_scheme(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes == {"ApiKey": {**schemes["ApiKey"], "type": "apiKey", "in": "header"}}
    assert schemes["ApiKey"]["name"] == "X-API-Key"


def test_every_route_that_takes_the_key_requires_the_scheme(document: dict[str, Any]) -> None:
    keyed = [
        (method, path, operation)
        for method, path, operation in operations(document)
        if "401" in operation["responses"] and not is_worker_route(path)
    ]
    assert len(keyed) >= 10
    for method, path, operation in keyed:
        # [{"ApiKey": []}], or with {} beside it where the key is one way in of several
        assert {"ApiKey": []} in operation.get("security", []), f"{method} {path}"


def test_routes_without_a_key_do_not_list_the_scheme(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        if "401" not in operation["responses"] or is_worker_route(path):
            assert "security" not in operation, f"{method} {path}"
    assert "security" not in document["paths"]["/health"]["get"]


def test_every_keyed_post_body_has_an_example(document: dict[str, Any]) -> None:
    bodies = json_bodies(document)
    keyed = {
        path
        for method, path, operation in operations(document)
        if method == "post" and path in bodies and operation.get("security")
    }
    assert keyed == set(REQUEST_MODELS)  # a new route needs its model here, and an example
    for path in keyed:
        assert "example" in bodies[path], path


@pytest.mark.parametrize("path", sorted(REQUEST_MODELS))
def test_a_request_example_is_a_valid_request(document: dict[str, Any], path: str) -> None:
    REQUEST_MODELS[path].model_validate(json_bodies(document)[path]["example"])


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_an_operations_example_is_planned(
    document: dict[str, Any], name: str, tmp_path: Path
) -> None:
    operation = OPERATIONS[name]
    body = operation.request.model_validate(json_bodies(document)[operation.route]["example"])
    plan = operation.plan(body, Settings(data_dir=tmp_path, api_keys=(API_KEY,)))
    assert plan.items


@pytest.mark.parametrize("model", RESPONSE_MODELS, ids=lambda model: model.__name__)
def test_a_response_example_is_a_valid_answer(
    document: dict[str, Any], model: type[BaseModel]
) -> None:
    examples = document["components"]["schemas"][model.__name__]["examples"]
    assert examples
    for example in examples:
        model.model_validate(example)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    running = ServiceProcess(tmp_path_factory.mktemp("docs-service") / "data").start()
    yield running
    running.stop()


def scheme_header(service: ServiceProcess) -> str:
    """The header the document's scheme names: what Swagger's Authorize sends."""
    document = httpx.get(f"{service.base_url}/openapi.json").json()
    name: str = document["components"]["securitySchemes"]["ApiKey"]["name"]
    return name


def test_without_the_scheme_header_a_keyed_route_is_401(service: ServiceProcess) -> None:
    response = httpx.get(f"{service.base_url}/jobs")
    assert response.status_code == 401
    assert response.json() == {"error": "unauthorized", "message": "X-API-Key: header missing"}


def test_with_the_key_in_the_scheme_header_a_keyed_route_answers(service: ServiceProcess) -> None:
    response = httpx.get(f"{service.base_url}/jobs", headers={scheme_header(service): API_KEY})
    assert response.status_code == 200
    assert "jobs" in response.json()


def test_a_wrong_key_in_the_scheme_header_is_401(service: ServiceProcess) -> None:
    response = httpx.get(f"{service.base_url}/jobs", headers={scheme_header(service): "wrong"})
    assert response.status_code == 401
    assert response.json()["message"] == "X-API-Key: wrong key"
