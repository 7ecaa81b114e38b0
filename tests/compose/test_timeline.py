"""The timeline: scene starts and lengths on the frame grid, overlaps, segments."""

from __future__ import annotations

import json

import pytest

from framecast.compose.timeline import SceneTime, build_timeline
from framecast.compose.video import MAX_WARNINGS, capped, scenes_done
from framecast.contracts.upload_urls import RESULT_HEADER_MAX_BYTES
from framecast.errors import InputError


def test_cuts_place_scenes_end_to_end_and_the_tail_extends_the_last() -> None:
    timeline = build_timeline([SceneTime(2.0), SceneTime(1.5), SceneTime(3.0)], 30, tail=0.5)
    assert [s.start_frame for s in timeline.slots] == [0, 60, 105]
    assert [s.frames for s in timeline.slots] == [60, 45, 105]  # 3.0 s + 0.5 s of tail
    assert timeline.frames == round((2.0 + 1.5 + 3.0 + 0.5) * 30)
    assert timeline.duration == pytest.approx(7.0)
    assert timeline.cut_points() == [60, 105]


def test_transitions_overlap_the_scene_before_and_shorten_the_video() -> None:
    scenes = [SceneTime(2.0), SceneTime(2.0, 0.5, "fade"), SceneTime(2.0, 0.4, "wipeleft")]
    timeline = build_timeline(scenes, 30, tail=0.0)
    first, second, third = timeline.slots
    assert second.start_frame == 45 and second.transition_frames == 15
    assert third.start_frame == 45 + 60 - 12 and third.transition_frames == 12
    assert (second.transition, third.transition) == ("fade", "wipeleft")
    # Σ lengths − Σ transitions + tail, in frames.
    assert timeline.frames == round((6.0 - 0.9) * 30)
    # A narration starts once its scene has come in.
    assert second.narration_start == pytest.approx(2.0)
    assert third.narration_start == pytest.approx(1.5 + 2.0)
    # Segments may start only where a scene is seen alone.
    assert timeline.cut_points() == [60, 105]
    assert timeline.shown_at(50) == [(first, 50), (second, 5)]
    assert timeline.shown_at(60) == [(second, 15)]


def test_no_drift_over_many_scenes_at_a_fractional_rate() -> None:
    fps = 30000 / 1001
    scenes = [SceneTime(1.2345)] + [SceneTime(1.2345, 0.3, "fade")] * 299
    timeline = build_timeline(scenes, fps, tail=0.0)
    for slot in timeline.slots:
        assert abs(slot.start_frame - slot.start * fps) <= 0.5
    assert timeline.frames == round((300 * 1.2345 - 299 * 0.3) * fps)
    ends = [s.end_frame for s in timeline.slots]
    assert ends == sorted(ends)


def test_a_scene_its_transitions_leave_no_frame_of_its_own_is_refused() -> None:
    scenes = [SceneTime(2.0), SceneTime(0.8, 0.5, "fade"), SceneTime(2.0, 0.5, "fade")]
    with pytest.raises(InputError, match=r"scenes\[1\]: 0.800 s is too short"):
        build_timeline(scenes, 30, tail=0.0)


def test_segments_cut_near_even_shares_at_cut_points_only() -> None:
    scenes = [SceneTime(3.0)] + [SceneTime(3.0, 1.0, "fade")] * 5  # 16 s, 480 frames
    timeline = build_timeline(scenes, 30, tail=0.0)
    two = timeline.segments(2)
    assert two[0].start == 0 and two[-1].stop == timeline.frames
    assert two[0].stop in timeline.cut_points()
    assert abs(len(two[0]) - len(two[1])) <= 60
    assert timeline.segments(1) == [range(0, timeline.frames)]
    # More segments than places to cut: as many as there are.
    assert len(timeline.segments(50)) == len(timeline.cut_points()) + 1
    single = build_timeline([SceneTime(5.0)], 30, tail=0.0)
    assert single.segments(4) == [range(0, 150)]


def test_public_shape() -> None:
    timeline = build_timeline([SceneTime(1.0), SceneTime(1.0, 0.5, "fade")], 24, tail=0.5)
    shown = timeline.public()
    assert shown["frames"] == timeline.frames and shown["fps"] == 24
    assert shown["scenes"][1] == {
        "index": 1,
        "start": 0.5,
        "length": 1.5,
        "start_frame": 12,
        "frames": 36,
        "transition": "fade",
        "transition_frames": 12,
        "narration_start": 1.0,
    }


def test_the_result_of_the_longest_compose_fits_the_result_header() -> None:
    # 500 scenes of 7.123 s at 29.97 fps (an hour), every warning slot used: the result
    # travels in X-Framecast-Result, so it must stay under its limit.
    timeline = build_timeline([SceneTime(7.123, 0.5, "fade")] * 500, 30000 / 1001, tail=0.5)
    result = {
        "duration": timeline.duration,
        "width": 1080,
        "height": 1920,
        "fps": timeline.fps,
        "frames": timeline.frames,
        "encode_passes": 1,
        "timeline": timeline.summary(),
        "segments": 16,
        "loudness": {"integrated_lufs": -14.02, "true_peak_db": -1.21, "lra": 3.4},
        "font": {"family": "Montserrat", "weight": 800, "file": "Montserrat[wght].ttf"},
        "pages": 9999,
        "words": 49999,
        "warnings": capped(["scenes[499].image_url: " + "x" * 150] * 500),
    }
    assert len(result["warnings"]) == MAX_WARNINGS
    assert len(json.dumps(result, separators=(",", ":")).encode()) < RESULT_HEADER_MAX_BYTES


def test_scenes_done_counts_scenes_whose_every_frame_is_made() -> None:
    scenes = [SceneTime(1.5)] + [SceneTime(1.5, 0.5, "fade")] * 3  # 135 frames at 30 fps
    timeline = build_timeline(scenes, 30, tail=0.0)
    # Scene frames: 0–45, 30–75, 60–105, 90–135; segments cut where a scene is seen alone.
    ranges = [range(0, 45), range(45, 135)]
    assert 45 in timeline.cut_points()
    assert scenes_done(timeline, ranges, [0, 0]) == 0
    assert scenes_done(timeline, ranges, [45, 0]) == 1  # scene 1 runs on into segment 2
    assert scenes_done(timeline, ranges, [45, 30]) == 2
    assert scenes_done(timeline, ranges, [44, 90]) == 2  # scenes 0 and 1 miss frame 44
    assert scenes_done(timeline, ranges, [45, 90]) == 4
