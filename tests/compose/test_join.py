"""join_segments: segments made as compose makes them (raw frames through ClipEncoder, x264 with
B-frames), joined and decoded with PyAV: every frame once, evenly spaced, from the segment it
came from, its packet copied bit for bit."""

from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from framecast.compose.join import Joined, join_segments
from framecast.config import EncoderConfig
from framecast.errors import RenderError
from framecast.render.audio_spec import AudioTrack
from framecast.render.encode import ClipEncoder
from framecast.render.ffmpeg import ffmpeg_binary
from framecast.render.probe import faststart
from framecast.render.soundtrack import make_soundtrack
from tests.support.clips import lavfi_audio

# veryfast, as compose encodes: three B-frames, pyramid (ultrafast has none).
CONFIG = EncoderConfig(encoder="x264", x264_preset="veryfast")
WIDTH, HEIGHT = 64, 48
LUMA = [40, 120, 200, 90, 160, 60]  # each segment's flat grey, told apart after coding


def encode_segment(
    path: Path, frames: int, luma: int, fps: Fraction, size: tuple[int, int]
) -> Path:
    width, height = size
    frame = bytes([luma]) * (width * height) + bytes([128]) * (width * height // 2)
    with ClipEncoder(CONFIG, path, width, height, float(fps)) as encoder:
        for _ in range(frames):
            encoder.write(frame)
    return path


def segments(
    folder: Path, counts: list[int], fps: Fraction, size: tuple[int, int] = (WIDTH, HEIGHT)
) -> list[Path]:
    folder.mkdir(exist_ok=True)
    return [
        encode_segment(folder / f"segment{i}.mp4", n, LUMA[i], fps, size)
        for i, n in enumerate(counts)
    ]


def shown(path: Path) -> list[tuple[float, int]]:
    """Each decoded frame's time (s) and its mean luma (Y, as coded), in presentation order."""
    with av.open(str(path)) as container:
        return [
            (float(frame.time or 0.0), round(float(np.mean(frame.to_ndarray()[: frame.height]))))
            for frame in container.decode(video=0)
        ]


def packets(path: Path, kind: str = "video") -> list[bytes]:
    with av.open(str(path)) as container:
        stream = next(s for s in container.streams if s.type == kind)
        return [bytes(p) for p in container.demux(stream) if p.size]


def ends(path: Path) -> dict[str, float]:
    """Where each kind of stream ends: its latest pts + duration."""
    found: dict[str, float] = {}
    with av.open(str(path)) as container:
        for packet in container.demux():
            if packet.pts is None or not packet.size or packet.time_base is None:
                continue
            end = float((packet.pts + (packet.duration or 0)) * packet.time_base)
            found[packet.stream.type] = max(found.get(packet.stream.type, end), end)
    return found


def soundtrack(folder: Path, seconds: float) -> Path:
    bed = lavfi_audio(folder / "bed.wav", 2.0, 440.0)
    track = AudioTrack("music", [bed], loop=True)
    return make_soundtrack([track], seconds, None, folder / "audio", CONFIG).path


@pytest.mark.parametrize(
    ("fps", "counts"),
    [(Fraction(30), [37, 45, 1]), (Fraction(30000, 1001), [1, 37, 2, 45])],
    ids=["30fps", "29.97fps-short-first"],
)
def test_every_frame_is_shown_once_evenly_spaced_from_its_segment(
    tmp_path: Path, fps: Fraction, counts: list[int]
) -> None:
    parts = segments(tmp_path / "segments", counts, fps)
    joined = join_segments(parts, None, tmp_path / "joined.mp4", CONFIG)
    frames = shown(tmp_path / "joined.mp4")
    assert len(frames) == joined.frames == sum(counts)
    times = np.array([time for time, _ in frames])
    assert np.abs(times - np.arange(len(frames)) / float(fps)).max() < 0.001
    expected = np.repeat(LUMA[: len(counts)], counts)
    assert np.abs(np.array([luma for _, luma in frames]) - expected).max() <= 3
    assert joined == Joined(sum(counts), float(sum(counts) / fps), WIDTH, HEIGHT, float(fps))


@pytest.mark.parametrize("counts", [[37, 45, 1], [1, 2, 37, 1, 45]])
def test_frames_are_decoded_one_frame_apart(tmp_path: Path, counts: list[int]) -> None:
    """Even decode times (an MP4's sample durations): no step back where a segment with
    B-frames follows a short one, which ffmpeg would patch into frames lasting one tick."""
    parts = segments(tmp_path / "segments", counts, Fraction(30000, 1001))
    join_segments(parts, None, tmp_path / "joined.mp4", CONFIG)
    with av.open(str(tmp_path / "joined.mp4")) as container:
        stream = container.streams.video[0]
        timed = [(p.pts or 0, p.dts or 0) for p in container.demux(stream) if p.size]
        assert stream.time_base is not None
        tick = round(1 / (Fraction(30000, 1001) * stream.time_base))
    decoded_at = np.array([dts for _, dts in timed])
    assert set(np.diff(decoded_at)) == {tick}
    assert all(dts <= pts for pts, dts in timed)


def test_the_segments_have_b_frames(tmp_path: Path) -> None:
    """What the join must cope with: a segment decoding from before 0 (B-frames)."""
    (part,) = segments(tmp_path, [37], Fraction(30))
    with av.open(str(part)) as container:
        first = next(container.demux(video=0))
        assert first.dts is not None and first.pts is not None and first.dts < first.pts


def test_the_video_packets_are_the_segments_bit_for_bit(tmp_path: Path) -> None:
    parts = segments(tmp_path / "segments", [37, 45, 1], Fraction(30))
    join_segments(parts, None, tmp_path / "joined.mp4", CONFIG)
    assert packets(tmp_path / "joined.mp4") == [p for part in parts for p in packets(part)]


def test_the_soundtrack_is_copied_beside_the_picture_to_its_end(tmp_path: Path) -> None:
    fps = Fraction(30000, 1001)
    parts = segments(tmp_path / "segments", [37, 45, 1], fps)
    audio = soundtrack(tmp_path, float(83 / fps))
    joined = join_segments(parts, audio, tmp_path / "joined.mp4", CONFIG)
    assert packets(tmp_path / "joined.mp4", "audio") == packets(audio, "audio")
    heard = ends(tmp_path / "joined.mp4")
    assert heard["video"] == pytest.approx(joined.duration, abs=1e-6)
    assert heard["audio"] == pytest.approx(heard["video"], abs=0.5 / 48_000 + 1e-6)


def test_a_longer_soundtrack_is_cut_at_the_pictures_end(tmp_path: Path) -> None:
    parts = segments(tmp_path / "segments", [37, 45], Fraction(30))
    audio = soundtrack(tmp_path, 82 / 30 + 1.0)
    join_segments(parts, audio, tmp_path / "joined.mp4", CONFIG)
    heard = ends(tmp_path / "joined.mp4")
    assert heard["audio"] == pytest.approx(heard["video"], abs=1 / 30)


def test_without_a_soundtrack_the_join_is_picture_only(tmp_path: Path) -> None:
    parts = segments(tmp_path / "segments", [37, 45], Fraction(30))
    join_segments(parts, None, tmp_path / "joined.mp4", CONFIG)
    with av.open(str(tmp_path / "joined.mp4")) as container:
        assert [s.type for s in container.streams] == ["video"]


def test_one_segment_is_muxed_as_it_is(tmp_path: Path) -> None:
    (part,) = segments(tmp_path / "segments", [45], Fraction(30))
    audio = soundtrack(tmp_path, 1.5)
    joined = join_segments([part], audio, tmp_path / "joined.mp4", CONFIG)
    assert joined.frames == 45 and joined.duration == pytest.approx(1.5)
    assert packets(tmp_path / "joined.mp4") == packets(part)
    assert len(shown(tmp_path / "joined.mp4")) == 45


def test_the_output_plays_from_its_start(tmp_path: Path) -> None:
    parts = segments(tmp_path / "segments", [37, 45], Fraction(30))
    join_segments(parts, soundtrack(tmp_path, 82 / 30), tmp_path / "joined.mp4", CONFIG)
    assert faststart(tmp_path / "joined.mp4")  # moov before mdat


def test_segments_of_another_size_are_refused_leaving_nothing(tmp_path: Path) -> None:
    parts = segments(tmp_path / "a", [10], Fraction(30))
    parts += segments(tmp_path / "b", [10], Fraction(30), size=(WIDTH * 2, HEIGHT))
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(RenderError, match=r"^segments\[1\]: 128x48, but segments\[0\] is 64x48"):
        join_segments([parts[0], parts[-1]], None, out / "joined.mp4", CONFIG)
    assert list(out.iterdir()) == []


def test_segments_from_other_encoder_options_are_refused(tmp_path: Path) -> None:
    parts = segments(tmp_path / "a", [10], Fraction(30))
    other = tmp_path / "other.mp4"
    command = [ffmpeg_binary(CONFIG), "-loglevel", "error", "-f", "lavfi", "-i"]
    command += [f"color=c=gray:s={WIDTH}x{HEIGHT}:r=30:d=0.5", "-c:v", "libx264"]
    subprocess.run(
        [*command, "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(other)], check=True
    )
    with pytest.raises(RenderError, match=r"^segments\[1\]: its H\.264 parameter sets"):
        join_segments([*parts, other], None, tmp_path / "joined.mp4", CONFIG)


def test_a_join_that_fails_leaves_no_output(tmp_path: Path) -> None:
    parts = segments(tmp_path / "segments", [37, 45], Fraction(30))
    cut = tmp_path / "cut.mp4"
    whole = parts[1].read_bytes()
    cut.write_bytes(whole[:-200])  # its index (first: faststart) says 45 frames; some are cut
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(RenderError, match=r"^segments: the join holds \d+ frames, not the .* 82"):
        join_segments([parts[0], cut], None, out / "joined.mp4", CONFIG)
    assert list(out.iterdir()) == []


def test_no_segments_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match=r"^segments: at least one"):
        join_segments([], None, tmp_path / "joined.mp4", CONFIG)
