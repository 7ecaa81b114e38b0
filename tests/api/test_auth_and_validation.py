"""401 for keys, 400 naming the field and the limit for bad input; /health needs no key."""

from __future__ import annotations

import base64
import http.client
import re

import httpx
import pytest

from tests.support.service import API_KEY, ServiceProcess

URL = "http://127.0.0.1:9/a.jpg"  # never fetched: every request here is refused first


def post(service: ServiceProcess, body: object, key: str | None = "default") -> httpx.Response:
    with service.client() if key == "default" else service.client(api_key=key) as client:
        if isinstance(body, bytes):
            return client.post(
                "/video/img2vid", content=body, headers={"Content-Type": "application/json"}
            )
        return client.post("/video/img2vid", json=body)


def test_health_needs_no_key(service: ServiceProcess) -> None:
    response = httpx.get(f"{service.base_url}/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.parametrize("key", [None, "wrong-key-123456"])
def test_missing_or_wrong_key_is_401_json(service: ServiceProcess, key: str | None) -> None:
    response = post(service, {"images": []}, key=key)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert "X-API-Key" in response.json()["message"]


def test_any_of_several_comma_separated_keys_works(start_service) -> None:
    service = start_service(X_API_KEY="first-key-abcdef, second-key-abcdef")
    with service.client(api_key="second-key-abcdef") as client:
        assert client.get("/jobs").status_code == 200
    with service.client(api_key="third-key-abcdef") as client:
        assert client.get("/jobs").status_code == 401


def test_without_a_configured_key_one_is_generated_stored_and_printed(start_service) -> None:
    service = start_service(X_API_KEY="")
    key = (service.data_dir / "api_key").read_text().strip()
    assert len(key) >= 32
    assert re.search(rf"api key generated: {re.escape(key)}", service.log())
    with service.client(api_key=key) as client:
        assert client.get("/jobs").status_code == 200


def test_a_placeholder_key_is_refused_at_start(start_service) -> None:
    with pytest.raises(RuntimeError, match="X_API_KEY"):
        start_service(X_API_KEY="changeme")


@pytest.mark.parametrize(
    ("body", "field", "limit"),
    [
        ({"images": []}, "images", "at least one"),
        ({}, "images", "Field required"),
        ({"images": [{"id": "a", "duracao": 1}]}, "images[0].image_url", "Field required"),
        ({"images": [{"id": "a", "image_url": URL, "duracao": 0}]}, "images[0].duracao", "above 0"),
        ({"images": [{"id": "a", "image_url": URL, "duracao": 61}]}, "images[0].duracao", "60"),
        ({"images": [{"id": "a", "image_url": URL}]}, "images[0].duracao", "give duracao or"),
        (
            {"images": [{"id": "a", "image_url": "ftp://x/a.jpg", "duracao": 1}]},
            "images[0].image_url",
            "http",
        ),
        (
            {"images": [{"id": "a", "image_url": "file:///etc/passwd", "duracao": 1}]},
            "images[0].image_url",
            "http",
        ),
        (
            {"images": [{"id": "a", "image_url": URL, "duracao": 1, "colour": "red"}]},
            "images[0].colour",
            "Extra inputs",
        ),
        (
            {"images": [{"id": "a", "image_url": "http://[::1/a.jpg", "duracao": 1}]},
            "images[0].image_url",
            "malformed",
        ),
        (
            {
                "images": [{"id": "a", "image_url": URL, "duracao": 1}],
                "webhook_url": "http://[zz]/",
            },
            "webhook_url",
            "malformed",
        ),
        ({"images": [{"id": "a", "image_url": URL, "duracao": 1}], "fps": 500}, "fps", "60"),
        ({"images": [{"id": "a", "image_url": URL, "duracao": 1}], "width": 1001}, "width", "2"),
        (
            {"images": [{"id": "a", "image_url": URL, "duracao": 1}] * 2},
            "images[1].id",
            "repeats images[0].id",
        ),
        (
            {"images": [{"id": "a", "image_url": URL, "duracao": 1, "duration": 1}]},
            "images[0]",
            "give duracao or duration, not both",
        ),
        ({"images": [{"id": "a", "image_url": URL, "duracao": 1}], "fps": "NaN"}, "fps", "finite"),
        (
            {"images": [{"id": "a", "image_url": URL, "duracao": "Infinity"}]},
            "images[0].duracao",
            "finite",
        ),
        (
            {"images": [{"id": "a", "image_url": URL, "duracao": 1}], "zoom": "NaN"},
            "zoom",
            "finite",
        ),
    ],
)
def test_bad_input_is_400_naming_the_field_and_limit(
    service: ServiceProcess, body: dict[str, object], field: str, limit: str
) -> None:
    response = post(service, body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"
    message = response.json()["message"]
    assert message.startswith(f"{field}:"), message
    assert limit in message


def test_too_many_images_is_400_naming_the_limit(start_service) -> None:
    service = start_service(MAX_IMAGES="3")
    images = [{"id": str(i), "image_url": URL, "duracao": 1} for i in range(4)]
    response = post(service, {"images": images})
    assert response.status_code == 400
    assert response.json()["message"].startswith("images: at most 3 images")


def test_malformed_json_is_400(service: ServiceProcess) -> None:
    response = post(service, b'{"images": [')
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"


def test_no_job_is_created_for_a_refused_request(service: ServiceProcess) -> None:
    post(service, {"images": [{"id": "a", "image_url": "ftp://x", "duracao": 1}]})
    with service.client() as client:
        assert client.get("/jobs").json()["jobs"] == []


def test_an_oversized_body_is_413_before_any_key_check(start_service) -> None:
    service = start_service(MAX_REQUEST_BYTES="4096")
    images = [{"id": str(i), "image_url": URL, "duracao": 1} for i in range(200)]
    response = httpx.post(f"{service.base_url}/video/img2vid", json={"images": images})
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
    assert "4096" in response.json()["message"]
    chunked = httpx.post(  # no Content-Length: counted as it arrives (with a key: without
        f"{service.base_url}/video/img2vid",  # one it is refused before it is read)
        content=(b" " * 1024 for _ in range(64)),
        headers={"Content-Type": "application/json", "X-API-Key": API_KEY},
    )
    assert chunked.status_code == 413
    assert chunked.json()["error"] == "payload_too_large"
    assert "4096" in chunked.json()["message"] and "MAX_REQUEST_BYTES" in chunked.json()["message"]
    with service.client() as client:
        assert client.get("/health").status_code == 200


def test_a_webhook_to_a_private_address_literal_is_refused_at_submission(start_service) -> None:
    # Names are resolved at delivery (DNS changes); an address literal can be judged now.
    service = start_service(FETCH_ALLOW_PRIVATE="false")
    image = {"id": "a", "image_url": URL, "duracao": 1}
    # (0x7f.1 and other ambiguous spellings are refused whatever they stand for: test_urls.py)
    for hook in ("http://10.1.2.3/h", "http://127.0.0.1:9/h", "http://[::1]/h"):
        response = post(service, {"images": [image], "webhook_url": hook})
        assert response.status_code == 400, hook
        message = response.json()["message"]
        assert message.startswith("webhook_url:") and "not a public address" in message, message
        assert "FETCH_ALLOW_PRIVATE" in message
    with service.client() as client:
        assert client.get("/jobs").json()["jobs"] == []


@pytest.mark.parametrize(
    "raw", [b"[" * 5000 + b"]" * 5000, b'{"images": [], "fps": ' + b"9" * 5000 + b"}"]
)
def test_json_the_parser_cannot_take_is_invalid_json(service: ServiceProcess, raw: bytes) -> None:
    with service.client() as client:
        response = client.post(
            "/video/img2vid", content=raw, headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"
    assert response.json()["message"].startswith("body: not valid JSON")


def test_metadata_is_measured_in_utf8_bytes(service: ServiceProcess) -> None:
    image = {"id": "a", "image_url": URL, "duracao": 1}
    with service.client() as client:
        accented = client.post(
            "/video/img2vid",
            json={"images": [image], "metadata": {"note": "é" * 3000}},  # ~6 KB of UTF-8
            headers={"Prefer": "respond-async"},
        )
    assert accented.status_code == 202, accented.text
    too_big = post(service, {"images": [image], "metadata": {"note": "é" * 9000}})  # ~18 KB
    assert too_big.status_code == 400
    assert too_big.json()["message"].startswith("metadata: at most 16384 bytes")


def test_a_key_with_a_trailing_space_is_the_key(service: ServiceProcess) -> None:
    # httpx refuses to send such a header; curl and many clients do.
    connection = http.client.HTTPConnection("127.0.0.1", service.port, timeout=10)
    connection.request("GET", "/jobs", headers={"X-API-Key": f"{API_KEY} \t"})
    assert connection.getresponse().status == 200
    connection.close()


def test_a_forged_cursor_is_refused(service: ServiceProcess) -> None:
    with service.client() as client:
        for forged in ("nan|x", "inf|x", "1.5|"):
            cursor = base64.urlsafe_b64encode(forged.encode()).decode()
            response = client.get("/jobs", params={"cursor": cursor})
            assert response.status_code == 400, forged
            assert response.json()["message"].startswith("cursor:")
