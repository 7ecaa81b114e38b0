"""add_audio: narration and music under a video, measured on the decoded output with PyAV and
an independent BS.1770 meter (pyloudnorm). Audio is made here: tones, band-limited noise bursts
that stand in for speech, silence; videos with ffmpeg's lavfi sources."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path
from typing import Any

import av
import numpy as np
import pyloudnorm
import pytest
from scipy.signal import resample_poly

from framecast.config import EncoderConfig
from framecast.errors import RenderError
from framecast.render import audio_sources
from framecast.render.audio_mix import (
    PRESETS,
    AudioResult,
    AudioSpec,
    AudioTrack,
    Duck,
    LoudnessTarget,
    PictureFit,
    add_audio,
)
from framecast.render.encode import ffmpeg_binary
from framecast.render.probe import probe, probe_media

CONFIG = EncoderConfig(encoder="x264", x264_preset="ultrafast")
RATE = 48_000
FPS = 25
SPEECH_BAND = (200.0, 2000.0)  # Hz: the stand-in narration has nothing above it
MUSIC_HZ = 3000.0  # so a music tone can be measured under the narration


# --- media made in code -------------------------------------------------------------------


def ffmpeg(*arguments: str) -> None:
    command = [ffmpeg_binary(CONFIG), "-hide_banner", "-nostdin", "-loglevel", "error"]
    subprocess.run([*command, *arguments], check=True)


def make_video(path: Path, seconds: float, tone_hz: float | None = None) -> Path:
    """A 160x90 H.264 MP4 at FPS (testsrc2: every frame differs), with a tone if asked."""
    inputs = ["-f", "lavfi", "-i", f"testsrc2=s=160x90:r={FPS}:d={seconds}"]
    if tone_hz is not None:
        inputs += ["-f", "lavfi", "-i", f"sine=f={tone_hz}:sample_rate={RATE}:d={seconds}"]
    codecs = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"]
    ffmpeg(*inputs, *codecs, "-y", str(path))
    return path


def write_wav(path: Path, samples: np.ndarray, rate: int = RATE) -> Path:
    """16-bit PCM WAV of ``samples`` (channels × n, or n for mono), floats in [-1, 1]."""
    data = np.atleast_2d(samples)
    pcm = np.round(np.clip(data, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as f:
        f.setnchannels(data.shape[0])
        f.setsampwidth(2)
        f.setframerate(rate)
        f.writeframes(pcm.T.tobytes())
    return path


def speech_like(
    seconds: float, bursts: list[tuple[float, float]], level: float = 0.2, seed: int = 0
) -> np.ndarray:
    """Noise band-limited to SPEECH_BAND, heard only during ``bursts`` (start, end) s."""
    n = round(seconds * RATE)
    spectrum = np.fft.rfft(np.random.default_rng(seed).standard_normal(n))
    hz = np.fft.rfftfreq(n, 1 / RATE)
    spectrum[(hz < SPEECH_BAND[0]) | (hz > SPEECH_BAND[1])] = 0
    noise = np.fft.irfft(spectrum, n)
    noise *= level / np.sqrt(np.mean(noise**2))
    t = np.arange(n) / RATE
    on = np.zeros(n, bool)
    for start, end in bursts:
        on |= (t >= start) & (t < end)
    return noise * on


def words(start: float, end: float) -> list[tuple[float, float]]:
    """Bursts of 400 ms with pauses of 300 ms from ``start`` until ``end``."""
    return [(s, min(s + 0.4, end)) for s in np.arange(start, end, 0.7)]


def tone(seconds: float, hz: float, amplitude: float) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * hz * np.arange(round(seconds * RATE)) / RATE)


# --- measuring the output -----------------------------------------------------------------


def packet_ends(path: Path) -> dict[str, float]:
    """Where the video and the audio end: the latest pts + duration of their packets."""
    ends: dict[str, float] = {}
    with av.open(str(path)) as container:
        for packet in container.demux():
            if packet.pts is None or not packet.size or packet.time_base is None:
                continue
            end = float((packet.pts + (packet.duration or 0)) * packet.time_base)
            kind = packet.stream.type
            ends[kind] = max(ends.get(kind, end), end)
    return ends


def decoded_audio(path: Path) -> np.ndarray:
    """The first audio stream decoded (channels × samples at RATE), each frame placed by its
    timestamp and cut where the packets say the audio ends."""
    end = round(packet_ends(path)["audio"] * RATE)
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.sample_rate == RATE
        out = np.zeros((stream.codec_context.layout.nb_channels, end))
        for frame in container.decode(stream):
            assert frame.pts is not None and frame.time_base is not None
            at = round(float(frame.pts * frame.time_base) * RATE)
            data = as_floats(frame)
            data = data[:, max(0, -at) : max(0, end - at)]
            out[:, max(0, at) : max(0, at) + data.shape[1]] = data
    return out


def as_floats(frame: av.AudioFrame) -> np.ndarray:
    """A decoded frame's samples as floats in [-1, 1], channels × n."""
    data = frame.to_ndarray()
    if not frame.format.is_planar:
        data = data.reshape(-1, len(frame.layout.channels)).T
    if data.dtype == np.int16:
        return data / 32768.0
    return data.astype(float)


