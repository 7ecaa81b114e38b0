"""How a clip's motion is chosen: its own options over the job's, and the cross-field rules."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from framecast.contracts.img2vid import ImageItem
from framecast.contracts.render import RenderBlock
from framecast.errors import InputError, describe_validation_errors
from framecast.render.motion import RandomPick, Rect
from framecast.worker.ops.img2vid import render_spec

REGION = {"x": 0.1, "y": 0.1, "w": 0.5, "h": 0.5}


def item(index: int = 0, **options: object) -> ImageItem:
    return ImageItem(index=index, id=f"i{index}", image_url="http://x/a.jpg", duration=1, **options)


def test_defaults_are_the_original_zoom_in_cover_1080p24():
    spec = render_spec(RenderBlock(), item())
    assert (spec.width, spec.height, spec.fps, spec.fit, spec.background) == (
        1920,
        1080,
        24.0,
        "cover",
        (0, 0, 0),
    )
    assert (spec.motion.move, spec.motion.zoom, spec.motion.easing) == ("zoom_in", 1.25, "linear")


def test_an_old_render_block_still_validates():
    assert RenderBlock.model_validate({"width": 640, "height": 360, "fps": 24, "zoom": 1.5})


def test_item_options_override_the_job_defaults_one_by_one():
    block = RenderBlock(motion="pan_left", zoom=1.5, easing="ease_in_out", fit="blur")
    spec = render_spec(block, item(motion="zoom_out", background="#FF8000"))
    assert (spec.motion.move, spec.motion.zoom, spec.motion.easing) == (
        "zoom_out",
        1.5,
        "ease_in_out",
    )
    assert (spec.fit, spec.background) == ("blur", (255, 128, 0))


def test_item_start_and_end_win_over_the_job_motion():
    spec = render_spec(RenderBlock(motion="pan_up"), item(start=REGION, end=REGION))
    assert spec.motion.start == Rect(0.1, 0.1, 0.5, 0.5)


def test_item_motion_wins_over_job_start_and_end():
    spec = render_spec(RenderBlock(start=REGION, end=REGION), item(motion="static"))
    assert (spec.motion.move, spec.motion.start) == ("static", None)


def test_random_is_reproducible_and_varies_per_item():
    block = RenderBlock(motion="random", seed=42)
    picks = [render_spec(block, item(i), i).motion.move for i in range(8)]
    assert picks == [render_spec(block, item(i), i).motion.move for i in range(8)]
    assert len(set(picks)) > 2


def test_random_picks_from_the_allowed_list():
    block = RenderBlock(motion="random", motions=["zoom_out", "static"], seed=1)
    assert {render_spec(block, item(i), i).motion.move for i in range(10)} == {"zoom_out", "static"}


@pytest.mark.parametrize(
    ("block", "options", "message"),
    [
        ({}, {"start": REGION}, r"images\[3\]\.end: start and end go together"),
        ({"motion": "static", "start": REGION, "end": REGION}, {}, "^motion: give either"),
    ],
)
def test_contradictions_are_refused_naming_the_field(block, options, message):
    with pytest.raises(InputError, match=message):
        render_spec(RenderBlock(**block), item(3, **options), 3)


@pytest.mark.parametrize(
    ("block", "options"),
    [({"motion": "pan_left", "zoom": 1.0}, {}), ({}, {"motion": "pan_up", "zoom": 1.0})],
)
def test_a_pan_at_zoom_1_is_left_to_the_image_to_judge(block, options):
    # Whether it has room depends on the image's aspect, which only the worker knows.
    assert render_spec(RenderBlock(**block), item(3, **options), 3).motion.zoom == 1.0


def test_random_s_pick_carries_what_it_picked_from():
    block = RenderBlock(motion="random", motions=["pan_up", "zoom_in"], seed=5, zoom=1.0)
    motion = render_spec(block, item(2), 2).motion
    assert motion.random == RandomPick(("pan_up", "zoom_in"), 5, 2)
    assert motion.move in ("pan_up", "zoom_in")


def test_random_with_zoom_1_is_fine_without_pans():
    block = RenderBlock(motion="random", motions=["zoom_in", "static"], zoom=1.0)
    assert render_spec(block, item()).motion.move in {"zoom_in", "static"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"motion": "spin"}, 'motion: must be one of zoom_in, zoom_out, .*random; got "spin"'),
        ({"easing": "bounce"}, 'easing: must be one of linear, ease_in_out; got "bounce"'),
        ({"fit": "stretch"}, 'fit: must be one of cover, contain, blur; got "stretch"'),
        ({"background": "red"}, 'background: must be a colour "#RRGGBB"; got "red"'),
        ({"motions": ["random"]}, r'motions\[0\]: must be one of .*static; got "random"'),
        ({"start": {"x": 0.6, "y": 0, "w": 0.5, "h": 0.5}}, r"x \+ w must be at most 1"),
        ({"width": 3840, "height": 3840}, "at most 3840 × 2160 pixels"),
    ],
)
def test_bad_values_name_the_field_and_the_allowed_values(fields, message):
    with pytest.raises(ValidationError) as caught:
        RenderBlock.model_validate(fields)
    assert re.search(message, describe_validation_errors(caught.value.errors()))


def test_portrait_4k_is_allowed():
    assert RenderBlock(width=2160, height=3840).width == 2160
