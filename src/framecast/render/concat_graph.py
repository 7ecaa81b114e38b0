"""The ``-filter_complex`` of a concatenation: every input fitted to the output frame and rate,
its sound cut or padded to its picture's length, and all of them joined, with transitions.

The numbers (frames, samples, overlaps) come from :mod:`framecast.render.concat_plan`.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from framecast.render.colour import BT709_PARAMS, to_bt709
from framecast.render.concat_plan import SAMPLE_RATE, Timeline
from framecast.render.fill import FILL_DARKEN, FILL_SHRINK, FILL_SIGMA, even

__all__ = ["audio_graph", "filter_graph", "fit_chain"]


def filter_graph(
    timeline: Timeline, width: int, height: int, fit: str, audio: bool
) -> tuple[str, str, str]:
    """The ``-filter_complex`` of ``timeline`` (segment ``i`` is ffmpeg's input ``i``), one
    statement a line, and the labels of its video and audio outputs."""
    lines: list[str] = []
    for i, segment in enumerate(timeline.segments):
        colour = (segment.colorspace, segment.primaries, segment.transfer)
        lines += fit_chain(
            i, segment.video, timeline.fps, width, height, fit, colour, segment.frames
        )
        if audio:
            samples = timeline.sample(segment.end) - timeline.sample(segment.first)
            lines.append(_audio_chain(i, segment.audio, samples))
    video, sound = _join(lines, timeline, 0, len(timeline.segments), audio)
    return ";\n".join(lines) + "\n", f"[{video}]", f"[{sound}]"


def audio_graph(streams: Sequence[int | None], samples: Sequence[int]) -> tuple[str, str]:
    """The sound alone, for a picture joined by stream copy: input ``i``'s audio stream
    ``streams[i]`` (None: silence) made exactly ``samples[i]`` long, the parts joined end to
    end; the graph and the label of its output."""
    lines = [
        _audio_chain(i, stream, count)
        for i, (stream, count) in enumerate(zip(streams, samples, strict=True))
    ]
    pads = "".join(f"[a{i}]" for i in range(len(lines)))
    lines.append(f"{pads}concat=n={len(lines)}:v=0:a=1[sound]")
    return ";\n".join(lines) + "\n", "[sound]"


def fit_chain(
    i: int,
    stream: int,
    fps: Fraction,
    width: int,
    height: int,
    fit: str,
    colour: tuple[int | None, int | None, int | None],
    frames: int,
    *,
    hold: bool = True,
    background: tuple[int, int, int] = (0, 0, 0),
) -> list[str]:
    """Statements fitting input ``i``'s video stream ``stream`` to ``width`` × ``height`` at
    ``fps`` as BT.709 limited yuv420p, into the pad ``[v{i}]``.

    ``colour`` is the stream's (colorspace, primaries, transfer); ``fit`` is cover, contain
    (bars of the RGB ``background``) or blur. The output has ``frames`` frames at most; with
    ``hold``, a stream that ends sooner has its last frame repeated to make up the count.
    """
    # fps first, so frames that are dropped are never scaled; start_time=0 fills from the
    # first frame if the video starts after its container. tpad + trim make the count exact
    # whatever the source's rounding.
    head = f"[{i}:{stream}]fps=fps={_q(fps)}:start_time=0"
    tail = f"setsar=1,setparams={BT709_PARAMS}"
    if hold:
        tail += f",tpad=stop_mode=clone:stop={frames}"
    tail += f",trim=end_frame={frames}[v{i}]"
    first, scale_colour = to_bt709(*colour)
    if first is not None:
        head = f"{head},{first}"
    contain = f"scale=w={width}:h={height}:force_original_aspect_ratio=decrease"
    contain += f":force_divisible_by=2:reset_sar=1:{scale_colour},format=yuv420p"
    if fit == "cover":
        cover = f"scale=w={width}:h={height}:force_original_aspect_ratio=increase:reset_sar=1"
        return [f"{head},{cover}:{scale_colour},format=yuv420p,crop={width}:{height},{tail}"]
    if fit == "contain":
        # pad converts the colour with the frames' matrix (BT.709, set by scale), as the
        # frame pipeline converts an image's background.
        bars = "0x" + "".join(f"{c:02x}" for c in background)
        return [f"{head},{contain},pad={width}:{height}:-1:-1:color={bars},{tail}"]
    small_w, small_h = even(width / FILL_SHRINK), even(height / FILL_SHRINK)
    keep = 1 - FILL_DARKEN
    darken = f"lutyuv=y=val-(val-16)*{keep:g}:u=val-(val-128)*{keep:g}:v=val-(val-128)*{keep:g}"
    return [
        f"{head},split=2[bg{i}][fg{i}]",
        f"[bg{i}]scale=w={small_w}:h={small_h}:force_original_aspect_ratio=increase:reset_sar=1"
        f":flags=area:{scale_colour},format=yuv420p,crop={small_w}:{small_h},{darken}"
        f",gblur=sigma={FILL_SIGMA:g},scale={width}:{height}:flags=bilinear[fill{i}]",
        f"[fg{i}]{contain}[slot{i}]",
        f"[fill{i}][slot{i}]overlay=x=trunc((W-w)/4)*2:y=trunc((H-h)/4)*2,{tail}",
    ]


def _audio_chain(i: int, stream: int | None, samples: int) -> str:
    """Input ``i``'s audio stream ``stream`` (None: silence), exactly ``samples`` long."""
    layout = f"sample_fmts=fltp:sample_rates={SAMPLE_RATE}:channel_layouts=stereo"
    if stream is not None:
        # Placed by its timestamps from the input's start (first_pts=0: a sound that starts
        # after the picture is preceded by silence, not pulled early), then padded or cut to
        # the segment's length, so audio and video end together.
        head = f"[{i}:{stream}]aresample={SAMPLE_RATE}:async=1:first_pts=0,aformat={layout}"
        head += f",apad=whole_len={samples}"
    else:
        head = f"anullsrc=r={SAMPLE_RATE}:cl=stereo,aformat={layout}"
    return f"{head},atrim=end_sample={samples},asetpts=N/SR/TB[a{i}]"


def _join(
    lines: list[str], timeline: Timeline, first: int, end: int, audio: bool
) -> tuple[str, str]:
    """Join segments ``first`` to ``end`` (excluded) as a balanced tree of two-input joins,
    log2(N) deep (a chain would pass the first segment's frames through every later join);
    the labels of the joined video and audio."""
    if end - first == 1:
        return f"v{first}", f"a{first}"
    middle = (first + end) // 2
    left = _join(lines, timeline, first, middle, audio)
    right = _join(lines, timeline, middle, end, audio)
    segments, fps = timeline.segments, timeline.fps
    entering = segments[middle]
    video, sound = f"v{first}_{end}", f"a{first}_{end}"
    if not entering.overlap:
        pads = [left[0], left[1], right[0], right[1]] if audio else [left[0], right[0]]
        outputs = f"[{video}c][{sound}]" if audio else f"[{video}c]"
        lines.append("".join(f"[{p}]" for p in pads) + f"concat=n=2:v=1:a={int(audio)}{outputs}")
        # concat's time base need not be 1/fps, which xfade requires of both its inputs.
        lines.append(f"[{video}c]settb={_q(1 / fps)}[{video}]")
        return video, sound
    # The right side enters where the left side's last frames overlap it.
    offset = (entering.first - segments[first].first) / fps
    lines.append(
        f"[{left[0]}][{right[0]}]xfade=transition={entering.transition}"
        f":duration={_seconds(entering.overlap / fps)}:offset={_seconds(offset)}[{video}]"
    )
    if audio:
        samples = timeline.sample(segments[middle - 1].end) - timeline.sample(entering.first)
        lines.append(f"[{left[1]}][{right[1]}]acrossfade=ns={samples}:c1=tri:c2=tri[{sound}]")
    return video, sound


def _q(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def _seconds(value: Fraction) -> str:
    # xfade reads microseconds and rounds them to its time base (1/fps): exact frames.
    return f"{float(value):.6f}"
