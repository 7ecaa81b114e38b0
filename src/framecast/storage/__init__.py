"""Where clips live: local disk served at /output/, or an S3-compatible bucket."""

from __future__ import annotations

from framecast.config import Settings
from framecast.storage.base import Storage


def storage_for(settings: Settings) -> Storage:
    """The storage STORAGE names, checked (a misconfiguration fails here, naming the setting)."""
    if settings.storage == "s3":
        from framecast.storage.s3 import S3Storage

        storage: Storage = S3Storage(settings)
    else:
        from framecast.storage.local import LocalStorage

        storage = LocalStorage(settings.output_path, settings.public_base_url)
    storage.check()
    return storage
