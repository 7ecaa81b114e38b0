"""The mix as one ffmpeg filter graph: every track placed on the output's timeline, counted in
samples at 48 kHz.

Each part is decoded, resampled to 48 kHz stereo float, its timestamps replaced by its sample
count and cut or padded to its counted length, so parts join end to end with no gap and no
overlap (``concat``), whatever their containers say. A track is then trimmed, cut to what is
heard (which also ends a loop), given its gain and fades, delayed to its start and, when it
ducks, multiplied by its gain curve. A loop is ``-stream_loop -1`` on its input, read as it
plays, never held in memory; but ffmpeg drops a codec's start-up samples (Opus's pre-skip,
Vorbis's, AAC's priming) only on the first pass, so what loops is one pass decoded once to
PCM (:func:`one_pass_filter`), which repeats sample-exact. The video's own sound is placed by
its timestamps against the picture's first frame (a TS file may start it earlier or later), and
when the picture loops, one pass of it, as long as the picture, loops with it. The tracks are
summed by ``amix`` with ``normalize=0``: amix's default divides every input by the number of
inputs, which is how other tools lose 6 dB of narration under a music bed. The sum is padded
or cut to the output's exact sample count.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from framecast.render.audio_sources import RATE

__all__ = ["AAC", "MIX", "OriginalSound", "PlacedTrack", "mix_graph", "one_pass_filter"]

MIX = "[mix]"  # the graph's output
# AAC-LC, 48 kHz stereo: what every browser plays (PCM in MP4 is ``ipcm``, which they don't).
# ffmpeg's "fast" coder: at this bit rate both faster and closer to the source than its default
# ("twoloop": 1.3× the time, and 1–9 dB less SNR on our benchmark's mix), as its manual says.
AAC = ["-c:a", "aac", "-profile:a", "aac_low", "-aac_coder", "fast", "-b:a", "192k"]
AAC += ["-ar", str(RATE), "-ac", "2"]
_STEREO = f"aformat=sample_fmts=fltp:sample_rates={RATE}:channel_layouts=stereo"
_DECODED = f"aresample={RATE},{_STEREO},asetpts=N/SR/TB"
_ENVELOPE_FORMAT = ["-f", "f32le", "-ch_layout", "mono"]


@dataclass(frozen=True)
class PlacedTrack:
    """One track on the timeline, in samples at RATE."""

    parts: list[tuple[Path, int, int]]  # each part's file, audio stream and length (samples)
    loop: bool  # its one part is repeated: one pass of exactly its length (one_pass_filter)
    start: int
    trim: int
    heard: int  # samples of it in the output (after the trim, loops included)
    volume_db: float
    fade_in: int
    fade_out: int
    envelope: tuple[Path, int] | None  # ducking gains (raw float32) and their rate


@dataclass(frozen=True)
class OriginalSound:
    """The video's own audio stream in the mix."""

    video: Path  # or, when it loops, one pass of it (one_pass_filter)
    stream: int
    loop: bool  # the picture loops: so does its sound
    tempo: float  # the picture is retimed: its sound plays this much faster
    envelope: tuple[Path, int] | None
    lead: int = 0  # samples it starts before the picture's first frame (negative: after)


def mix_graph(
    tracks: list[PlacedTrack], original: OriginalSound | None, total: int
) -> tuple[list[str], str]:
    """The ffmpeg input arguments and the filter graph whose ``[mix]`` is the whole mix,
    ``total`` samples long."""
    inputs: list[str] = []
    opened: list[Path] = []
    graph: list[str] = []
    summed: list[str] = []

    def add_input(path: Path, loop: bool = False, raw: list[str] | None = None) -> int:
        inputs.extend(["-stream_loop", "-1"] if loop else [])
        inputs.extend([*(raw or []), "-i", str(path)])
        opened.append(path)
        return len(opened) - 1

    def duck(label: str, envelope: tuple[Path, int] | None) -> str:
        if envelope is None:
            return label
        path, rate = envelope
        n = add_input(path, raw=[*_ENVELOPE_FORMAT, "-ar", str(rate)])
        graph.append(f"[{n}:a]aresample={RATE},pan=stereo|c0=c0|c1=c0,{_STEREO}[g{n}]")
        graph.append(f"{label}[g{n}]amultiply[d{n}]")
        return f"[d{n}]"

    if original is not None:
        n = add_input(original.video, loop=original.loop)
        chain = [_DECODED, *_aligned(original.lead)]
        if original.tempo != 1:
            chain.append(f"atempo={original.tempo:.6f}")
        chain.append(f"atrim=end_sample={total}")
        graph.append(f"[{n}:{original.stream}]{','.join(chain)}[orig]")
        summed.append(duck("[orig]", original.envelope))
    for i, track in enumerate(tracks):
        labels = []
        for j, (path, stream, samples) in enumerate(track.parts):
            n = add_input(path, loop=track.loop)
            exact = "" if track.loop else f",apad=whole_len={samples},atrim=end_sample={samples}"
            graph.append(f"[{n}:{stream}]{_DECODED}{exact}[t{i}p{j}]")
            labels.append(f"[t{i}p{j}]")
        joined = "".join(labels)
        if len(labels) > 1:
            joined += f"concat=n={len(labels)}:v=0:a=1,asetpts=N/SR/TB,"
        graph.append(f"{joined}{_track_chain(track)}[t{i}]")
        summed.append(duck(f"[t{i}]", track.envelope))
    if len(summed) > 1:
        head = f"{''.join(summed)}amix=inputs={len(summed)}:duration=longest:normalize=0,"
    else:
        head = f"{summed[0]}"
    graph.append(f"{head}apad=whole_len={total},atrim=end_sample={total},asetpts=N/SR/TB{MIX}")
    return inputs, ";\n".join(graph) + "\n"


def one_pass_filter(samples: int, lead: int = 0) -> str:
    """The filter chain making one pass of a looped input: decoded, aligned (``lead`` as in
    OriginalSound) and exactly ``samples`` long, to be written as PCM."""
    chain = [_DECODED, *_aligned(lead), f"apad=whole_len={samples},atrim=end_sample={samples}"]
    return ",".join(chain)


def _aligned(lead: int) -> list[str]:
    """Filters cutting ``lead`` samples from a sound's start, or delaying it by −``lead``."""
    if lead > 0:
        return [f"atrim=start_sample={lead},asetpts=N/SR/TB"]
    if lead < 0:
        return [f"adelay=delays={-lead}S:all=1"]
    return []


def _track_chain(track: PlacedTrack) -> str:
    """Trim, length, gain, fades and start of one (joined) track."""
    chain = []
    if track.trim:
        chain.append(f"atrim=start_sample={track.trim},asetpts=N/SR/TB")
    chain.append(f"atrim=end_sample={track.heard}")
    if track.volume_db:
        chain.append(f"volume={track.volume_db:.3f}dB")
    # afade counts samples from the timestamps, which start at 0 here.
    fade_in, fade_out = min(track.fade_in, track.heard), min(track.fade_out, track.heard)
    if fade_in:
        chain.append(f"afade=t=in:ss=0:ns={fade_in}")
    if fade_out:
        chain.append(f"afade=t=out:ss={track.heard - fade_out}:ns={fade_out}")
    if track.start:
        chain.append(f"adelay=delays={track.start}S:all=1")
    return ",".join(chain)