def lufs(samples: np.ndarray) -> float:
    return float(pyloudnorm.Meter(RATE).integrated_loudness(samples.T))


def true_peak_db(samples: np.ndarray) -> float:
    """Peak of the signal oversampled 4× (BS.1770's true peak), dBFS."""
    return float(20 * np.log10(np.abs(resample_poly(samples, 4, 1, axis=-1)).max()))


def tone_level_db(samples: np.ndarray, hz: float, start: float, end: float) -> float:
    """The level of a ``hz`` sine in ``samples[0]`` between ``start`` and ``end`` s (dB of its
    amplitude), by projection on the sine and cosine: deaf to anything far from ``hz``."""
    x = samples[0, round(start * RATE) : round(end * RATE)]
    t = np.arange(len(x)) / RATE
    window = np.hanning(len(x))
    re = np.sum(x * window * np.cos(2 * np.pi * hz * t))
    im = np.sum(x * window * np.sin(2 * np.pi * hz * t))
    return float(20 * np.log10(2 * np.hypot(re, im) / np.sum(window) + 1e-12))


def video_packets(path: Path) -> list[tuple[int | None, bytes]]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [(p.pts, bytes(p)) for p in container.demux(stream) if p.size]


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("media")
    make_video(folder / "video4.mp4", 4.0)
    make_video(folder / "video2.mp4", 2.0)
    make_video(folder / "sound4.mp4", 4.0, tone_hz=500)
    write_wav(folder / "narration3.wav", speech_like(3.0, words(0.2, 2.9)))
    write_wav(folder / "music.wav", np.stack([tone(2.0, MUSIC_HZ, 0.25)] * 2))
    return folder


def mix(
    media: Path, spec: AudioSpec, video: str = "video4.mp4", name: str = "out.mp4"
) -> tuple[AudioResult, Path]:
    output = media.parent / f"{media.name}-{name}"
    return add_audio(media / video, spec, output, CONFIG), output


def narration(media: Path, name: str = "narration3.wav", **options: Any) -> AudioTrack:
    return AudioTrack("narration", [media / name], **options)


def music(media: Path, **options: Any) -> AudioTrack:
    """The 2 s 3 kHz tone, looped."""
    return AudioTrack("music", [media / "music.wav"], loop=True, **options)


# --- the picture --------------------------------------------------------------------------


def test_picture_of_unchanged_length_is_copied_packet_for_packet(media: Path) -> None:
    result, output = mix(media, AudioSpec([narration(media), music(media, volume_db=-12)]))
    assert result.picture == "copied"
    assert video_packets(output) == video_packets(media / "video4.mp4")


def test_wav_narration_ends_as_aac_lc_48k_stereo(media: Path) -> None:
    _, output = mix(media, AudioSpec([narration(media)]))
    audio = probe_media(output).audio
    assert audio is not None
    assert (audio.codec, audio.sample_rate, audio.channels) == ("aac", RATE, 2)
    with av.open(str(output)) as container:
        assert container.streams.audio[0].profile == "LC"


@pytest.mark.parametrize(
    ("fit", "narration_seconds", "picture"),
    [
        (PictureFit(), 3.0, "copied"),  # narration shorter: the audio is padded
        (PictureFit(), 5.0, "copied"),  # narration longer: the audio is cut
        (PictureFit(length="narration", tail=0.7), 3.0, "reencoded"),  # freeze
        (PictureFit(length="narration", picture="loop"), 3.0, "reencoded"),
        (PictureFit(length="narration", tail=0.1, picture="retime"), 2.1, "reencoded"),
        (PictureFit(length="narration", tail=0.3, picture="trim"), 1.2, "reencoded"),
    ],
)
def test_audio_ends_within_a_frame_of_the_picture(
    media: Path, fit: PictureFit, narration_seconds: float, picture: str
) -> None:
    name = f"n{narration_seconds:g}.wav"
    write_wav(media / name, speech_like(narration_seconds, words(0, narration_seconds)))
    video = "video2.mp4" if fit.length == "narration" else "video4.mp4"
    result, output = mix(media, AudioSpec([narration(media, name)], fit=fit), video)
    ends = packet_ends(output)
    assert result.picture == picture
    assert abs(ends["audio"] - ends["video"]) <= 1 / FPS
    assert result.av_end_diff_ms == pytest.approx((ends["audio"] - ends["video"]) * 1000, abs=0.1)


def fitted(
    media: Path, fit: PictureFit, narration_seconds: float, video: str = "video2.mp4"
) -> tuple[AudioResult, Path]:
    name = f"fit{narration_seconds:g}.wav"
    write_wav(media / name, speech_like(narration_seconds, words(0, narration_seconds), 0.05))
    return mix(media, AudioSpec([narration(media, name)], fit=fit), video, "fit.mp4")


