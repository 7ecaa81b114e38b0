"""The img2vid operation's flow: downloads run ahead of rendering, but only so far."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from framecast.config import Settings
from framecast.contracts.img2vid import ImageItem, Img2VidJob
from framecast.contracts.vocab import RANDOM_MOVES
from framecast.worker.fetch import make_client
from framecast.worker.ops.img2vid import DOWNLOADS_AT_ONCE, run_img2vid
from tests.support.http_server import MediaServer
from tests.support.media import solid_jpeg


class RecordingUploader:
    """Keeps clips in memory and notes how many downloads had started at each upload."""

    def __init__(self, media_server: MediaServer) -> None:
        self.media_server = media_server
        self.downloads_seen: list[int] = []

    def upload(
        self,
        item: ImageItem,
        clip: Path,
        result: dict[str, Any] | None = None,
        files: dict[str, Path] | None = None,
    ) -> dict[str, Any]:
        self.downloads_seen.append(sum(self.media_server.hits.values()))
        size = clip.stat().st_size
        stored = {"id": item.id, "video_url": f"mem://{item.index}", "bytes": size, "sha256": "-"}
        return {**stored, **(result or {})}

    def still_wanted(self, wait: bool = True) -> bool:
        return True


SETTINGS = Settings.from_env({"FETCH_ALLOW_PRIVATE": "true", "FRAMECAST_ENCODER": "x264"})


def run(
    media_server: MediaServer, tmp_path: Path, images: list[str], **options: Any
) -> dict[str, Any]:
    """The output of a job rendering each of ``images`` (paths on the media server)."""
    job = Img2VidJob.model_validate(
        {
            "operation": "img2vid",
            "job_id": "j",
            "items": [
                {"index": i, "id": str(i), "image_url": media_server.url(path), "duration": 0.1}
                for i, path in enumerate(images)
            ],
            "options": {"width": 640, "height": 360, "fps": 12, **options},
        }
    )
    settings = SETTINGS.with_changes(work_dir=tmp_path)
    with make_client(settings.fetch) as client:
        return run_img2vid(job, settings, RecordingUploader(media_server), client)


def test_each_video_shows_the_move_random_took_and_its_framing(
    tmp_path: Path, media_server: MediaServer
) -> None:
    media_server.add("/a.jpg", solid_jpeg(1280, 720, (90, 90, 90)))
    output = run(media_server, tmp_path, ["/a.jpg", "/a.jpg"], motion="random", seed=7)
    picks = [video["motion"] for video in output["videos"]]
    assert all(pick in RANDOM_MOVES for pick in picks) and picks[0] != picks[1]
    framing = output["videos"][0]["framing"]
    assert set(framing) == {"start", "end"}
    assert set(framing["start"]) == {"x", "y", "w", "h"}
    assert "warnings" not in output["videos"][0]


def test_a_source_much_smaller_than_the_output_gets_a_warning(
    tmp_path: Path, media_server: MediaServer
) -> None:
    media_server.add("/small.jpg", solid_jpeg(64, 36, (90, 90, 90)))
    [video] = run(media_server, tmp_path, ["/small.jpg"])["videos"]
    assert video["warnings"] == [
        "the image is 64x36: shown at 640x360 it is enlarged up to 12.5 times and will look"
        " soft; an image of 800x450 pixels or more would be sharp"
    ]


def test_an_unreadable_download_says_what_the_server_sent(
    tmp_path: Path, media_server: MediaServer
) -> None:
    media_server.add("/a.jpg", b"\x7fELF\x02\x01 not an image at all", "image/jpeg")
    [failed] = run(media_server, tmp_path, ["/a.jpg"])["failed"]
    assert failed["error"].startswith("the file is not a readable image (cannot identify")
    assert failed["error"].endswith(", 26 bytes, Content-Type image/jpeg")


def test_a_pan_with_no_room_on_its_image_fails_that_video_saying_why(
    tmp_path: Path, media_server: MediaServer
) -> None:
    media_server.add("/wide.jpg", solid_jpeg(960, 320, (90, 90, 90)))
    media_server.add("/flat.jpg", solid_jpeg(640, 360, (90, 90, 90)))
    output = run(media_server, tmp_path, ["/wide.jpg", "/flat.jpg"], motion="pan_left", zoom=1.0)
    assert [video["motion"] for video in output["videos"]] == ["pan_left"]
    [failed] = output["failed"]
    assert failed["error"].startswith("pan_left at zoom 1 has no room to move")


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
