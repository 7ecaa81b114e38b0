"""probe_media: what a file holds, read at run time; and what it seems to be when not media."""

from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path

import pytest

from framecast.config import EncoderConfig
from framecast.errors import RenderError
from framecast.render.encode import ffmpeg_binary
from framecast.render.probe import probe, probe_media


def ffmpeg(path: Path, *arguments: str) -> Path:
    command = [ffmpeg_binary(EncoderConfig()), "-hide_banner", "-nostdin", "-loglevel", "error"]
    subprocess.run([*command, *arguments, "-y", str(path)], check=True)
    return path


def clip(path: Path, size: str = "320x180", rate: str = "25", *extra: str) -> Path:
    """A 1 s testsrc2 clip, libx264 High, with ``extra`` options (audio, filters…)."""
    video = ["-f", "lavfi", "-i", f"testsrc2=s={size}:r={rate}:d=1"]
    codec = ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"]
    return ffmpeg(path, *video, *extra, *codec)


def test_a_video_with_audio(tmp_path: Path) -> None:
    sine = ["-f", "lavfi", "-i", "sine=f=440:r=44100:d=1", "-c:a", "aac", "-ac", "2"]
    info = probe_media(clip(tmp_path / "a.mp4", "320x180", "30000/1001", *sine))
    video, audio = info.video, info.audio
    assert info.format.startswith("mov,mp4") and info.is_video and info.has_audio
    assert video is not None and audio is not None
    assert (video.codec, video.profile, video.pix_fmt) == ("h264", "High", "yuv420p")
    assert (video.width, video.height, video.sample_aspect_ratio) == (320, 180, 1)
    assert video.fps == Fraction(30000, 1001) and isinstance(video.time_base, Fraction)
    assert video.frames == 30  # 1 s at 29.97: frames 0..29
    assert video.duration == pytest.approx(30 * 1001 / 30000)
    assert (video.rotation, video.display_size) == (0, (320, 180))
    assert (audio.codec, audio.sample_rate, audio.channels, audio.layout) == (
        "aac",
        44100,
        2,
        "stereo",
    )
    assert audio.duration == pytest.approx(1.0, abs=0.03)


def test_a_video_without_audio(tmp_path: Path) -> None:
    info = probe_media(clip(tmp_path / "v.mp4"))
    assert (info.has_audio, info.audio, len(info.videos)) == (False, None, 1)


def test_frames_are_counted_where_the_container_keeps_no_index(tmp_path: Path) -> None:
    info = probe_media(clip(tmp_path / "v.mkv", "160x90", "24"))
    assert info.video is not None and (info.video.frames, info.video.duration) == (24, 1.0)


def test_rotation_and_sample_aspect_ratio_give_the_shown_size(tmp_path: Path) -> None:
    upright = clip(tmp_path / "u.mp4")
    turned = ffmpeg(tmp_path / "r.mp4", "-display_rotation", "90", "-i", str(upright), "-c", "copy")
    wide = clip(tmp_path / "w.mp4", "320x180", "25", "-vf", "setsar=4/3")
    rotated, anamorphic = probe_media(turned).video, probe_media(wide).video
    assert rotated is not None and (rotated.rotation, rotated.display_size) == (90, (180, 320))
    assert anamorphic is not None and anamorphic.sample_aspect_ratio == Fraction(4, 3)
    assert anamorphic.display_size == (427, 180)


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])  # MKV keeps no stream durations
def test_a_picture_that_starts_after_its_sound_says_when(tmp_path: Path, suffix: str) -> None:
    late = ["-itsoffset", "0.5", "-i", str(clip(tmp_path / "v.mp4")), "-f", "lavfi", "-i", "sine"]
    path = ffmpeg(tmp_path / f"late{suffix}", *late, "-c:v", "copy", "-c:a", "aac", "-t", "1.5")
    video = probe_media(path).video
    on_time = probe_media(tmp_path / "v.mp4").video
    assert video is not None and on_time is not None and on_time.start == 0
    assert (video.start, video.duration) == pytest.approx((0.5, 1.0), abs=0.03)


def test_an_image_is_media_but_not_a_video(tmp_path: Path) -> None:
    photo = ffmpeg(tmp_path / "p.jpg", "-f", "lavfi", "-i", "color=red:s=64x48", "-frames:v", "1")
    info = probe_media(photo)
    assert (info.is_image, info.is_video, info.description()) == (True, False, "a JPEG image")


def test_audio_only_and_cover_art(tmp_path: Path) -> None:
    sine = ["-f", "lavfi", "-i", "sine=d=1", "-f", "lavfi", "-i", "color=red:s=64x64:d=1"]
    art = ["-map", "0", "-map", "1", "-c:v", "mjpeg", "-disposition:v", "attached_pic"]
    info = probe_media(ffmpeg(tmp_path / "song.mp3", *sine, *art, "-c:a", "libmp3lame"))
    assert (info.videos, info.is_video, info.description()) == ((), False, "audio only (mp3)")


@pytest.mark.parametrize(
    ("body", "seems"),
    [
        (b"<!DOCTYPE html>\n<html><body>Not found</body></html>", "it looks like an HTML page"),
        (b'{"error": "expired"}', "it looks like JSON"),
        (b"%PDF-1.7\n...", "it looks like a PDF document"),
        (b"", "it is empty"),
        (b"just some words\n", "it looks like plain text"),
        (
            b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + bytes(64),
            "it looks like an MP4, MOV or Matroska file cut short or damaged",
        ),
        (bytes(range(200, 256)), "unrecognised data (it starts with c8 c9 ca cb"),
    ],
)
def test_a_file_that_is_not_media_says_what_it_seems_to_be(
    tmp_path: Path, body: bytes, seems: str
) -> None:
    path = tmp_path / "download"
    path.write_bytes(body)
    with pytest.raises(RenderError, match=r"^download is not a media file: ") as error:
        probe_media(path)
    assert seems in error.value.message


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match=r"^gone\.mp4 does not exist$"):
        probe_media(tmp_path / "gone.mp4")


def test_probe_still_describes_the_first_video_stream(tmp_path: Path) -> None:
    info = probe(clip(tmp_path / "v.mp4", "160x90", "24", "-movflags", "+faststart"))
    assert (info.width, info.height, info.frames, info.faststart) == (160, 90, 24, True)
