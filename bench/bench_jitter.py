"""Motion jitter of the zoompan chain against ours, measured with the smoothness test's tracker.

Run: .venv/bin/python bench/bench_jitter.py

Both clips are 2 s 1080p24 zooms of the same marker image, encoded with libx264 at CRF 12 so the
codec's own noise (≈ 0.05 px at CRF 23) stays small. The zoompan clip's reference is a smooth
per-marker fit of its own measurements (its ideal path is not ours); ours is shown against both
that fit and the exact camera path.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.render.tracking

from framecast.config import EncoderConfig
from framecast.render.clip import RenderSpec, render_array
from framecast.render.encode import encoder_args, ffmpeg_binary
from framecast.render.motion import frame_count, zoom_in
from tests.render.tracking import (
    decode_luma,
    ideal_positions,
    smooth_fit,
    step_error_rms,
    track,
)
from tests.support.media import marker_image

WIDTH, HEIGHT, FPS, DURATION = 1920, 1080, 24.0, 2.0
SOURCE = (2400, 1350)
ZOOMPAN = (
    "scale=6720:3840,zoompan=z='min(zoom+0.0015,1.5)':x='iw/2-(iw/zoom/2)':"
    "y='ih/2-(ih/zoom/2)':d={frames}:s=1920x1080:fps=24"
)


def main() -> None:
    rng = np.random.default_rng(3)
    points = [
        (x + rng.random(), y + rng.random())
        for x in np.linspace(450, 1950, 6)
        for y in np.linspace(250, 1100, 4)
    ]
    image = marker_image(*SOURCE, points, sigma=3.5)
    config = EncoderConfig(encoder="x264", x264_crf=12)
    frames = frame_count(DURATION, FPS)
    with tempfile.TemporaryDirectory() as tmp:
        source, theirs, ours = (Path(tmp) / n for n in ("m.png", "zoompan.mp4", "ours.mp4"))
        cv2.imwrite(str(source), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        command = [ffmpeg_binary(config), "-hide_banner", "-loglevel", "error", "-loop", "1"]
        command += ["-i", str(source), "-vf", ZOOMPAN.format(frames=frames)]
        command += ["-frames:v", str(frames), *encoder_args("libx264", config)]
        subprocess.run([*command, "-pix_fmt", "yuv420p", "-y", str(theirs)], check=True)
        end_zoom = 1 + 0.0015 * frames
        path = zoom_in(end_zoom)
        render_array(image, ours, DURATION, RenderSpec(WIDTH, HEIGHT, FPS, path), config)
        # zoompan's zoom grows by 0.0015 a frame, close to our path: good enough to aim windows.
        guide = ideal_positions(path, frames, points, SOURCE, (WIDTH, HEIGHT))
        their_track = track(decode_luma(theirs), guide, radius=16)
        our_track = track(decode_luma(ours), guide, radius=16)
    print(f"{frames} frames {WIDTH}x{HEIGHT}, zoom 1 → {end_zoom:.3f}, step error RMS (px):")
    rows = [
        ("zoompan chain, vs its own smooth fit", their_track, smooth_fit(their_track)),
        ("ours, vs its own smooth fit", our_track, smooth_fit(our_track)),
        ("ours, vs the exact camera path", our_track, guide),
    ]
    for name, measured, reference in rows:
        print(f"  {name:38}{step_error_rms(measured, reference):.3f}")


if __name__ == "__main__":
    main()
