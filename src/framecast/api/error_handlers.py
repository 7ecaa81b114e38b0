"""Every error leaves the API as JSON ``{"error": code, "message": text}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match

from framecast.api.openapi_responses import document_validation_as_400
from framecast.errors import FramecastError, TooManyRequests, describe_validation_errors

log = logging.getLogger("framecast.api")

BODY_PARSE_FAILED = "There was an error parsing the body"  # FastAPI's detail
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status)


def framecast_error_response(exc: FramecastError) -> JSONResponse:
    """The answer to one of our errors, with the headers its status calls for (also sent by
    middleware, which runs outside the exception handlers)."""
    headers = {"WWW-Authenticate": "ApiKey"} if exc.status_code == 401 else {}
    if isinstance(exc, TooManyRequests):
        headers["Retry-After"] = str(exc.retry_after)
    response = error_response(exc.status_code, exc.code, exc.message)
    response.headers.update(headers)
    return response


def install_error_handlers(app: FastAPI) -> None:
    document_validation_as_400(app)  # the handler below answers 400, not FastAPI's 422

    @app.exception_handler(FramecastError)
    async def framecast_error(request: Request, exc: FramecastError) -> JSONResponse:
        return framecast_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return error_response(400, "invalid_json", "body: not valid JSON")
        return error_response(400, "invalid_request", describe_validation_errors(errors))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == BODY_PARSE_FAILED:
            # FastAPI's answer when json.loads itself fails (too deeply nested, a number with
            # thousands of digits): the same error as any other unreadable body.
            return error_response(
                400,
                "invalid_json",
                "body: not valid JSON (not UTF-8, nested too deeply, or a number too long)",
            )
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        response = error_response(exc.status_code, code, str(exc.detail))
        response.headers.update(exc.headers or {})
        if exc.status_code == 405:
            response.headers["Allow"] = allowed_methods(request)
        return response

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("request crashed path=%s", request.url.path)
        return error_response(500, "internal_error", "internal error; see the service log")


def allowed_methods(request: Request) -> str:
    """The methods some route takes at this path (Starlette's 405 names only those of the first
    route it found, and HEAD /output/… is a route of its own)."""
    routes = request.app.router.routes
    return ", ".join(
        method
        for method in HTTP_METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    )