def frames(path: Path) -> list[np.ndarray]:
    """The luma plane of every frame of ``path``."""
    with av.open(str(path)) as container:
        return [
            f.to_ndarray()[: f.height].astype(float)  # yuv420p: Y, then U and V below it
            for f in container.decode(video=0)
        ]


def test_freeze_holds_the_last_frame_to_the_narration_end(media: Path) -> None:
    result, output = fitted(media, PictureFit(length="narration", tail=0.6), 3.0)
    pictures = frames(output)
    assert len(pictures) == 90 == probe(output).frames  # 3.6 s
    assert result.duration == pytest.approx(3.6, abs=1e-6)
    last = frames(media / "video2.mp4")[-1]
    held = [np.abs(p - last).mean() for p in pictures[2 * FPS :]]
    assert max(held) < 2  # the last frame, re-encoded
    assert np.abs(pictures[FPS] - last).mean() > 5  # testsrc2 moves until then


def test_loop_repeats_the_video(media: Path) -> None:
    result, output = fitted(media, PictureFit(length="narration", tail=0.6, picture="loop"), 3.0)
    pictures = frames(output)
    assert len(pictures) == 90
    assert result.duration == pytest.approx(3.6, abs=1e-6)
    assert np.abs(pictures[2 * FPS + 5] - pictures[5]).mean() < 2  # the second pass
    assert np.abs(pictures[2 * FPS - 5] - pictures[5]).mean() > 5


def test_retime_within_the_limit_slows_the_picture(media: Path) -> None:
    result, output = fitted(media, PictureFit(length="narration", tail=0.2, picture="retime"), 2.12)
    pictures = frames(output)
    assert len(pictures) == 58  # 2.32 s
    assert result.duration == pytest.approx(58 / FPS, abs=1e-6)
    source = frames(media / "video2.mp4")
    # 16 % slower: output frame 40 shows source frame ≈ 40 / 1.16 = 34.5.
    nearest = min(range(len(source)), key=lambda i: np.abs(source[i] - pictures[40]).mean())
    assert nearest in (34, 35)


def test_retime_beyond_max_retime_is_refused_with_the_factor(media: Path) -> None:
    with pytest.raises(RenderError, match=r"fit.max_retime: .* factor of 1\.750 \(\+75\.0 %\)"):
        fitted(media, PictureFit(length="narration", tail=0.5, picture="retime"), 3.0)


def test_trim_cuts_the_picture_to_the_narration(media: Path) -> None:
    result, output = fitted(media, PictureFit(length="narration", tail=0.3, picture="trim"), 1.2)
    assert probe(output).frames == round(1.5 * FPS)
    assert result.duration == pytest.approx(1.52, abs=1e-6)


def test_picture_error_says_how_far_the_lengths_differ(media: Path) -> None:
    with pytest.raises(RenderError, match=r"fit.picture: error: .* differ by 1\.500 s"):
        fitted(media, PictureFit(length="narration", tail=0.5, picture="error"), 3.0)


def test_trim_cannot_lengthen_the_picture(media: Path) -> None:
    with pytest.raises(RenderError, match=r"fit.picture: trim cannot make the 2\.000 s video"):
        fitted(media, PictureFit(length="longest", picture="trim"), 3.0)


@pytest.mark.parametrize(
    ("picture", "narration_seconds", "tone_ends"),
    [("loop", 3.5, [1.0, 3.0]), ("retime", 2.32, [1.16])],  # 2.32 / 2.0: 16 % slower
)
def test_the_videos_own_sound_follows_a_looped_or_retimed_picture(
    media: Path, picture: str, narration_seconds: float, tone_ends: list[float]
) -> None:
    """The video's sound: a tone for its first second of two, then silence."""
    video = media / "half.mp4"
    source = ["-f", "lavfi", "-i", f"testsrc2=s=160x90:r={FPS}:d=2", "-f", "lavfi"]
    source += ["-i", f"sine=f={MUSIC_HZ}:sample_rate={RATE}:d=1", "-af", "apad=whole_dur=2"]
    ffmpeg(*source, "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-y", str(video))
    fit = PictureFit(length="narration", tail=0.0, picture=picture)
    result = fitted(media, fit, narration_seconds, video="half.mp4")[0]
    heard = decoded_audio(media.parent / f"{media.name}-fit.mp4")[0]
    # Above the narration's band, the tone alone: where its 5 ms RMS falls away, it stops.
    spectrum = np.fft.rfft(heard)
    spectrum[np.fft.rfftfreq(len(heard), 1 / RATE) < 2500] = 0
    tone_only = np.fft.irfft(spectrum, len(heard))
    rms = np.sqrt(np.convolve(tone_only**2, np.ones(240) / 240, mode="same"))
    playing = rms > 0.5 * rms.max()
    ends = np.flatnonzero(playing[:-1] & ~playing[1:]) / RATE
    assert result.duration == pytest.approx(narration_seconds, abs=1 / FPS)
    assert ends.tolist() == pytest.approx(tone_ends, abs=0.01)


# --- narration parts ----------------------------------------------------------------------


