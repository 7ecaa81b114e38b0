"""An image scene: the frames of an image under a camera move, any one of them on demand."""

from __future__ import annotations

import numpy as np

from framecast.render.compose import Framing, frame_image, prepare_frames
from framecast.render.motion import CameraPath, Motion, frame_times

__all__ = ["ImageScene"]


class ImageScene:
    """The ``frames`` yuv420p frames of ``rgb`` (RGB uint8) moving as ``motion``, fitted as
    ``fit`` into ``width`` × ``height`` over ``background`` (RGB).

    Frame k is exactly the frame k that :func:`framecast.render.clip.render_frames` makes of a
    clip of ``frames`` frames, and frames come in any order. A returned frame stays valid until
    ``buffers`` more have been returned. Not thread-safe: one caller at a time.
    """

    def __init__(
        self,
        rgb: np.ndarray,
        width: int,
        height: int,
        motion: Motion | CameraPath,
        fit: str,
        background: tuple[int, int, int],
        frames: int,
        buffers: int = 3,
    ) -> None:
        if frames < 1:
            raise ValueError(f"a scene has at least one frame, got {frames}")
        image_h, image_w = rgb.shape[:2]
        # Resolved once, as a clip does: the move shown is the one reported (random's pick).
        self.framing: Framing = frame_image(image_w, image_h, width, height, motion, fit)
        self.frames = frames
        self._warper, self._path = prepare_frames(
            rgb, width, height, self.framing.path, fit, background, buffers
        )
        self._times = frame_times(frames)

    def frame(self, k: int) -> memoryview:
        """Frame ``k`` (0 … frames − 1): the camera at path time k / (frames − 1)."""
        if not 0 <= k < self.frames:
            raise IndexError(f"frame {k} is outside the scene's {self.frames} frames")
        return self._warper.render(self._path.at(self._times[k]))
