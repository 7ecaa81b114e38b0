"""compose end to end on files (the worker's path without HTTP), measured in the decoded
output: length and scene starts to the frame, captions to the frame, one lossy generation,
segments that join without a seam, the soundtrack under it."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import av
import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from framecast.compose.picture import picture_frames
from framecast.compose.video import (
    ComposeFiles,
    ComposeMade,
    compose_video,
    measure,
    scene_sources,
)
from framecast.config import EncoderConfig, Settings
from framecast.contracts.compose import (
    ComposeCreate,
    ComposeSource,
    compose_options,
    compose_source,
)
from framecast.errors import InputError, ItemError
from framecast.render.encode import ClipEncoder
from framecast.render.probe import probe_media
from framecast.worker.ops.caption import font_cache
from tests.support.clips import lavfi_audio, lavfi_clip

FPS = 30
WIDTH, HEIGHT = 180, 320
COLOURS = [(200, 40, 40), (40, 200, 40), (40, 40, 200), (200, 200, 40)]


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Images (flat colours with a little texture), narrations, a music bed, a video clip."""
    folder = tmp_path_factory.mktemp("media")
    rng = np.random.default_rng(7)
    for i, colour in enumerate(COLOURS):
        pixels = np.full((400, 300, 3), colour, np.uint8)
        noise = rng.integers(-12, 13, pixels.shape)
        Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8)).save(folder / f"{i}.png")
    lavfi_audio(folder / "n0.wav", 1.3, 440)
    lavfi_audio(folder / "n1.mp3", 0.9, 660)
    lavfi_audio(folder / "music.wav", 3.0, 220, volume=0.5)
    lavfi_clip(folder / "clip.mp4", 3.0, 320, 240, fps=25, source="testsrc2")
    (folder / "not-audio.wav").write_bytes((folder / "0.png").read_bytes())
    return folder


@pytest.fixture(scope="module")
def work_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("work")  # font instances made once for the module


def settings(work_root: Path) -> Settings:
    return Settings(work_dir=work_root, encoding=EncoderConfig(encoder="x264"))


def compose(
    media: Path, work_root: Path, tmp: Path, body: dict[str, Any], name: str = "out.mp4"
) -> tuple[Path, ComposeMade]:
    """``body`` (file names of ``media`` as URLs) rendered to ``tmp/name``."""
    request = ComposeCreate.model_validate(body)
    found = settings(work_root)
    item = ComposeSource(
        index=0, id="v", **compose_source(request, lambda url, field: str(media / url))
    )
    options = compose_options(request)
    work = tmp / f"work-{name}"
    work.mkdir()
    output = tmp / name
    made = compose_video(
        item.scenes,
        item.music,
        options,
        files_of(item),
        work,
        output,
        found,
        font_cache(found),
    )
    return output, made


def files_of(item: ComposeSource) -> ComposeFiles:
    files = ComposeFiles()
    for i, scene in enumerate(item.scenes):
        if scene.image_url:
            files.images[i] = Path(scene.image_url)
        if scene.video_url:
            files.videos[i] = Path(scene.video_url)
        if scene.narration_url:
            files.narrations[i] = [Path(p) for p in scene.narration_parts()]
    music = Path(item.music.url) if item.music else None
    return ComposeFiles(files.images, files.videos, files.narrations, music)


def decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def timestamps(path: Path) -> list[float]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [float(f.pts * stream.time_base) for f in container.decode(stream)]


def nearest_colour(frame: np.ndarray) -> int:
    """Which of COLOURS the frame's middle is (by mean)."""
    mean = frame[100:220, 40:140].reshape(-1, 3).mean(axis=0)
    return int(np.argmin([np.abs(mean - np.array(c)).sum() for c in COLOURS]))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255**2 / max(mse, 1e-12)))


SCENES = [
    {"image_url": "0.png", "narration_url": "n0.wav", "motion": "zoom_in"},
    {
        "image_url": "1.png",
        "narration_url": "n1.mp3",
        "transition": {"type": "fade", "duration": 0.4},
    },
    {"image_url": "2.png", "duration": 1.0},
    {"image_url": "3.png", "duration": 1.2, "transition": {"type": "wipeleft", "duration": 0.3}},
]