def test_ten_mp3_parts_join_by_decoded_samples(media: Path) -> None:
    """Each part: a 1 kHz tone burst, then silence. In the output each burst starts where the
    decoded lengths of the parts before it say, within 1 ms per join."""
    parts, lengths, onsets = [], [], []
    for k in range(10):
        rate = 44_100 if k % 2 else RATE
        burst = 0.5 * np.sin(2 * np.pi * 1000 * np.arange(round(0.1 * rate)) / rate)
        samples = np.concatenate([burst, np.zeros(round((0.12 + 0.013 * k) * rate))])
        wav = write_wav(media / f"part{k}.wav", samples, rate)
        part = media / f"part{k}.mp3"
        # VBR with no Xing header: the container's duration is a guess from the bit rate.
        ffmpeg(
            "-i", str(wav), "-c:a", "libmp3lame", "-q:a", "4", "-write_xing", "0", "-y", str(part)
        )
        decoded = decoded_mono(part)
        lengths.append(decoded.shape[1] / rate)
        onsets.append(first_onset(decoded[0], rate))
        parts.append(part)
    container = sum((probe_media(p).duration or 0) for p in parts)
    assert abs(container - sum(lengths)) > 0.002  # the containers lie: this test means something

    result, output = mix(media, AudioSpec([AudioTrack("narration", parts)]), name="parts.mp4")
    assert result.narration_seconds == pytest.approx(sum(lengths), abs=len(parts) / RATE)
    heard = decoded_audio(output)[0]
    expected = np.cumsum([0.0, *lengths[:-1]]) + onsets
    starts = [max(0.0, e - 0.05) for e in expected]
    found = [first_onset(heard[round(s * RATE) :], RATE) + s for s in starts]
    for k, (want, got) in enumerate(zip(expected, found, strict=True)):
        assert got == pytest.approx(want, abs=0.001 * max(k, 1)), f"part {k}"


def decoded_mono(path: Path) -> np.ndarray:
    """The first channel of ``path``'s audio, decoded at its own rate."""
    with av.open(str(path)) as container:
        return np.concatenate([as_floats(f)[:1] for f in container.decode(audio=0)], axis=1)


