"""compose's request: what is refused before a job exists, each error naming the scene and
the field; what the worker item carries."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from framecast.config import Settings
from framecast.contracts.compose import ComposeCreate, plan_compose
from framecast.errors import InputError

IMAGE = "http://media.example/a.jpg"
VOICE = "http://media.example/a.mp3"


def plan(**body: Any) -> Any:
    return plan_compose(ComposeCreate.model_validate(body), Settings())


def test_a_plan_carries_checked_scenes_and_resolved_transitions() -> None:
    planned = plan(
        aspect="9:16",
        fps=30,
        transition={"type": "fade", "duration": 0.4},
        scenes=[
            {"image_url": IMAGE, "narration_url": VOICE, "motion": "pan_left"},
            {"image_url": IMAGE, "duration": 2.5, "transition": {"type": "none"}},
            {"video_url": "http://media.example/v.mp4", "trim_start": 2, "duration": 3},
        ],
        music={"url": "http://media.example/m.mp3", "duck": {"depth_db": 10}},
        loudness="youtube",
    )
    (item,) = planned.items
    scenes = item.source["scenes"]
    assert "transition" not in scenes[0] and "transition" not in scenes[1]  # first; none: a cut
    assert scenes[2]["transition"] == {"type": "fade", "duration": 0.4}
    assert item.source["music"]["url"] == "http://media.example/m.mp3"
    render = planned.options["render"]
    assert (render["width"], render["height"], render["fps"]) == (1080, 1920, 30)
    assert planned.options["loudness"] == {"target_lufs": -14.0, "true_peak_db": -1.0}


@pytest.mark.parametrize(
    ("scenes", "message"),
    [
        ([{"image_url": IMAGE}], r"scenes\[0\]: give duration \(seconds\) or narration_url"),
        (
            [{"image_url": IMAGE, "video_url": IMAGE, "duration": 1}],
            r"scenes\[0\]: give image_url or video_url \(one of them\); got both",
        ),
        ([{"duration": 1}], r"scenes\[0\]: give image_url or video_url"),
        (
            [{"image_url": IMAGE, "duration": 1, "transition": {"type": "fade"}}],
            r"scenes\[0\]\.transition: the first scene has no scene before it",
        ),
        (
            [{"image_url": IMAGE, "duration": 1}, {"video_url": IMAGE, "zoom": 1.5}],
            r"scenes\[1\]\.zoom: a video scene plays as it is",
        ),
        (
            [{"image_url": IMAGE, "duration": 1, "words": [{"word": "a", "start": 0, "end": 1}]}],
            r"scenes\[0\]\.words: times of a narration; this scene has no narration_url",
        ),
        (
            [{"image_url": IMAGE, "duration": 1, "start": {"x": 0, "y": 0, "w": 1, "h": 1}}],
            r"scenes\[0\]\.end: start and end go together",
        ),
        (
            [{"image_url": "ftp://x/a.jpg", "duration": 1}],
            r"scenes\[0\]\.image_url: ",
        ),
        (
            [{"image_url": IMAGE, "narration_url": ["http://x/1.mp3", "ftp://x/2.mp3"]}],
            r"scenes\[0\]\.narration_url\[1\]: ",
        ),
        (
            [{"image_url": IMAGE, "duration": 1, "trim_start": 1}],
            r"scenes\[0\]\.trim_start: only video scenes are trimmed",
        ),
    ],
)
def test_bad_scenes_are_refused_naming_the_scene_and_field(
    scenes: list[dict[str, Any]], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        plan(scenes=scenes)


def test_an_unknown_transition_names_the_scene_the_field_and_the_choices() -> None:
    with pytest.raises(ValidationError) as caught:
        ComposeCreate.model_validate(
            {
                "scenes": [
                    {"image_url": IMAGE, "duration": 1},
                    {"image_url": IMAGE, "duration": 1, "transition": {"type": "spin"}},
                ]
            }
        )
    (error,) = caught.value.errors()
    assert error["loc"] == ("scenes", 1, "transition", "type")
    assert "fade" in error["msg"] and "slideleft" in error["msg"]


def test_music_and_captions_rules() -> None:
    still = [{"image_url": IMAGE, "duration": 1}]
    with pytest.raises(InputError, match=r"music\.duck: no scene has a narration_url"):
        plan(scenes=still, music={"url": VOICE, "duck": {}})
    with pytest.raises(InputError, match=r"captions: nothing to caption"):
        plan(scenes=still, captions={"style": {"preset": "karaoke"}})
    with pytest.raises(InputError, match=r"captions: give at most one of srt, vtt, ass"):
        plan(
            scenes=still,
            captions={
                "srt": "1\n00:00:00,000 --> 00:00:01,000\nhi",
                "words": [{"word": "a", "start": 0, "end": 1}],
            },
        )
    with pytest.raises(InputError, match=r"captions\.style\.font: no bundled family 'Comic'"):
        plan(scenes=still, captions={"srt": "x", "style": {"font": "Comic"}})
    planned = plan(scenes=still, captions={"srt": "http://media.example/s.srt"})
    assert planned.items[0].source["captions_url"] == "http://media.example/s.srt"


def test_the_deadline_allows_for_the_known_frames_and_each_scene() -> None:
    short = plan(scenes=[{"image_url": IMAGE, "duration": 1}])
    long = plan(scenes=[{"image_url": IMAGE, "duration": 600}] * 3)
    assert long.allowance_seconds > short.allowance_seconds + 600


def test_a_video_longer_than_four_hours_is_refused() -> None:
    with pytest.raises(InputError, match=r"scenes: the video would last 14401 s; at most 14400"):
        plan(scenes=[{"image_url": IMAGE, "duration": 600}] * 24, tail=1)
    plan(scenes=[{"image_url": IMAGE, "duration": 600}] * 24, tail=0)  # exactly four hours
