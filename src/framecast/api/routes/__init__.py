"""The API's routers, one per resource, collected in one place."""

from framecast.api.routes import events, files, health, inputs, jobs, metrics, uploads, video

ROUTERS = [
    video.router,
    jobs.router,
    events.router,
    inputs.router,
    uploads.router,
    files.router,
    health.router,
    metrics.router,
]
