"""The img2vid operation's flow: downloads run ahead of rendering, but only so far."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from framecast.config import Settings
from framecast.contracts.img2vid import ImageItem, Img2VidJob
from framecast.worker.fetch import make_client
from framecast.worker.ops.img2vid import DOWNLOADS_AT_ONCE, run_img2vid
from tests.support.http_server import MediaServer
from tests.support.media import solid_jpeg


class RecordingUploader:
    """Keeps clips in memory and notes how many downloads had started at each upload."""

    def __init__(self, media_server: MediaServer) -> None:
        self.media_server = media_server
        self.downloads_seen: list[int] = []

    def upload(self, item: ImageItem, clip: Path) -> dict[str, Any]:
        self.downloads_seen.append(sum(self.media_server.hits.values()))
        size = clip.stat().st_size
        return {"id": item.id, "video_url": f"mem://{item.index}", "bytes": size, "sha256": "-"}

    def still_wanted(self, wait: bool = True) -> bool:
        return True


def test_downloads_never_run_further_ahead_than_the_batch_plus_the_fetch_pool(
    tmp_path: Path, media_server: MediaServer
) -> None:
    count = 24
    for i in range(count):
        media_server.add(f"/{i}.jpg", solid_jpeg(64, 36, (i * 9, 50, 50)))
    settings = Settings.from_env({"FETCH_ALLOW_PRIVATE": "true", "FRAMECAST_ENCODER": "x264"})
    settings = settings.with_changes(batch_size=1, work_dir=tmp_path)
    job = Img2VidJob.model_validate(
        {
            "operation": "img2vid",
            "job_id": "j",
            "items": [
                {
                    "index": i,
                    "id": str(i),
                    "image_url": media_server.url(f"/{i}.jpg"),
                    "duration": 0.5,
                }
                for i in range(count)
            ],
            "options": {"width": 64, "height": 36, "fps": 12},
        }
    )
    uploader = RecordingUploader(media_server)
    with make_client(settings.fetch) as client:
        output = run_img2vid(job, settings, uploader, client)

    assert [v["index"] for v in output["videos"]] == list(range(count))
    assert uploader.downloads_seen[0] <= 1 + DOWNLOADS_AT_ONCE < count
    assert list(tmp_path.iterdir()) == []