def test_length_and_every_scene_start_to_the_frame(
    media: Path, work_root: Path, tmp_path: Path
) -> None:
    body = {"width": WIDTH, "height": HEIGHT, "fps": FPS, "scenes": SCENES, "pad": 0.2}
    output, made = compose(media, work_root, tmp_path, body | {"tail": 0.5})
    timeline = json.loads(made.timeline.read_text())
    summary = made.result["timeline"]
    assert summary["starts"] == [round(s["start_frame"] / FPS, 3) for s in timeline["scenes"]]
    assert summary["lengths"] == [round(s["frames"] / FPS, 3) for s in timeline["scenes"]]
    # Σ scene lengths − Σ transitions + tail, each narration measured by decoding.
    lengths = [0 + 1.3 + 0.2, 0.4 + 0.9 + 0.2, 1.0, 1.2]
    expected = sum(lengths) - 0.4 - 0.3 + 0.5
    frames = decoded(output)
    assert abs(len(frames) - expected * FPS) <= 1
    assert made.result["frames"] == len(frames) == timeline["frames"]
    stamps = timestamps(output)
    assert stamps == pytest.approx([i / FPS for i in range(len(frames))], abs=1e-3)
    # Each scene is first seen (a cut: its colour; a transition: the blend leaving the colour
    # before) within one frame of its computed start.
    shown = [nearest_colour(f) for f in frames]
    starts = [s["start_frame"] for s in timeline["scenes"]]
    for i, start in enumerate(starts[1:], 1):
        computed = round((sum(lengths[:i]) - sum([0, 0.4, 0, 0.3][1 : i + 1])) * FPS)
        assert abs(start - computed) <= 1
        alone = start + timeline["scenes"][i]["transition_frames"]
        assert shown[alone] == i and shown[start - 1] == i - 1
    # The fade blends: halfway through it, the middle is between the two colours.
    middle = frames[starts[1] + 6][100:220, 40:140].reshape(-1, 3).mean(axis=0)
    assert 80 < middle[0] < 170 and 80 < middle[1] < 170
    # The wipe reveals the next scene from the right: halfway, right half new, left half old.
    half = frames[starts[3] + 4]
    left, right = (
        half[:, :40].reshape(-1, 3).mean(axis=0),
        half[:, -40:].reshape(-1, 3).mean(axis=0),
    )
    assert np.abs(left - COLOURS[2]).max() < 20 and np.abs(right - COLOURS[3]).max() < 20
    assert made.result["encode_passes"] == 1


def test_narration_and_music_sit_under_their_scenes(
    media: Path, work_root: Path, tmp_path: Path
) -> None:
    body = {
        "width": WIDTH,
        "height": HEIGHT,
        "fps": FPS,
        "scenes": SCENES[:2],
        "pad": 0.3,
        "tail": 0.5,
        "music": {"url": "music.wav", "volume_db": -12, "duck": {"depth_db": 12}, "fade_out": 0},
        "loudness": "youtube",
    }
    output, made = compose(media, work_root, tmp_path, body)
    assert made.result["loudness"]["integrated_lufs"] == pytest.approx(-14, abs=1)
    with av.open(str(output)) as container:
        stream = container.streams.audio[0]
        samples = (
            np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(stream)])
            if stream.layout.nb_channels == 1
            else np.concatenate([f.to_ndarray()[0] for f in container.decode(stream)])
        )
        rate = stream.rate
    video = probe_media(output).video
    assert video is not None
    assert abs(len(samples) / rate - video.duration) < 1 / FPS + 0.03
    second = json.loads(made.timeline.read_text())["scenes"][1]
    narration = second["narration_start"]
    assert narration == pytest.approx(1.3 + 0.3, abs=1e-6)  # after the fade into scene 1

    def level(start: float, end: float) -> float:
        part = samples[int(start * rate) : int(end * rate)]
        return float(20 * np.log10(np.sqrt(np.mean(part**2)) + 1e-12))

    # Narration 0 is said from 0 to 1.3 s, narration 1 from 1.6 to 2.5 s: music alone (ducked
    # back up) in the gap is quieter than either, and music alone after is not silent.
    said = level(0.2, 1.1)
    gap = level(1.38, 1.55)
    assert said - gap > 6
    assert level(narration + 0.1, narration + 0.8) - gap > 6
    assert level(2.9, 3.1) > -60  # the music bed plays to the end


