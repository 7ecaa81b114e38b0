"""What a worker times for the API: a one-result render is from its inputs being in to its
result reaching the uploader."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from framecast.contracts.plan import WorkItem
from framecast.worker.timings import RECORDER, TimedUploader


class Recording:
    """An uploader that keeps what it is given."""

    def __init__(self) -> None:
        self.uploads: list[tuple[Any, ...]] = []

    def upload(self, item: WorkItem, clip: Path, *rest: Any) -> dict[str, Any]:
        self.uploads.append((item.index, clip, *rest))
        return {"id": item.id}

    def still_wanted(self, wait: bool = True) -> bool:
        return wait


def test_a_render_is_timed_from_the_inputs_to_the_upload(tmp_path: Path) -> None:
    RECORDER.drain()
    inner = Recording()
    RECORDER.inputs_fetched()
    time.sleep(0.05)
    TimedUploader(inner, "concatenate").upload(WorkItem(index=0, id="a"), tmp_path, {"x": 1})
    [(operation, seconds)] = RECORDER.drain()["render"]
    assert operation == "concatenate" and 0.05 <= seconds < 5
    assert inner.uploads == [(0, tmp_path, {"x": 1})]  # passed on as it came


def test_an_upload_without_fetched_inputs_times_nothing(tmp_path: Path) -> None:
    RECORDER.drain()
    uploader = TimedUploader(Recording(), "img2vid")  # img2vid times its renders itself
    uploader.upload(WorkItem(index=0, id="a"), tmp_path)
    assert RECORDER.drain()["render"] == []
    assert uploader.still_wanted(wait=False) is False  # asked of the uploader it wraps