def first_onset(x: np.ndarray, rate: int, amplitude: float = 0.5) -> float:
    """Seconds until a 1 ms RMS first reaches half that of a sine of ``amplitude``."""
    square = np.convolve(x**2, np.ones(rate // 1000) / (rate // 1000), mode="valid")
    above = np.sqrt(square) > 0.5 * amplitude / np.sqrt(2)
    assert above.any(), "no onset"
    return float(np.argmax(above) / rate)


# --- levels -------------------------------------------------------------------------------


def with_clicks(samples: np.ndarray, count: int, seed: int = 0) -> np.ndarray:
    """``samples`` with ``count`` sharp clicks near full scale: peaks far above the loudness,
    which a gain towards a loud target pushes into the limiter."""
    out = samples.copy()
    rng = np.random.default_rng(seed)
    for at in rng.integers(0, len(out) - 48, count):
        out[at : at + 48] += 0.9 * np.hanning(48) * rng.choice([-1, 1])
    return out


@pytest.mark.parametrize(
    ("target", "narration_level", "clicks", "music_db"),
    [
        (PRESETS["youtube"], 0.05, 0, -6.0),  # quiet: raised by ~14 dB
        (PRESETS["youtube"], 0.05, 12, -6.0),  # and its peaks limited, loudness corrected
        (PRESETS["broadcast"], 0.3, 0, -3.0),  # loud: lowered
        (LoudnessTarget(-16.0, -1.5), 0.15, 6, -10.0),
    ],
)
def test_loudness_meets_its_target_by_an_independent_meter(
    media: Path, target: LoudnessTarget, narration_level: float, clicks: int, music_db: float
) -> None:
    voice = with_clicks(speech_like(3.0, words(0.2, 2.9), narration_level, seed=3), clicks)
    write_wav(media / "voice.wav", voice)
    spec = AudioSpec(
        [narration(media, "voice.wav"), music(media, volume_db=music_db, duck=Duck())],
        original_audio="keep",
        loudness=target,
    )
    result, output = mix(media, spec, "sound4.mp4", "loud.mp4")
    heard = decoded_audio(output)
    assert lufs(heard) == pytest.approx(target.target_lufs, abs=1.0)
    assert true_peak_db(heard) <= target.true_peak_db + 0.5
    assert result.loudness is not None
    assert result.loudness["integrated_lufs"] == pytest.approx(lufs(heard), abs=0.3)
    assert result.loudness["true_peak_db"] == pytest.approx(true_peak_db(heard), abs=0.3)


def test_narration_keeps_its_loudness_in_the_mix(media: Path) -> None:
    """No normalisation behind the user's back: while it speaks, under music 12 dB down and
    ducked 10 dB more, the narration measures what it measures alone (amix's default would
    take 6 dB off it)."""
    spec = AudioSpec([narration(media), music(media, volume_db=-12, duck=Duck())])
    _, output = mix(media, spec, name="level.mp4")
    speaking = slice(round(0.2 * RATE), round(2.9 * RATE))  # words(0.2, 2.9)
    alone = decoded_mono(media / "narration3.wav")[:, speaking]
    heard = decoded_audio(output)[:, speaking]
    # A mono file plays at −3 dB in each of two channels: the same loudness, by BS.1770.
    assert lufs(heard) == pytest.approx(lufs(alone), abs=0.5)


@pytest.mark.parametrize("ducked", ["music", "original"])
def test_ducking_holds_its_depth_under_narration_and_releases_in_time(
    media: Path, ducked: str
) -> None:
    spoken = words(1.0, 2.6)  # 1.0–1.4, 1.7–2.1, 2.4–2.6: the pauses are bridged
    write_wav(media / "duck.wav", speech_like(3.5, spoken, 0.2, seed=5))
    duck = Duck(depth_db=10, attack_ms=20, release_ms=300)
    if ducked == "music":
        tracks = [narration(media, "duck.wav"), music(media, volume_db=-6, duck=duck)]
        spec, video = AudioSpec(tracks), "video4.mp4"
    else:  # the video's own sound, under the default Duck()
        make_video(media / "tone4.mp4", 4.0, tone_hz=MUSIC_HZ)
        spec, video = AudioSpec([narration(media, "duck.wav")], "duck"), "tone4.mp4"
    _, output = mix(media, spec, video, "duck.mp4")
    heard = decoded_audio(output)
    full = tone_level_db(heard, MUSIC_HZ, 0.2, 0.9)
    ducked_by = [full - tone_level_db(heard, MUSIC_HZ, s, s + 0.1) for s in np.arange(1, 2.5, 0.1)]
    assert all(abs(depth - 10) <= 2 for depth in ducked_by), ducked_by
    stopped = spoken[-1][1]
    released = stopped + 0.3 + 0.1  # release_ms + 100 ms
    assert tone_level_db(heard, MUSIC_HZ, released, released + 0.1) == pytest.approx(full, abs=1)


def test_a_track_starts_where_asked_at_its_gain(media: Path) -> None:
    write_wav(media / "beep.wav", tone(0.5, 1000, 0.5))
    spec = AudioSpec([narration(media, "beep.wav", start=1.25, volume_db=-6)])
    _, output = mix(media, spec, name="start.mp4")
    heard = decoded_audio(output)
    # Mono at −3 dB per channel (loudness kept), then −6 dB.
    amplitude = 0.5 * 10 ** ((-6 - 3.01) / 20)
    assert first_onset(heard[0], RATE, amplitude) == pytest.approx(1.25, abs=0.001)
    assert tone_level_db(heard, 1000, 1.3, 1.7) == pytest.approx(20 * np.log10(amplitude), abs=0.2)


def test_fades_ramp_the_track_in_and_out(media: Path) -> None:
    spec = AudioSpec([music(media, fade_in=1.0, fade_out=1.0)])
    _, output = mix(media, spec, name="fades.mp4")
    heard = decoded_audio(output)
    full = tone_level_db(heard, MUSIC_HZ, 1.5, 2.5)
    # Linear fades: half the amplitude (−6 dB) half-way through each.
    assert tone_level_db(heard, MUSIC_HZ, 0.45, 0.55) - full == pytest.approx(-6.0, abs=0.5)
    assert tone_level_db(heard, MUSIC_HZ, 3.45, 3.55) - full == pytest.approx(-6.0, abs=0.5)
    assert tone_level_db(heard, MUSIC_HZ, 3.9, 4.0) - full < -20


def test_a_looped_track_skips_its_trim_once_then_repeats_whole(media: Path) -> None:
    halves = np.concatenate([tone(1.0, 2000, 0.25), tone(1.0, MUSIC_HZ, 0.25)])
    write_wav(media / "halves.wav", halves)
    bed = AudioTrack("music", [media / "halves.wav"], loop=True, trim_start=1.0)
    _, output = mix(media, AudioSpec([bed]), name="loop.mp4")
    heard = decoded_audio(output)

    def louder(start: float) -> float:  # which tone plays from ``start`` for 0.5 s
        return max((2000, MUSIC_HZ), key=lambda hz: tone_level_db(heard, hz, start, start + 0.5))

    assert [louder(s) for s in (0.25, 1.25, 2.25, 3.25)] == [MUSIC_HZ, 2000, MUSIC_HZ, 2000]


# --- refusals -----------------------------------------------------------------------------


def test_a_part_that_is_not_audio_is_named(media: Path) -> None:
    image = media / "still.jpg"
    ffmpeg("-f", "lavfi", "-i", "testsrc=s=64x64", "-frames:v", "1", "-y", str(image))
    parts = [media / "narration3.wav", media / "narration3.wav", image]
    spec = AudioSpec([music(media), AudioTrack("narration", parts)])
    with pytest.raises(
        RenderError, match=r"^tracks\[1\]\.url\[2\]: still.jpg is not audio: a JPEG"
    ):
        mix(media, spec)


def test_duck_under_a_missing_role_is_named(media: Path) -> None:
    with pytest.raises(RenderError, match=r"^tracks\[0\]\.duck\.under: no narration track"):
        mix(media, AudioSpec([music(media, duck=Duck())]))


def test_trim_start_past_the_track_end_is_named(media: Path) -> None:
    spec = AudioSpec([narration(media, trim_start=5.0)])
    with pytest.raises(
        RenderError, match=r"^tracks\[0\]\.trim_start: 5 s is past the end .*3\.000"
    ):
        mix(media, spec)


def test_a_video_without_a_picture_is_named(media: Path) -> None:
    spec = AudioSpec([narration(media)])
    with pytest.raises(RenderError, match=r"^video_url: music.wav is audio only \(pcm_s16le\)"):
        mix(media, spec, video="music.wav")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (AudioSpec([], fit=PictureFit(picture="stretch")), r"^fit.picture must be one of"),
        (AudioSpec([], original_audio="duck"), r"^original_audio: duck needs a narration"),
        (AudioSpec([], original_audio="mute"), r"^tracks: nothing to mix: no tracks, and orig"),
        (AudioSpec([], fit=PictureFit(max_retime=0.9)), r"^fit.max_retime must be from 0 to 0.5"),
        (AudioSpec([], loudness=LoudnessTarget(-3)), r"^loudness.target_lufs must be from -40"),
    ],
)
def test_a_spec_that_cannot_be_met_is_refused_naming_the_field(
    media: Path, spec: AudioSpec, message: str
) -> None:
    with pytest.raises(RenderError, match=message):
        mix(media, spec, "sound4.mp4")