def test_captions_start_to_the_frame_where_the_words_are_said(
    media: Path, work_root: Path, tmp_path: Path
) -> None:
    words0 = [{"word": "ONE", "start": 0.1, "end": 0.4}]
    words1 = [{"word": "TWO", "start": 0.3, "end": 0.6}]
    scenes = [
        {"image_url": "0.png", "narration_url": "n0.wav", "words": words0, "motion": "static"},
        {
            "image_url": "2.png",
            "narration_url": "n1.mp3",
            "words": words1,
            "motion": "static",
            "transition": {"type": "fade", "duration": 0.4},
        },
    ]
    body = {
        "width": WIDTH,
        "height": HEIGHT,
        "fps": FPS,
        "scenes": scenes,
        "captions": {"style": {"preset": "word_by_word", "color": "#FFFFFF", "size": 28}},
    }
    output, made = compose(media, work_root, tmp_path, body)
    frames = decoded(output)
    white = [int(((f > 235).all(axis=2)).sum()) for f in frames]
    inked = [i for i, n in enumerate(white) if n > 20]
    narration1 = json.loads(made.timeline.read_text())["scenes"][1]["narration_start"]
    first_page = round(0.1 * FPS)
    second_page = round((narration1 + 0.3) * FPS)
    assert abs(inked[0] - first_page) <= 1
    later = [i for i in inked if i > round((0.4 + 0.25) * FPS) + 2]
    assert abs(later[0] - second_page) <= 1
    assert made.result["pages"] == 2 and made.result["words"] == 2
    assert made.captions is not None and "TWO" in made.captions.ass


def test_one_lossy_generation(media: Path, work_root: Path, tmp_path: Path) -> None:
    body = {"width": WIDTH, "height": HEIGHT, "fps": FPS, "scenes": SCENES, "tail": 0.0}
    output, _ = compose(media, work_root, tmp_path, body)
    # The same frames, made losslessly (raw), and encoded once at the same settings.
    request = ComposeCreate.model_validate(body)
    found = settings(work_root)
    item = ComposeSource(
        index=0, id="v", **compose_source(request, lambda url, field: str(media / url))
    )
    options = compose_options(request)
    files = files_of(item)
    timeline = measure(item.scenes, files, options).timeline
    sources = scene_sources(options.render, item.scenes, files)
    raw = [
        bytes(f)
        for f in picture_frames(
            sources, timeline, (WIDTH, HEIGHT), range(timeline.frames), 10**8, found.encoding
        )
    ]
    single = tmp_path / "single.mp4"
    with ClipEncoder(found.encoding, single, WIDTH, HEIGHT, FPS) as encoder:
        for frame in raw:
            encoder.write(frame)
    reference = [np.frombuffer(f, np.uint8).reshape(HEIGHT * 3 // 2, WIDTH) for f in raw]
    ours = decoded_yuv(output)
    once = decoded_yuv(single)
    assert len(ours) == len(reference) == len(once)
    p_ours = np.mean([psnr(a, b) for a, b in zip(ours, reference, strict=True)])
    p_once = np.mean([psnr(a, b) for a, b in zip(once, reference, strict=True)])
    assert abs(p_ours - p_once) <= 0.3
    # The chain of calls re-encodes what it was given: two more generations.
    chained = output
    for n in range(2):
        chained = reencode(chained, tmp_path / f"gen{n + 2}.mp4", found.encoding)
    p_chain = np.mean([psnr(a, b) for a, b in zip(decoded_yuv(chained), reference, strict=True)])
    assert p_chain < p_ours - 0.3


def decoded_yuv(path: Path) -> list[np.ndarray]:
    """Each frame's yuv420p planes, as the encoder was given them (rows of Y, then U, V)."""
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="yuv420p") for f in container.decode(video=0)]


def reencode(source: Path, output: Path, config: EncoderConfig) -> Path:
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(source)]
    command += ["-c:v", "libx264", "-preset", config.x264_preset, "-crf", str(config.x264_crf)]
    subprocess.run([*command, "-an", "-y", str(output)], check=True)
    return output


def test_two_segments_equal_one(media: Path, work_root: Path, tmp_path: Path) -> None:
    scenes = [*SCENES, {"video_url": "clip.mp4", "trim_start": 0.5, "duration": 1.5}]
    body = {"width": WIDTH, "height": HEIGHT, "fps": FPS, "scenes": scenes}
    whole, one = compose(media, work_root, tmp_path, body | {"segments": 1}, "one.mp4")
    split, two = compose(media, work_root, tmp_path, body | {"segments": 2}, "two.mp4")
    assert one.result["segments"] == 1 and two.result["segments"] == 2
    a, b = decoded(whole), decoded(split)
    assert len(a) == len(b) == one.result["frames"]
    assert timestamps(split) == pytest.approx([i / FPS for i in range(len(b))], abs=1e-3)
    assert probe_media(split).video.duration == pytest.approx(  # type: ignore[union-attr]
        probe_media(whole).video.duration,
        abs=1e-3,  # type: ignore[union-attr]
    )
    # Frame for frame the same pictures, within encoder noise, the seam included.
    quality = [psnr(x, y) for x, y in zip(a, b, strict=True)]
    assert min(quality) > 30
    # Really made in two encodes: each encode starts with x264's settings message (an SEI),
    # and the second one starts on a keyframe where a scene is seen alone.
    assert encodes(whole) == [0] and len(encodes(split)) == 2
    seam = encodes(split)[1]
    scenes = json.loads(two.timeline.read_text())["scenes"]
    assert seam in {s["start_frame"] + s["transition_frames"] for s in scenes}


