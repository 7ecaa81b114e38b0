"""The API's routers, one per resource, collected in one place."""

from framecast.api.routes import files, health, jobs, metrics, uploads, video

ROUTERS = [video.router, jobs.router, uploads.router, files.router, health.router, metrics.router]
