"""Joining videos: stream copy when the inputs allow it, else one exact re-encode; measured
with PyAV. Media is made here, with ffmpeg's lavfi sources and our ClipEncoder."""

from __future__ import annotations

import itertools
import subprocess
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from framecast.config import EncoderConfig
from framecast.errors import RenderError
from framecast.render.concat import (
    ConcatInput,
    ConcatResult,
    ConcatSpec,
    Transition,
    concatenate,
)
from framecast.render.encode import ClipEncoder, ffmpeg_binary
from framecast.render.ffmpeg import FfmpegStopped
from framecast.render.probe import probe, probe_media

CONFIG = EncoderConfig(encoder="x264")
MAKE = EncoderConfig(encoder="x264", x264_preset="ultrafast")  # for test media: quick


def ffmpeg(*arguments: str) -> None:
    command = [ffmpeg_binary(CONFIG), "-hide_banner", "-nostdin", "-loglevel", "error"]
    subprocess.run([*command, *arguments], check=True)


def lavfi_clip(path: Path, video: str, audio: str | None = None, seconds: float = 1.0) -> Path:
    """A clip of lavfi ``video`` (and ``audio``) lasting ``seconds``."""
    inputs = ["-f", "lavfi", "-i", video]
    if audio:
        inputs += ["-f", "lavfi", "-i", audio]
    codecs = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"]
    ffmpeg(*inputs, *codecs, "-t", str(seconds), "-y", str(path))
    return path