def encodes(path: Path) -> list[int]:
    """The frames where an x264 encode starts (its SEI with its settings) in ``path``."""
    with av.open(str(path)) as container:
        packets = [p for p in container.demux(video=0) if p.size]
        packets.sort(key=lambda p: p.pts)
        return [n for n, p in enumerate(packets) if b"x264 - core" in bytes(p)]


def test_bad_inputs_name_the_scene_and_field(media: Path, work_root: Path, tmp_path: Path) -> None:
    body = {
        "width": WIDTH,
        "height": HEIGHT,
        "scenes": [
            {"image_url": "0.png", "duration": 1},
            {"image_url": "1.png", "narration_url": "not-audio.wav"},
        ],
    }
    with pytest.raises(ItemError, match=r"scenes\[1\]\.narration_url"):
        compose(media, work_root, tmp_path, body)
    short = {
        "width": WIDTH,
        "height": HEIGHT,
        "scenes": [{"image_url": "0.png", "narration_url": "n0.wav", "duration": 0.5}],
    }
    with pytest.raises(InputError, match=r"scenes\[0\]\.duration: 0.5 s is shorter"):
        compose(media, work_root, tmp_path, short, "short.mp4")
    assert not (tmp_path / "out.mp4").exists() and not (tmp_path / "short.mp4").exists()


def test_a_music_file_that_is_not_audio_is_named_before_rendering(
    media: Path, work_root: Path, tmp_path: Path
) -> None:
    body = {
        "width": WIDTH,
        "height": HEIGHT,
        "scenes": [{"image_url": "0.png", "duration": 1}],
        "music": {"url": "not-audio.wav"},
    }
    with pytest.raises(ItemError, match=r"^music\.url: "):
        compose(media, work_root, tmp_path, body)
    assert not list((tmp_path / "work-out.mp4").glob("segment*"))


def test_a_cancel_stops_every_segment_and_leaves_nothing(
    media: Path, work_root: Path, tmp_path: Path
) -> None:
    scenes = [{"image_url": f"{i % 4}.png", "duration": 6.0} for i in range(6)]
    request = ComposeCreate.model_validate(
        {"width": 720, "height": 1280, "fps": FPS, "scenes": scenes, "segments": 2}
    )
    found = settings(work_root)
    item = ComposeSource(
        index=0, id="v", **compose_source(request, lambda url, field: str(media / url))
    )
    work = tmp_path / "work"
    work.mkdir()
    began = time.monotonic()
    with pytest.raises(ItemError, match="cancelled or passed its deadline"):
        compose_video(
            item.scenes,
            None,
            compose_options(request),
            files_of(item),
            work,
            tmp_path / "out.mp4",
            found,
            font_cache(found),
            keep_going=lambda: time.monotonic() - began < 0.5,
        )
    # 36 s of 720x1280 video from noisy images takes over 5 s here; both segments stopped within
    # ~1 s of the cancel (each asks once per second of video), and no file is left half made.
    assert time.monotonic() - began < 2.5
    assert not (tmp_path / "out.mp4").exists()
    assert not list(work.glob("segment*.mp4"))


def test_a_segment_showing_no_caption_passes_the_font_check(
    media: Path, work_root: Path, tmp_path: Path
) -> None:
    # libass chooses a font only where it draws: the second segment draws none.
    words = [{"word": "HELLO", "start": 0.1, "end": 0.5}]
    body = {
        "width": WIDTH,
        "height": HEIGHT,
        "fps": FPS,
        "segments": 2,
        "scenes": [
            {"image_url": "0.png", "narration_url": "n0.wav", "words": words},
            {"image_url": "1.png", "duration": 3.0},
        ],
        "captions": {"style": {"preset": "classic"}},
    }
    _, made = compose(media, work_root, tmp_path, body)
    assert made.result["segments"] == 2 and made.result["pages"] == 1


def test_a_music_trim_past_its_end_names_the_field(
    media: Path, work_root: Path, tmp_path: Path
) -> None:
    body = {
        "width": WIDTH,
        "height": HEIGHT,
        "scenes": [{"image_url": "0.png", "duration": 1}],
        "music": {"url": "music.wav", "trim_start": 5},
    }
    with pytest.raises(InputError, match=r"^music\.trim_start: 5 s is past the end"):
        compose(media, work_root, tmp_path, body)
