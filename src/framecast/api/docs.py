"""The API's docs with no network: Swagger UI at ``/docs``, ReDoc at ``/redoc``, and the files
they load at ``/docs/assets/…``, so every URL a docs page names is this service's own.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, so on a machine without internet
access ``/docs`` was a blank page. The files come from the ``fastapi-offline`` package
(Swagger UI 5 and ReDoc 2, MIT); we serve them ourselves rather than use its ``FastAPIOffline``
factory, which would replace ``create_app``'s FastAPI.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from framecast.errors import NotFound

DOCS_ROUTE = "/docs"
REDOC_ROUTE = "/redoc"
ASSETS_ROUTE = "/docs/assets"

# An asset's URL holds its digest, so a browser may keep it for good: new files, new URL.
ASSET_CACHE = "public, max-age=31536000, immutable"
# The pages name the assets' current URLs: a browser asks again each time (a 304 is cheap).
PAGE_CACHE = "no-cache"
# ReDoc's sidebar shows a logo from its vendor's CDN (an <img>, hidden when it fails to load);
# this keeps a docs page from asking any other host for images, online or not.
PAGE_POLICY = "img-src 'self' data: blob:"

_MEDIA_TYPES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}


@dataclass(frozen=True)
class Asset:
    """One file a docs page loads."""

    name: str
    path: Path
    media_type: str
    digest: str  # the start of the file's SHA-256

    @property
    def url(self) -> str:
        return f"{ASSETS_ROUTE}/{self.digest}/{self.name}"


def load_assets() -> dict[str, Asset]:
    """The packaged Swagger UI and ReDoc files, by name."""
    folder = Path(str(files("fastapi_offline") / "static"))
    assets = {}
    for name, media_type in _MEDIA_TYPES.items():
        path = folder / name
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        assets[name] = Asset(name, path, media_type, digest)
    return assets


def install_docs(app: FastAPI) -> None:
    """Add ``/docs``, ``/redoc`` and their assets to ``app`` (made with ``docs_url=None`` and
    ``redoc_url=None``, so FastAPI adds no CDN-backed pages of its own)."""
    assets = load_assets()
    openapi_url = app.openapi_url or "/openapi.json"

    def url(request: Request, path: str) -> str:
        return f"{request.scope.get('root_path', '')}{path}"

    @app.get(DOCS_ROUTE, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=url(request, openapi_url),
            title=f"{app.title} - Swagger UI",
            swagger_js_url=url(request, assets["swagger-ui-bundle.js"].url),
            swagger_css_url=url(request, assets["swagger-ui.css"].url),
            swagger_favicon_url=url(request, assets["favicon.png"].url),
            # validatorUrl: Swagger UI would otherwise show a badge from validator.swagger.io.
            swagger_ui_parameters={"validatorUrl": None},
        )
        return _page(page)

    @app.get(REDOC_ROUTE, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        page = get_redoc_html(
            openapi_url=url(request, openapi_url),
            title=f"{app.title} - ReDoc",
            redoc_js_url=url(request, assets["redoc.standalone.js"].url),
            redoc_favicon_url=url(request, assets["favicon.png"].url),
            with_google_fonts=False,  # its system-font fallback, not fonts.googleapis.com
        )
        return _page(page)

    @app.get(ASSETS_ROUTE + "/{digest}/{name}", include_in_schema=False)
    async def asset(digest: str, name: str) -> FileResponse:
        found = assets.get(name)
        if found is None or found.digest != digest:
            raise NotFound(f"{ASSETS_ROUTE}/{digest}/{name}: no such docs file")
        return FileResponse(
            found.path, media_type=found.media_type, headers={"Cache-Control": ASSET_CACHE}
        )


def _page(page: HTMLResponse) -> HTMLResponse:
    page.headers["Cache-Control"] = PAGE_CACHE
    page.headers["Content-Security-Policy"] = PAGE_POLICY
    return page
