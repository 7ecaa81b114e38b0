"""Marker tracking for the motion-smoothness test and the jitter benchmark."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import av
import numpy as np

from framecast.render.motion import CameraPath, frame_times


def decode_luma(path: Path) -> list[np.ndarray]:
    """Every frame's Y plane of the first video stream of ``path``, as float arrays."""
    planes = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            # The raw yuv420p layout: Y rows first. Converting to "gray" would rescale the range.
            planes.append(frame.to_ndarray()[: frame.height].astype(np.float64))
    return planes


def centroid(
    plane: np.ndarray, x: float, y: float, radius: int, margin: float
) -> tuple[float, float]:
    """The intensity-weighted centre (continuous coords) of the blob near (``x``, ``y``)."""
    left, top = max(0, int(x) - radius), max(0, int(y) - radius)
    window = plane[top : int(y) + radius + 1, left : int(x) + radius + 1]
    # Weigh only what stands ``margin`` above the background (the window's median, as the blob
    # covers a small part of it): background left in the weights pulls the centre towards the
    # window's middle, which would make the measurement depend on where the window was put.
    weights = np.clip(window - (np.median(window) + margin), 0, None)
    total = weights.sum()
    cols = np.arange(window.shape[1]) + left + 0.5
    rows = np.arange(window.shape[0]) + top + 0.5
    return float(weights.sum(axis=0) @ cols / total), float(weights.sum(axis=1) @ rows / total)


def track(
    planes: Sequence[np.ndarray],
    predicted: np.ndarray,
    radius: int = 12,
    margin: float = 4.0,
) -> np.ndarray:
    """Measured positions, shape (frames, markers, 2), searching around ``predicted``."""
    measured = np.empty_like(predicted)
    for i, plane in enumerate(planes):
        for k, (x, y) in enumerate(predicted[i]):
            measured[i, k] = centroid(plane, x, y, radius, margin)
    return measured


def ideal_positions(
    path: CameraPath,
    frames: int,
    markers: Sequence[tuple[float, float]],
    source_size: tuple[int, int],
    output_size: tuple[int, int],
) -> np.ndarray:
    """Where each marker (source pixel coords) should appear in each frame, in output pixels."""
    (sw, sh), (ow, oh) = source_size, output_size
    positions = np.empty((frames, len(markers), 2))
    for i, t in enumerate(frame_times(frames)):
        rect = path.at(t)
        for k, (mx, my) in enumerate(markers):
            positions[i, k] = ((mx / sw - rect.x) / rect.w * ow, (my / sh - rect.y) / rect.h * oh)
    return positions


def step_error_rms(measured: np.ndarray, reference: np.ndarray) -> float:
    """RMS of the frame-to-frame displacement error (a constant offset does not count)."""
    error = np.diff(measured, axis=0) - np.diff(reference, axis=0)
    return float(np.sqrt(np.mean(error**2)))


def smooth_fit(measured: np.ndarray, degree: int = 4) -> np.ndarray:
    """A per-marker polynomial fit over time: the reference when the ideal path is unknown."""
    t = np.linspace(-1, 1, measured.shape[0])
    fitted = np.empty_like(measured)
    for k in range(measured.shape[1]):
        for axis in range(2):
            coeffs = np.polynomial.polynomial.polyfit(t, measured[:, k, axis], degree)
            fitted[:, k, axis] = np.polynomial.polynomial.polyval(t, coeffs)
    return fitted
