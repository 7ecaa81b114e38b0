"""Credentials checked before a body is read. FastAPI reads and parses a route's JSON body before
its dependencies check the key, so without this a wrong key still cost the API the parse (and
the memory) of a body of up to MAX_REQUEST_BYTES: 40 of them at once held hundreds of MB."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from framecast.api.deps import Services, authenticate, client_address
from framecast.api.error_handlers import framecast_error_response
from framecast.api.routes.uploads import check_upload_token
from framecast.contracts.upload_urls import BASE64_ROUTE
from framecast.errors import FramecastError

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class CredentialsFirst:
    """401 (or 429) before anything reads the body of a request whose credential is wrong.

    A body for an upload route (``/upload/{job_id}/…``) needs that job's upload token; a body
    for any other route, the API key. A path no route takes is left to the app's 404 or 405.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _has_body(scope) and _routed(scope):
            try:
                _check_credential(scope)
            except FramecastError as exc:
                # The body is never read: uvicorn drops it as it arrives, and the connection
                # stays usable for the client's next request.
                await framecast_error_response(exc)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _has_body(scope: Scope) -> bool:
    if scope.get("method") not in BODY_METHODS:
        return False
    headers = Headers(scope=scope)
    length = headers.get("content-length", "")
    return "transfer-encoding" in headers or (length.isdigit() and int(length) > 0)


def _routed(scope: Scope) -> bool:
    return any(route.matches(scope)[0] is Match.FULL for route in scope["app"].router.routes)


def _check_credential(scope: Scope) -> None:
    services: Services = scope["app"].state.services
    headers = Headers(scope=scope)
    job_id = _upload_job(scope["path"])
    if job_id is not None:
        check_upload_token(services, job_id, headers.get("authorization"))
        return
    key, address = headers.get("x-api-key"), client_address(Request(scope))
    # A right key is left to the route's own check (which counts the request against the
    # tenant's rate once); a wrong one goes through it here, counted against the address once.
    if services.tenants.tenant_for_key(key) is None:
        authenticate(services, key, address)
    services.wrong_keys.check(address)  # an address made to wait waits whatever key it sends


def _upload_job(path: str) -> str | None:
    """The job of an upload route's path (``/upload/{job_id}/{item}…``), else None."""
    parts = path.split("/")
    if len(parts) >= 4 and parts[1] == "upload" and path != BASE64_ROUTE:
        return parts[2]
    return None
