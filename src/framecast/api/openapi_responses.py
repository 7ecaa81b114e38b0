"""The answers each route documents besides its success, declared once, so the OpenAPI document
says what the service really sends (tests/api/test_openapi_conformance.py checks it live)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from framecast.contracts.envelope import Base64UploadCreate, ErrorPublic, JobAccepted, JobResult

Responses = dict[int | str, dict[str, Any]]

_MEANINGS = {
    400: "Bad input: the message names the field and the limit.",
    401: "The API key (X-API-Key) or the upload token is missing or wrong.",
    403: "The key is right, but its tenant may not do this.",
    404: "No such job, item, file or input (another tenant's are not found either).",
    409: "The request clashes with the resource's state; the message says how.",
    410: "The file existed but has expired (OUTPUT_TTL_SECONDS; an input's ttl).",
    413: "The body is over its size limit.",
    429: "Over a limit, or too many wrong keys from this address: wait Retry-After seconds.",
    502: "The backend (RunPod) could not answer.",
    507: "No space left on the output volume; retrying will not help until space is freed.",
}
_HEADERS = {
    401: {"WWW-Authenticate": {"description": "ApiKey", "schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "Whole seconds to wait.", "schema": {"type": "integer"}}},
}


def errors(*statuses: int) -> Responses:
    """``responses=`` entries for these statuses, each with the ``{"error", "message"}`` body."""
    declared: Responses = {}
    for status in statuses:
        declared[status] = {"model": ErrorPublic, "description": _MEANINGS[status]}
        if status in _HEADERS:
            declared[status]["headers"] = _HEADERS[status]
    return declared


# Every route behind X-API-Key: the key's check, then the tenant's rate.
KEYED = errors(401, 429)

# POST /video/<operation>: the job envelope's answers besides the operation's own 200.
OPERATION: Responses = {
    202: {"model": JobAccepted, "description": "The job goes on; poll status_url."},
    422: {
        "model": JobResult,
        "description": "The job ended without a video: every item failed, or it was cancelled.",
    },
    # 404, 410: an input URL (POST /inputs) that is not the tenant's, or has expired.
    **errors(400, 404, 409, 410, 413),
    **KEYED,
}

# The worker routes (upload token as `Authorization: Bearer`) that take a result.
WORKER_RESULT = errors(400, 401, 404, 409, 413)
# The same, for the routes that write the bytes to this service's own disk.
WORKER_WRITE = {**WORKER_RESULT, **errors(507)}

# PUT of a result's raw bytes: streamed to storage, never parsed.
RAW_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}

# POST /upload/video reads its JSON itself (hundreds of MB, parsed off the event loop).
BASE64_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": Base64UploadCreate.model_json_schema()}},
    }
}

_FILE = {"schema": {"type": "string", "format": "binary"}}
_FILE_TYPES = {
    "video/mp4": _FILE,
    "text/plain": _FILE,
    "text/vtt": _FILE,
    "application/json": {"schema": {}},
    "application/octet-stream": _FILE,
}

# GET /output/…: a clip or one of its files, whole or in ranges.
CLIP: Responses = {
    200: {
        "description": "The file: a video, or a result's subtitles or word timings.",
        "content": _FILE_TYPES,
    },
    206: {
        "description": "The ranges the Range header asked for.",
        "content": {**_FILE_TYPES, "multipart/byteranges": _FILE},
    },
    416: {"description": "The Range header asks only for bytes past the file's end."},
    **errors(404, 410),
}

# POST /inputs: the file's bytes, raw or as the form field `file`, streamed to storage.
INPUT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/octet-stream": _FILE,
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}
INPUT_STORED: Responses = {**errors(400, 413, 507), **KEYED}

# GET /inputs/{input_id}: the uploaded file (with the key, or a URL the API signed).
INPUT_FILE: Responses = {
    200: {
        "description": "The file, with the type sniffed from its bytes.",
        "content": {
            "application/octet-stream": _FILE,
            "image/*": _FILE,
            "video/*": _FILE,
            "audio/*": _FILE,
            "font/*": _FILE,
            "text/plain": _FILE,
            "application/json": {"schema": {}},
            "application/xml": _FILE,
            "application/ogg": _FILE,
        },
    },
    307: {"description": "STORAGE=s3: a presigned GET of the bucket's object (Location)."},
    **errors(401, 404, 410, 429),
}

# GET /metrics: Prometheus's text format.
METRICS: Responses = {
    200: {
        "description": "The metrics, in Prometheus's text exposition format.",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    },
    **errors(403),
    **KEYED,
}

# GET /jobs/{job_id}/events: Server-Sent Events until the job ends.
EVENTS: Responses = {
    200: {
        "description": (
            "Server-Sent Events, what already happened first: `progress` (`{done, failed,"
            " total}`, and `scenes` while a compose reports them), `video` (an item done: its"
            " entry of the job's `videos`), `failed` (an item failed: `{id, index, error}`),"
            " then `end` (the job as GET /jobs/{job_id} shows it) and the stream closes. Each"
            " event's `id` names the items sent so far (`0-2,5`; `none`; `end`): send it back"
            " as `Last-Event-ID` to resume, even after a restart of the service."
        ),
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    },
    204: {"description": "`Last-Event-ID` is the `end` of an ended job: nothing more will come."},
    **errors(400, 404),
    **KEYED,
}


def document_request_examples(app: FastAPI) -> None:
    """Give each JSON request body its model's first example as the media type's ``example``:
    the form every docs viewer shows (Swagger UI's "Example Value", ReDoc's request sample).

    The examples live on the request models (``json_schema_extra``), next to their fields;
    tests/api/test_docs.py checks that each one is a valid request.
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        document = generate()  # cached by FastAPI: the edit below is done once, then a no-op
        schemas = document.get("components", {}).get("schemas", {})
        for path in document.get("paths", {}).values():
            for operation in path.values():
                body = operation.get("requestBody", {}).get("content", {}).get("application/json")
                if body is None:
                    continue
                schema = body.get("schema", {})
                schema = schemas.get(schema.get("$ref", "").rpartition("/")[2], schema)
                if schema.get("examples"):
                    body.setdefault("example", schema["examples"][0])
        return document

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend it


def document_validation_as_400(app: FastAPI) -> None:
    """Drop FastAPI's own 422 "Validation Error" from the document: this service answers 400."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        document = generate()  # cached by FastAPI: the edit below is done once, then a no-op
        for path in document.get("paths", {}).values():
            for operation in path.values():
                answer = operation.get("responses", {}).get("422", {})
                schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
                if schema.get("$ref", "").endswith("/HTTPValidationError"):
                    del operation["responses"]["422"]
        for name in ("HTTPValidationError", "ValidationError"):
            document.get("components", {}).get("schemas", {}).pop(name, None)
        return document

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend it
