"""The app factory: ``create_app(settings)`` builds the API with everything it holds."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from framecast.api.body_limit import BodyLimit
from framecast.api.credentials import (
    load_or_create_api_keys,
    load_or_create_secret,
    webhook_secret,
)
from framecast.api.deps import Services
from framecast.api.error_handlers import install_error_handlers
from framecast.api.routes import ROUTERS
from framecast.api.schemas import webhook_body
from framecast.backends.base import Backend
from framecast.backends.local import LocalBackend
from framecast.backends.runpod import RunPodBackend
from framecast.config import Settings
from framecast.jobs.service import JobService
from framecast.jobs.store import JobStore
from framecast.jobs.upload_token import UploadTokens
from framecast.jobs.webhooks import WebhookSender
from framecast.storage import storage_for


def backend_for(settings: Settings) -> Backend:
    """The backend FRAMECAST_BACKEND names."""
    if settings.backend == "runpod":
        return RunPodBackend(settings)
    return LocalBackend(settings)


def create_app(settings: Settings, backend: Backend | None = None) -> FastAPI:
    """The API service; ``backend`` defaults to the one the settings name.

    Settings that can be checked without starting anything are checked here, so a
    misconfiguration stops ``framecast serve`` with a message naming the setting.
    """
    api_keys = load_or_create_api_keys(settings)
    storage = storage_for(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = JobStore(settings.database_path)
        tokens = UploadTokens(load_or_create_secret(settings.data_dir, "upload_token_secret"))
        runner = backend if backend is not None else backend_for(settings)
        webhooks = WebhookSender(
            store,
            settings,
            webhook_secret(settings),
            lambda job: webhook_body(job, store.webhook_attempts(job.id)),
            time.time,
        )
        jobs = JobService(settings, store, runner, storage, tokens, webhooks)
        app.state.services = Services(settings, api_keys, jobs, storage)
        await jobs.start()
        try:
            yield
        finally:
            await jobs.close()
            await webhooks.close()
            await runner.close()
            store.close()

    app = FastAPI(
        title="framecast",
        summary="Batches of still images in, smooth Ken Burns clips out, only URLs back.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    return app