def encoded_clip(
    path: Path, planes: list[np.ndarray], fps: float, config: EncoderConfig = MAKE
) -> Path:
    """A clip of our encoder from Y planes (grey: U and V are 128)."""
    height, width = planes[0].shape
    chroma = np.full(width * height // 2, 128, np.uint8).tobytes()
    with ClipEncoder(config, path, width, height, fps) as encoder:
        for y in planes:
            encoder.write(y.tobytes() + chroma)
    return path


def frames_of(path: Path) -> list[np.ndarray]:
    """Every decoded frame of ``path``'s video, as the raw yuv420p planes."""
    with av.open(str(path)) as container:
        return [frame.to_ndarray() for frame in container.decode(video=0)]


def rgb_frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def packet_times(path: Path) -> list[Fraction]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return sorted(
            p.pts * stream.time_base for p in container.demux(stream) if p.pts is not None
        )


def audio_samples(path: Path) -> tuple[np.ndarray, int]:
    """The first audio stream, decoded: (samples × channels floats, sample rate)."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        chunks = [f.to_ndarray() for f in container.decode(stream)]
        return np.concatenate(chunks, axis=1).T, stream.sample_rate


def level_planes(count: int, width: int = 160, height: int = 90) -> list[np.ndarray]:
    """Flat grey frames whose level says their number: frame k is 20 + 4k."""
    return [np.full((height, width), 20 + 4 * k, np.uint8) for k in range(count)]


def beep(at: float, seconds: float) -> str:
    """lavfi audio: silence with a 0.1 s 1 kHz beep from ``at`` (sharp to the ms: 1 ms frames)."""
    tone = f"sine=f=1000:r=48000:d={seconds}:samples_per_frame=48"
    return f"{tone},volume='between(t,{at},{at + 0.1})':eval=frame"


def beep_onsets(path: Path, count: int, period: float = 1.0, at: float = 0.5) -> list[float]:
    """Where the beep of each ``period`` is heard, in seconds after the time it was meant for,
    counting the decoded sound from its start as a player plays it."""
    samples, rate = audio_samples(path)
    loud = np.abs(samples[:, 0]) > 0.05
    onsets = []
    for k in range(count):
        low = round((k * period + at - 0.3) * rate)
        heard = np.flatnonzero(loud[low : low + round(0.6 * rate)])
        onsets.append((low + heard[0]) / rate - k * period - at if heard.size else float("nan"))
    return onsets


# -- stream copy ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def same_clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three clips as one img2vid job makes them (H.264 High, B-frames): same encoder, size and
    rate; 10, 7, 12 frames of seeded noise, so every frame differs."""
    folder = tmp_path_factory.mktemp("same")
    rng = np.random.default_rng(7)
    return [
        encoded_clip(
            folder / f"clip {i}'s.mp4",  # quotes and spaces survive the concat list
            [rng.integers(16, 235, (90, 160), np.uint8) for _ in range(count)],
            24.0,
            CONFIG,
        )
        for i, count in enumerate((10, 7, 12))
    ]


@pytest.fixture(scope="module")
def copied(
    same_clips: list[Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, ConcatResult]:
    output = tmp_path_factory.mktemp("copied") / "joined.mp4"
    result = concatenate([ConcatInput(p) for p in same_clips], ConcatSpec(), output, CONFIG)
    return output, result


def test_clips_of_one_job_are_joined_by_copy(copied: tuple[Path, ConcatResult]) -> None:
    assert copied[1].mode == "copy"


def test_copy_is_bit_exact(same_clips: list[Path], copied: tuple[Path, ConcatResult]) -> None:
    expected = [frame for clip in same_clips for frame in frames_of(clip)]
    joined = frames_of(copied[0])
    assert len(joined) == len(expected) == 29
    assert all(np.array_equal(a, b) for a, b in zip(joined, expected, strict=True))


def test_copy_reports_exact_cuts_and_length(copied: tuple[Path, ConcatResult]) -> None:
    output, result = copied
    assert result.cuts == pytest.approx([0.0, 10 / 24, 17 / 24], abs=1e-6)
    assert result.duration == pytest.approx(29 / 24, abs=1e-6)
    assert (result.width, result.height, result.fps, result.has_audio) == (160, 90, 24.0, False)
    times = packet_times(output)
    assert times == [Fraction(k, 24) for k in range(29)]  # no gap or overlap at the cuts
    assert probe(output).faststart


def test_copy_keeps_audio_or_mutes_it(tmp_path: Path) -> None:
    clips = [
        lavfi_clip(tmp_path / f"a{i}.mp4", "testsrc2=s=160x90:r=24", f"sine=f={440 * (i + 1)}")
        for i in range(2)
    ]
    kept = concatenate([ConcatInput(p) for p in clips], ConcatSpec(), tmp_path / "k.mp4", CONFIG)
    muted = concatenate(
        [ConcatInput(p) for p in clips], ConcatSpec(audio="mute"), tmp_path / "m.mp4", CONFIG
    )
    assert (kept.mode, kept.has_audio, probe_media(tmp_path / "k.mp4").has_audio) == (
        "copy",
        True,
        True,
    )
    assert (muted.mode, muted.has_audio, probe_media(tmp_path / "m.mp4").has_audio) == (
        "copy",
        False,
        False,
    )


@pytest.fixture(scope="module")
def beeping(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ConcatResult]:
    """Three copies of a 1 s clip with AAC sound that beeps at 0.5 s, joined in mode auto."""
    folder = tmp_path_factory.mktemp("beeping")
    clip = lavfi_clip(folder / "beep.mp4", "testsrc2=s=160x90:r=25", beep(0.5, 1.0))
    output = folder / "joined.mp4"
    return output, concatenate([ConcatInput(clip)] * 3, ConcatSpec(), output, CONFIG)


def test_copy_keeps_each_clips_sound_under_its_picture(
    beeping: tuple[Path, ConcatResult],
) -> None:
    output, result = beeping
    assert result.mode == "copy"
    # Copied AAC packets would repeat each file's encoder delay: ~24 ms later at every cut.
    assert beep_onsets(output, 3) == pytest.approx([0.0] * 3, abs=0.002)


def test_copy_with_sound_starts_the_picture_at_zero(beeping: tuple[Path, ConcatResult]) -> None:
    assert packet_times(beeping[0]) == [Fraction(k, 25) for k in range(75)]


def test_copy_holds_no_frame_where_a_sound_outlasts_its_picture(tmp_path: Path) -> None:
    clip = tmp_path / "long_sound.mp4"
    ffmpeg(
        *("-f", "lavfi", "-i", "testsrc2=s=160x90:r=25:d=1", "-f", "lavfi", "-i", "sine=d=1.5"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"),
        *("-y", str(clip)),
    )
    output = tmp_path / "joined.mp4"
    result = concatenate([ConcatInput(clip)] * 3, ConcatSpec(), output, CONFIG)
    assert (result.mode, result.cuts, result.duration) == ("copy", [0.0, 1.0, 2.0], 3.0)
    assert packet_times(output) == [Fraction(k, 25) for k in range(75)]
    sound = probe_media(output).audio
    assert sound is not None and sound.duration == pytest.approx(3.0, abs=1 / 25)


def test_copy_joins_pictures_whatever_their_sound(tmp_path: Path) -> None:
    picture = lavfi_clip(tmp_path / "silent.mp4", "testsrc2=s=160x90:r=25")
    mono = tmp_path / "mono.mp4"
    ffmpeg(
        *("-i", str(picture), "-f", "lavfi", "-i", "sine=r=8000:d=1", "-c:v", "copy"),
        *("-c:a", "aac", "-ac", "1", "-y", str(mono)),
    )
    output = tmp_path / "joined.mp4"
    result = concatenate([ConcatInput(mono), ConcatInput(picture)], ConcatSpec(), output, CONFIG)
    sound = probe_media(output).audio
    assert (result.mode, result.has_audio) == ("copy", True)
    assert sound is not None and (sound.sample_rate, sound.channels) == (48000, 2)


def test_mode_copy_names_the_first_difference(same_clips: list[Path], tmp_path: Path) -> None:
    bigger = encoded_clip(tmp_path / "big.mp4", level_planes(5, 320, 180), 24.0, CONFIG)
    inputs = [ConcatInput(same_clips[0]), ConcatInput(bigger)]
    with pytest.raises(RenderError) as error:
        concatenate(inputs, ConcatSpec(mode="copy"), tmp_path / "out.mp4", CONFIG)
    assert error.value.message == (
        "mode copy: videos[1] differs from videos[0] in size (320x180, not 160x90);"
        " use mode auto or reencode"
    )
    assert not (tmp_path / "out.mp4").exists()


# -- re-encode: mixed sources ---------------------------------------------------------------

MIXED_FRAMES = (30, 36, 25)  # round(length × 30) of 1.0 s @ 25, 1.2 s @ 30, 20 frames @ 24


def circle_planes(count: int, width: int, height: int, radius: int) -> list[np.ndarray]:
    """Black frames with a white filled circle in the middle."""
    yy, xx = np.mgrid[0:height, 0:width]
    inside = (xx - width / 2 + 0.5) ** 2 + (yy - height / 2 + 0.5) ** 2 <= radius**2
    plane = np.where(inside, 235, 16).astype(np.uint8)
    return [plane] * count


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ConcatResult]:
    """Portrait 360x640 @ 25 with a circle and 44.1 kHz mono audio, landscape 640x360 @ 30
    with 48 kHz audio, and a 320x240 @ 24 clip without audio, joined at 640x360 @ 30, contain."""
    folder = tmp_path_factory.mktemp("mixed")
    silent_circle = encoded_clip(folder / "c.mp4", circle_planes(25, 360, 640, 120), 25.0)
    portrait = folder / "portrait.mp4"
    ffmpeg(
        *("-i", str(silent_circle), "-f", "lavfi", "-i", "sine=f=440:r=44100:d=1"),
        *("-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-ac", "1"),
        *("-y", str(portrait)),
    )
    landscape = lavfi_clip(
        folder / "landscape.mp4", "testsrc2=s=640x360:r=30", "sine=f=660:r=48000", 1.2
    )
    mute = lavfi_clip(folder / "mute.mp4", "testsrc2=s=320x240:r=24", seconds=20 / 24)
    output = folder / "mixed.mp4"
    spec = ConcatSpec(width=640, height=360, fps=30, fit="contain")
    inputs = [ConcatInput(portrait), ConcatInput(landscape), ConcatInput(mute)]
    return output, concatenate(inputs, spec, output, CONFIG)


def test_mixed_sources_are_reencoded_to_the_asked_frame(mixed: tuple[Path, ConcatResult]) -> None:
    output, result = mixed
    info = probe(output)
    assert result.mode == "reencode"
    assert (info.codec, info.profile, info.pix_fmt) == ("h264", "High", "yuv420p")
    assert (info.width, info.height) == (640, 360) == (result.width, result.height)
    assert (info.color_primaries, info.color_trc, info.colorspace) == (1, 1, 1)  # BT.709
    assert info.faststart


def test_mixed_output_is_constant_frame_rate(mixed: tuple[Path, ConcatResult]) -> None:
    times = packet_times(mixed[0])
    assert set(np.diff(times)) == {Fraction(1, 30)}


def test_mixed_frame_count_is_exact(mixed: tuple[Path, ConcatResult]) -> None:
    output, result = mixed
    assert len(frames_of(output)) == sum(MIXED_FRAMES) == 91
    assert result.duration == pytest.approx(91 / 30)
    assert result.cuts == pytest.approx([0.0, 30 / 30, 66 / 30])


def test_mixed_audio_lasts_as_long_as_the_video(mixed: tuple[Path, ConcatResult]) -> None:
    info = probe_media(mixed[0])
    assert info.audio is not None and info.video is not None
    assert (info.audio.sample_rate, info.audio.channels, info.audio.codec) == (48000, 2, "aac")
    assert info.audio.duration == pytest.approx(info.video.duration, abs=1 / 30)


def test_mixed_audio_is_heard_where_the_inputs_had_sound(mixed: tuple[Path, ConcatResult]) -> None:
    output, result = mixed
    samples, rate = audio_samples(output)
    bounds = [*result.cuts, result.duration]
    rms = []
    for start, end in itertools.pairwise(bounds):
        part = samples[round((start + 0.05) * rate) : round((end - 0.05) * rate)]
        rms.append(float(np.sqrt(np.mean(part**2))))
    assert rms[0] > 0.03 and rms[1] > 0.03  # sine at 1/8 amplitude: RMS 0.088
    assert rms[2] < 1e-4  # the clip without audio is silence


def test_contain_never_stretches(mixed: tuple[Path, ConcatResult]) -> None:
    y = frames_of(mixed[0])[15][:360]  # the portrait circle, contained in landscape
    rows, columns = np.nonzero(y > 128)
    width, height = np.ptp(columns) + 1, np.ptp(rows) + 1
    assert width / height == pytest.approx(1.0, abs=0.03)
    assert height == pytest.approx(240 * 360 / 640, abs=3)  # scaled as the whole frame is
    assert abs((columns.min() + columns.max()) / 2 - 319.5) < 2  # centred


# -- re-encode: transitions and trims --------------------------------------------------------


@pytest.fixture(scope="module")
def colours(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Red, green and blue clips, 2.0 s @ 24 fps, no audio."""
    folder = tmp_path_factory.mktemp("colours")
    return [
        lavfi_clip(folder / f"{c}.mp4", f"color=c={c}:s=160x90:r=24", seconds=2.0)
        for c in ("red", "green", "blue")
    ]


def test_transitions_overlap_their_neighbours(colours: list[Path], tmp_path: Path) -> None:
    fade = Transition("fade", 0.5)
    inputs = [ConcatInput(colours[0])] + [ConcatInput(c, transition=fade) for c in colours[1:]]
    output = tmp_path / "faded.mp4"
    result = concatenate(inputs, ConcatSpec(), output, CONFIG)
    frames = rgb_frames(output)
    assert (result.mode, len(frames), result.has_audio) == ("reencode", 120, False)
    assert result.cuts == pytest.approx([0.0, 1.5, 3.0])
    assert probe(output).duration == pytest.approx(5.0, abs=1 / 24)
    red, green = frames[20].mean(axis=(0, 1)), frames[60].mean(axis=(0, 1))
    assert red[0] > 200 > 40 > red[1] and green[1] > 100 > 40 > green[0]
    middle = frames[36 + 6].mean(axis=(0, 1))  # halfway through red → green
    assert 80 < middle[0] < 180 and 40 < middle[1] < 100


def test_trims_pick_the_frames_asked_for(tmp_path: Path) -> None:
    clip = encoded_clip(tmp_path / "levels.mp4", level_planes(48), 24.0)
    inputs = [ConcatInput(clip, trim_start=0.5, trim_end=1.5)]
    result = concatenate(inputs, ConcatSpec(), tmp_path / "trimmed.mp4", CONFIG)
    levels = [float(frame[:90].mean()) for frame in frames_of(tmp_path / "trimmed.mp4")]
    assert (result.mode, len(levels), result.duration) == ("reencode", 24, 1.0)
    assert levels[0] == pytest.approx(20 + 4 * 12, abs=1.5)  # the frame at 0.5 s
    assert levels[-1] == pytest.approx(20 + 4 * 35, abs=1.5)  # the last before 1.5 s


@pytest.mark.parametrize(
    ("trim_start", "shown"),
    [(0.5 + 1 / 48, range(12, 24)), (0.97, [23])],  # mid-frame 12; inside the last frame
)
def test_a_trim_starts_with_the_frame_shown_at_that_time(
    tmp_path: Path, trim_start: float, shown: range | list[int]
) -> None:
    clip = encoded_clip(tmp_path / "levels.mp4", level_planes(24), 24.0)
    output = tmp_path / "trimmed.mp4"
    concatenate([ConcatInput(clip, trim_start=trim_start)], ConcatSpec(), output, CONFIG)
    levels = [float(frame[:90].mean()) for frame in frames_of(output)]
    assert levels == pytest.approx([20 + 4 * k for k in shown], abs=1.5)


@pytest.mark.parametrize("transfer", ["arib-std-b67", "smpte2084", "bt2020-10"])  # HLG, PQ, SDR
def test_bt2020_and_hdr_clips_keep_their_colours(tmp_path: Path, transfer: str) -> None:
    clip = tmp_path / f"{transfer}.mp4"  # 10-bit BT.2020 as phones record it; 4:4:4, odd size
    tags = f"colorprim=bt2020:transfer={transfer}:colormatrix=bt2020nc"
    ffmpeg(
        *("-f", "lavfi", "-i", "color=c=0xC03020:s=63x35:r=25:d=0.2,format=gbrpf32le"),
        *(
            "-vf",
            f"zscale=tin=bt709:pin=bt709:min=bt709:rin=full:t={transfer}:p=bt2020"
            ":m=bt2020nc:r=tv,format=yuv444p10le",
        ),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p10le"),
        *("-x264-params", tags, "-y", str(clip)),
    )
    output = tmp_path / "joined.mp4"
    concatenate([ConcatInput(clip)], ConcatSpec(mode="reencode"), output, CONFIG)
    assert rgb_frames(output)[0].mean(axis=(0, 1)) == pytest.approx((192, 48, 32), abs=8)


@pytest.mark.parametrize(
    ("fit", "side"),
    [("cover", (235, 255)), ("contain", (0, 20)), ("blur", (100, 180))],  # white × 0.55: 140
)
def test_fit_fills_the_frame_as_asked(tmp_path: Path, fit: str, side: tuple[int, int]) -> None:
    portrait = lavfi_clip(tmp_path / "white.mp4", "color=c=white:s=90x160:r=24", seconds=0.25)
    output = tmp_path / f"{fit}.mp4"
    concatenate([ConcatInput(portrait)], ConcatSpec(160, 90, fit=fit), output, CONFIG)
    frame = rgb_frames(output)[0]
    assert frame.shape == (90, 160, 3)
    assert side[0] <= frame[:, :20].mean() <= side[1]  # the left bar, or the picture
    assert frame[:, 70:90].mean() > 235  # the picture in the middle


def test_many_inputs_with_cuts_and_transitions_add_up(tmp_path: Path) -> None:
    clip = encoded_clip(tmp_path / "short.mp4", level_planes(12, 64, 36), 24.0)
    fade = Transition("dissolve", 0.125)  # 3 frames
    inputs = [ConcatInput(clip, transition=fade if i % 3 else None) for i in range(40)]
    result = concatenate(inputs, ConcatSpec(mode="reencode"), tmp_path / "many.mp4", CONFIG)
    overlaps = sum(3 for i in range(1, 40) if i % 3)
    assert len(frames_of(tmp_path / "many.mp4")) == 40 * 12 - overlaps
    assert result.cuts[4] == pytest.approx((4 * 12 - 3 * 3) / 24)


@pytest.fixture(scope="module")
def reordered(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """One picture muxed twice with sound: video then audio, and audio then video."""
    folder = tmp_path_factory.mktemp("reordered")
    picture = lavfi_clip(folder / "p.mp4", "testsrc2=s=160x90:r=25")
    clips = []
    for name, maps in (("va.mp4", ("0:v", "1:a")), ("av.mp4", ("1:a", "0:v"))):
        ffmpeg(
            *("-i", str(picture), "-f", "lavfi", "-i", "sine=d=1"),
            *("-map", maps[0], "-map", maps[1], "-c:v", "copy", "-c:a", "aac"),
            *("-y", str(folder / name)),
        )
        clips.append(folder / name)
    return clips


def test_clips_with_their_streams_in_another_order_are_reencoded(
    reordered: list[Path], tmp_path: Path
) -> None:
    output = tmp_path / "joined.mp4"
    inputs = [ConcatInput(p) for p in reordered]
    result = concatenate(inputs, ConcatSpec(audio="mute"), output, CONFIG)
    assert (result.mode, len(frames_of(output))) == ("reencode", 50)


def test_mode_copy_names_streams_in_another_order(reordered: list[Path], tmp_path: Path) -> None:
    inputs = [ConcatInput(p) for p in reordered]
    with pytest.raises(RenderError) as error:
        concatenate(inputs, ConcatSpec(mode="copy"), tmp_path / "o.mp4", CONFIG)
    assert error.value.message == (
        "mode copy: videos[1] differs from videos[0] in the index of its video stream (1, not 0);"
        " use mode auto or reencode"
    )


def test_a_clip_without_the_frames_its_rate_says_is_not_copied(tmp_path: Path) -> None:
    clip = tmp_path / "dropped.mkv"  # Matroska says 25 fps; two frames in three are missing
    ffmpeg(
        *("-f", "lavfi", "-i", "testsrc2=s=160x90:r=25:d=1", "-vf", "select='not(mod(n,3))'"),
        *("-fps_mode", "passthrough", "-c:v", "libx264", "-preset", "ultrafast"),
        *("-pix_fmt", "yuv420p", "-y", str(clip)),
    )
    output = tmp_path / "joined.mp4"
    result = concatenate([ConcatInput(clip)] * 2, ConcatSpec(), output, CONFIG)
    assert result.mode == "reencode"
    assert set(np.diff(packet_times(output))) == {Fraction(1, 25)}


# -- sound and picture in time ---------------------------------------------------------------


def test_a_sound_that_starts_after_the_picture_stays_in_place(tmp_path: Path) -> None:
    clip = tmp_path / "late_sound.mp4"  # the sound starts at 0.2 s and beeps 0.3 s later
    ffmpeg(
        *("-f", "lavfi", "-i", "testsrc2=s=160x90:r=25:d=1"),
        *("-itsoffset", "0.2", "-f", "lavfi", "-i", beep(0.3, 0.8)),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"),
        *("-y", str(clip)),
    )
    output = tmp_path / "joined.mp4"
    concatenate([ConcatInput(clip)] * 2, ConcatSpec(mode="reencode"), output, CONFIG)
    assert beep_onsets(output, 2) == pytest.approx([0.0, 0.0], abs=0.002)  # 0.2 + 0.3 s


def test_a_picture_that_starts_after_its_sound_keeps_all_its_frames(tmp_path: Path) -> None:
    picture = encoded_clip(tmp_path / "levels.mp4", level_planes(25), 25.0)
    clip = tmp_path / "late_picture.mp4"  # 0.5 s of sound, then the picture starts
    ffmpeg(
        *("-itsoffset", "0.5", "-i", str(picture), "-f", "lavfi", "-i", "sine=d=1.5"),
        *("-c:v", "copy", "-c:a", "aac", "-y", str(clip)),
    )
    output = tmp_path / "joined.mp4"
    result = concatenate([ConcatInput(clip)], ConcatSpec(mode="reencode"), output, CONFIG)
    levels = [float(frame[:90].mean()) for frame in frames_of(output)]
    assert (result.duration, len(levels)) == (1.0, 25)
    assert levels == pytest.approx([20 + 4 * k for k in range(25)], abs=1.5)


def test_a_picture_that_starts_after_its_sound_is_not_copied(tmp_path: Path) -> None:
    clip = tmp_path / "camera.ts"  # MPEG-TS: the picture starts a frame after the sound
    ffmpeg(
        *("-f", "lavfi", "-i", "testsrc2=s=160x90:r=25:d=1", "-f", "lavfi", "-i", "sine=d=1"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"),
        *("-y", str(clip)),
    )
    output = tmp_path / "joined.mp4"
    result = concatenate([ConcatInput(clip)] * 2, ConcatSpec(), output, CONFIG)
    assert result.mode == "reencode"
    assert packet_times(output) == [Fraction(k, 25) for k in range(50)]
    with pytest.raises(RenderError, match=r"videos\[0\]'s picture starts \d+ ms into the file"):
        concatenate([ConcatInput(clip)] * 2, ConcatSpec(mode="copy"), output, CONFIG)


@pytest.mark.parametrize(
    ("asked", "rate"), [(29.97, Fraction(30000, 1001)), (23.976, Fraction(24000, 1001))]
)
def test_an_ntsc_rate_asked_as_a_decimal_is_the_exact_ntsc_rate(
    tmp_path: Path, asked: float, rate: Fraction
) -> None:
    clip = lavfi_clip(tmp_path / "ntsc.mp4", f"testsrc2=s=160x90:r={rate}", seconds=1.0)
    output = tmp_path / "joined.mp4"
    spec = ConcatSpec(fps=asked, mode="reencode")
    result = concatenate([ConcatInput(clip)], spec, output, CONFIG)
    assert result.fps == float(rate)
    assert set(np.diff(packet_times(output))) == {1 / rate}


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("page.html", b"<!DOCTYPE html><html><body>404</body></html>", r"videos\[1\]: .*HTML page"),
        ("photo.jpg", None, r"videos\[1\]: photo\.jpg is a JPEG image, not a video"),
    ],
)
def test_an_input_that_is_not_a_video_is_named(
    same_clips: list[Path], tmp_path: Path, name: str, body: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if body is None:
        ffmpeg("-f", "lavfi", "-i", "color=c=red:s=64x48", "-frames:v", "1", "-y", str(path))
    else:
        path.write_bytes(body)
    with pytest.raises(RenderError, match=message):
        concatenate(
            [ConcatInput(same_clips[0]), ConcatInput(path)],
            ConcatSpec(),
            tmp_path / "o.mp4",
            CONFIG,
        )


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        (
            {},
            {"transition": Transition("fade", 1.5)},
            r"videos\[1\]\.transition\.duration \(1\.5 s\) is longer than videos\[0\]"
            r" \(1 s after trims\)",
        ),
        ({"trim_start": 1.0}, {}, r"videos\[0\]\.trim_start \(1 s\) is beyond the end"),
        (
            {"trim_start": 0.5, "trim_end": 0.5},
            {},
            r"videos\[0\]\.trim_end \(0\.5 s\) must be after",
        ),
        ({}, {"transition": Transition("spin", 0.5)}, r"videos\[1\]\.transition\.type 'spin'"),
    ],
)
def test_a_bad_trim_or_transition_is_named(
    colours: list[Path], tmp_path: Path, first: dict, second: dict, message: str
) -> None:
    one_second = lavfi_clip(tmp_path / "one.mp4", "color=c=red:s=160x90:r=24", seconds=1.0)
    inputs = [ConcatInput(one_second, **first), ConcatInput(colours[1], **second)]
    with pytest.raises(RenderError, match=message):
        concatenate(inputs, ConcatSpec(), tmp_path / "o.mp4", CONFIG)


def test_transitions_that_would_overlap_in_one_clip_are_refused(
    colours: list[Path], tmp_path: Path
) -> None:
    inputs = [
        ConcatInput(colours[0]),
        ConcatInput(colours[1], transition=Transition("fade", 1.2)),
        ConcatInput(colours[2], transition=Transition("wipeleft", 1.0)),
    ]
    with pytest.raises(RenderError) as error:
        concatenate(inputs, ConcatSpec(), tmp_path / "o.mp4", CONFIG)
    assert error.value.message == (
        "videos[2].transition.duration (1 s) overlaps the transition into videos[1] (1.2 s):"
        " videos[1] lasts 2 s after trims"
    )


def test_a_job_that_stops_wanting_the_result_stops_ffmpeg(tmp_path: Path) -> None:
    long = lavfi_clip(tmp_path / "long.mp4", "color=c=red:s=160x90:r=24", seconds=60.0)
    output = tmp_path / "out" / "big.mp4"
    output.parent.mkdir()
    asked: list[bool] = []

    def keep_going() -> bool:
        asked.append(True)
        return False

    spec = ConcatSpec(width=1920, height=1080)  # minutes of encoding: it must not get far
    with pytest.raises(FfmpegStopped):
        concatenate([ConcatInput(long)], spec, output, CONFIG, keep_going)
    assert asked and list(output.parent.iterdir()) == []  # no output, no filter graph left
