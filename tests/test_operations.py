"""The operation registry: one record per operation, the worker job union built from them."""

from __future__ import annotations

from typing import get_args

import pytest

from framecast.contracts.audio import AudioJob
from framecast.contracts.caption import CaptionJob
from framecast.contracts.compose import ComposeJob
from framecast.contracts.concatenate import ConcatenateJob
from framecast.contracts.img2vid import Img2VidJob
from framecast.errors import InputError
from framecast.operations import OPERATIONS, parse_worker_job


def test_every_record_names_its_route_models_and_worker() -> None:
    assert set(OPERATIONS) == {"img2vid", "concatenate", "audio", "caption", "compose"}
    for name, op in OPERATIONS.items():
        assert op.route == f"/video/{name}"
        assert get_args(op.worker_job.model_fields["operation"].annotation) == (name,)
        run = op.worker_function()
        assert (run.__module__, run.__name__) == (f"framecast.worker.ops.{name}", f"run_{name}")


def test_the_worker_job_union_picks_the_model_by_operation() -> None:
    base = {"job_id": "j"}
    image = {"index": 0, "id": "a", "image_url": "http://x/a.jpg", "duration": 1}
    videos = [{"video_url": "http://x/a.mp4"}, {"video_url": "http://x/b.mp4"}]
    job = parse_worker_job({**base, "operation": "img2vid", "items": [image]})
    assert isinstance(job, Img2VidJob)
    job2 = parse_worker_job(
        {**base, "operation": "concatenate", "items": [{"index": 0, "id": "v", "videos": videos}]}
    )
    assert isinstance(job2, ConcatenateJob)
    source = {"index": 0, "id": "v", "video_url": "http://x/v.mp4"}
    source["tracks"] = [{"role": "narration", "url": "http://x/n.mp3"}]
    job3 = parse_worker_job({**base, "operation": "audio", "items": [source]})
    assert isinstance(job3, AudioJob)
    words = {"words": [{"word": "hi", "start": 0, "end": 0.5}]}
    source4 = {"index": 0, "id": "v", "video_url": "http://x/v.mp4", "captions": words}
    job4 = parse_worker_job({**base, "operation": "caption", "items": [source4]})
    assert isinstance(job4, CaptionJob) and job4.items[0].captions.kind() == "words"
    scenes = [{"image_url": "http://x/a.jpg", "duration": 2}]
    options = {"render": {"width": 320, "height": 180, "fps": 30}}
    job5 = parse_worker_job(
        {**base, "operation": "compose", "items": [{"index": 0, "id": "v", "scenes": scenes}]}
        | {"options": options}
    )
    assert isinstance(job5, ComposeJob) and job5.options.render.fps == 30


def test_an_unknown_operation_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(InputError, match="'img2vid', 'concatenate', 'audio', 'caption', 'compose'"):
        parse_worker_job({"operation": "spin", "job_id": "j", "items": []})


def test_an_older_apis_render_block_is_read_as_options() -> None:
    image = {"index": 0, "id": "a", "image_url": "http://x/a.jpg", "duration": 1}
    job = parse_worker_job(
        {"operation": "img2vid", "job_id": "j", "items": [image], "render": {"fps": 12}}
    )
    assert isinstance(job, Img2VidJob) and job.options.fps == 12