def test_only_a_track_of_one_file_loops(media: Path) -> None:
    parts = [media / "music.wav", media / "music.wav"]
    with pytest.raises(RenderError, match=r"^tracks\[0\]\.loop: only a track of one file"):
        mix(media, AudioSpec([AudioTrack("music", parts, loop=True)]))


# --- what the user is told ----------------------------------------------------------------


def test_narration_cut_by_the_videos_length_says_so(media: Path) -> None:
    result, _ = mix(media, AudioSpec([narration(media)]), video="video2.mp4", name="cut.mp4")
    assert result.duration == pytest.approx(2.0, abs=0.05)
    (warning,) = result.warnings
    assert warning.startswith("the narration ends 1.00 s after the video and was cut")
    assert "fit.length narration or longest keeps it whole" in warning


def test_narration_inside_the_video_gives_no_warning(media: Path) -> None:
    result, _ = mix(media, AudioSpec([narration(media)]), name="inside.mp4")
    assert result.warnings == []


def test_a_track_over_the_length_limit_is_refused_before_decoding(
    media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audio_sources, "MAX_AUDIO_SECONDS", 2.0)
    with pytest.raises(RenderError, match=r"tracks\[0\]\.url: 0\.00 h is longer than a track"):
        mix(media, AudioSpec([narration(media)]), name="long.mp4")


# --- found by an adversarial probe --------------------------------------------------------


def test_the_output_may_be_the_input_video(media: Path) -> None:
    """``framecast audio v.mp4 --out v.mp4``: ffmpeg refuses to write a file it reads, and a
    failed run removes its output, which was the video. The result is made aside, moved last."""
    video = make_video(media / "inplace.mp4", 2.0)
    packets = video_packets(video)
    result = add_audio(video, AudioSpec([narration(media)]), video, CONFIG)
    assert result.picture == "copied"
    assert video_packets(video) == packets
    assert probe_media(video).audio is not None
    assert not [p.name for p in media.iterdir() if p.name.startswith(".inplace")]


def tone_starts(heard: np.ndarray, hz: float) -> list[float]:
    """Where a tone at ``hz`` (far above the narration's band) starts sounding, in seconds."""
    spectrum = np.fft.rfft(heard)
    spectrum[np.abs(np.fft.rfftfreq(len(heard), 1 / RATE) - hz) > 500] = 0
    alone = np.fft.irfft(spectrum, len(heard))
    rms = np.sqrt(np.convolve(alone**2, np.ones(240) / 240, mode="same"))
    playing = np.concatenate([[False], rms > 0.5 * rms.max()])
    return (np.flatnonzero(playing[1:] & ~playing[:-1]) / RATE).tolist()


@pytest.mark.parametrize("container", ["mpegts", "mp4"])
def test_a_picture_that_starts_after_its_sound_keeps_its_sync_and_its_length(
    media: Path, container: str
) -> None:
    """A TS (or an MP4, by an edit list) whose picture starts 0.5 s after its sound: a white
    flash at 1 s of the picture, a beep at the same moment (1.5 s into the sound). The output
    starts with the picture: the mix lasts the picture, not its end timestamp, and the beep
    stays on the flash."""
    video = media / f"late.{container}"
    picture = "color=c=black:s=160x90:r=25:d=2,drawbox=enable='between(n,25,26)':c=white:t=fill"
    beep = f"sine=f={MUSIC_HZ}:sample_rate={RATE}:d=0.1,adelay=1500:all=1,apad=whole_dur=2.5"
    ffmpeg(
        *("-f", "lavfi", "-i", picture, "-f", "lavfi", "-i", beep),
        *("-filter_complex", "[0:v]setpts=PTS+0.5/TB[v]", "-map", "[v]", "-map", "1:a"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-f", container),
        *("-y", str(video)),
    )
    write_wav(media / "hush.wav", speech_like(1.0, words(0.1, 0.9), 0.01))
    spec = AudioSpec([narration(media, "hush.wav")])
    result, output = mix(media, spec, video.name, f"{container}.mp4")
    ends = packet_ends(output)
    assert result.duration == pytest.approx(2.0, abs=1e-3)
    assert abs(ends["audio"] - ends["video"]) <= 1 / FPS
    # AAC keeps its 21 ms of priming in TS: the source itself plays the beep that late.
    assert tone_starts(decoded_audio(output)[0], MUSIC_HZ) == pytest.approx([1.0], abs=0.025)


def test_the_videos_own_sound_loops_at_the_pictures_length_not_its_own(media: Path) -> None:
    """A 2 s picture whose sound lasts 1.2 s, a beep in its first 0.2 s: looped to 5 s, the
    beep comes with each pass of the picture (0, 2, 4 s), not every 1.2 s."""
    video = media / "short-sound.mp4"
    source = ["-f", "lavfi", "-i", f"testsrc2=s=160x90:r={FPS}:d=2", "-f", "lavfi"]
    source += ["-i", f"sine=f={MUSIC_HZ}:sample_rate={RATE}:d=0.2", "-af", "apad=whole_dur=1.2"]
    ffmpeg(*source, "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-y", str(video))
    fit = PictureFit(length="narration", tail=0.0, picture="loop")
    result = fitted(media, fit, 5.0, video="short-sound.mp4")[0]
    heard = decoded_audio(media.parent / f"{media.name}-fit.mp4")[0]
    assert result.duration == pytest.approx(5.0, abs=1e-6)
    assert tone_starts(heard, MUSIC_HZ) == pytest.approx([0.0, 2.0, 4.0], abs=0.03)


def test_a_looped_opus_bed_repeats_without_gaps(media: Path) -> None:
    """ffmpeg's -stream_loop skips Opus's pre-skip on the first pass only: looped as it is, the
    bed has 6.5 ms of silence at every repeat."""
    wav = write_wav(media / "bed.wav", tone(0.5, 440, 0.25))  # 220 cycles: a seamless loop
    bed = media / "bed.opus"
    ffmpeg("-i", str(wav), "-c:a", "libopus", "-b:a", "96k", "-y", str(bed))
    spec = AudioSpec([AudioTrack("music", [bed], loop=True)])
    _, output = mix(media, spec, "video2.mp4", "opus.mp4")
    heard = decoded_audio(output)[0, round(0.1 * RATE) : round(1.9 * RATE)]
    rms = np.sqrt(np.convolve(heard**2, np.ones(96) / 96, mode="valid"))  # 2 ms
    assert rms.min() > 0.5 * np.median(rms)


def test_aac_parts_count_what_ffmpeg_plays_not_the_padding_of_their_last_frame(
    media: Path,
) -> None:
    """AAC in MP4 pads its last frame and says where the sound ends; ffmpeg plays to there.
    Counting the padding puts ducking, lengths and the narration's end ~10 ms late per part."""
    parts, lengths = [], []
    for k in range(4):
        samples = speech_like(0.3 + 0.01 * k, [(0.0, 0.25)], seed=k)
        wav = write_wav(media / f"aac{k}.wav", samples)
        parts.append(media / f"aac{k}.m4a")
        ffmpeg("-i", str(wav), "-c:a", "aac", "-y", str(parts[-1]))
        lengths.append(len(samples))
    decoded = audio_sources.decode_track("tracks[0]", parts, levels=True)
    assert decoded.samples == pytest.approx(sum(lengths), abs=len(parts))
    assert decoded.levels is not None
    assert len(decoded.levels) == -(-sum(lengths) // audio_sources.WINDOW)
    fit = PictureFit(length="narration", tail=0.0)
    result, _ = mix(media, AudioSpec([AudioTrack("narration", parts)], fit=fit), "video2.mp4")
    assert result.narration_seconds == pytest.approx(sum(lengths) / RATE, abs=0.001 * 3)
    assert result.duration == pytest.approx(np.ceil(sum(lengths) / RATE * FPS) / FPS, abs=1e-6)


def test_a_length_following_the_narration_never_cuts_it(media: Path) -> None:
    """2.1 s of narration is 52.5 frames: 53 of them, not 52 and a warning that it was cut."""
    result, _ = fitted(
        media, PictureFit(length="narration", tail=0.0, picture="trim"), 2.1, "video4.mp4"
    )
    assert result.duration == pytest.approx(53 / FPS, abs=1e-6)
    assert result.warnings == []


def test_a_loudness_target_on_a_mix_too_short_to_measure_says_so(media: Path) -> None:
    """BS.1770 gates 0.4 s blocks: a 0.3 s mix has no integrated loudness, so no gain."""
    make_video(media / "blink.mp4", 0.3)
    write_wav(media / "blink.wav", speech_like(0.3, [(0.0, 0.3)], 0.02))
    spec = AudioSpec([narration(media, "blink.wav")], loudness=PRESETS["youtube"])
    result, _ = mix(media, spec, "blink.mp4", "blink-out.mp4")
    (warning,) = result.warnings
    assert warning.startswith("loudness: the mix measures as silence")
    assert "target_lufs was not met" in warning


def test_a_hot_mix_without_a_target_never_clips_once_decoded(media: Path) -> None:
    """+12 dB on a narration already at full scale, no loudness target: the levels are the
    user's, but peaks are held where AAC's overshoot does not take decoded samples past 1."""
    write_wav(media / "hot.wav", np.clip(speech_like(2.0, words(0.1, 1.9), 0.9, seed=7), -1, 1))
    spec = AudioSpec([narration(media, "hot.wav", volume_db=12)])
    _, output = mix(media, spec, "video2.mp4", "hot.mp4")
    heard = decoded_audio(output)
    assert np.abs(heard).max() <= 1.0
    assert true_peak_db(heard) <= 0.0


@pytest.mark.parametrize(
    ("name", "sound", "picture"),
    [
        ("bframes.avi", ["-c:a", "libmp3lame"], "copied"),  # B-frames' pts: guessed
        ("raw.h264", [], "reencoded"),  # no timestamps: copied, ffmpeg would make some up
    ],
)
def test_a_picture_without_reliable_timestamps_ends_with_its_mix(
    media: Path, name: str, sound: list[str], picture: str
) -> None:
    """AVI stores no timestamps for B-frames (libavformat versions guess them a frame apart),
    a raw H.264 stream none at all: the mix still lasts the picture, and ends with it."""
    video = media / name
    source = ["-f", "lavfi", "-i", f"testsrc2=s=160x90:r={FPS}:d=2"]
    source += ["-f", "lavfi", "-i", f"sine=f=500:sample_rate={RATE}:d=2"] if sound else []
    codecs = ["-c:v", "libx264", "-preset", "ultrafast", "-bf", "2", "-pix_fmt", "yuv420p"]
    ffmpeg(*source, *codecs, *sound, "-y", str(video))
    result, output = mix(media, AudioSpec([narration(media)]), name, f"{name}.mp4")
    ends = packet_ends(output)
    assert result.picture == picture
    assert result.duration == pytest.approx(2.0, abs=1e-3)
    assert ends["audio"] == pytest.approx(ends["video"], abs=0.001)


def test_music_ducks_on_time_under_every_aac_part(media: Path) -> None:
    """Four AAC parts, each padded by ~19 ms in its last frame, each a burst of voice after
    0.1 s: counted with their padding, the gain curve falls further behind the voice at each
    part, and the music is still loud when the last one speaks."""
    parts, starts = [], []
    length = 47 * 1024 + 100  # 1.005 s: 924 samples of padding in its last AAC frame
    for k in range(4):
        wav = write_wav(media / f"duck{k}.wav", speech_like(length / RATE, [(0.1, 0.3)], seed=k))
        parts.append(media / f"duck{k}.m4a")
        ffmpeg("-i", str(wav), "-c:a", "aac", "-y", str(parts[-1]))
        starts.append(k * length / RATE + 0.1)
    spec = AudioSpec([AudioTrack("narration", parts), music(media, volume_db=-6, duck=Duck())])
    _, output = mix(media, spec, name="duck-aac.mp4")
    heard = decoded_audio(output)
    full = tone_level_db(heard, MUSIC_HZ, 0.0, 0.07)
    for start in starts:
        assert full - tone_level_db(heard, MUSIC_HZ, start, start + 0.05) == pytest.approx(
            10, abs=2
        ), start


@pytest.mark.parametrize("transfer", ["arib-std-b67", "smpte2084"])  # HLG, PQ: phones record it
def test_a_frozen_hdr_picture_keeps_its_colours(media: Path, transfer: str) -> None:
    clip = media / f"hdr-{transfer}.mp4"
    tags = f"colorprim=bt2020:transfer={transfer}:colormatrix=bt2020nc"
    ffmpeg(
        *("-f", "lavfi", "-i", "color=c=0xC03020:s=64x36:r=25:d=0.4,format=gbrpf32le"),
        *(
            "-vf",
            f"zscale=tin=bt709:pin=bt709:min=bt709:rin=full:t={transfer}:p=bt2020"
            ":m=bt2020nc:r=tv,format=yuv444p10le",
        ),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le"),
        *("-x264-params", tags, "-y", str(clip)),
    )
    spec = AudioSpec([narration(media)], fit=PictureFit(length="narration", tail=0.0))
    result, output = mix(media, spec, video=clip.name, name=f"hdr-{transfer}.mp4")
    assert result.picture == "reencoded"
    with av.open(str(output)) as container:
        rgb = next(container.decode(video=0)).to_ndarray(format="rgb24").astype(float)
    assert rgb.mean(axis=(0, 1)) == pytest.approx((192, 48, 32), abs=8)
