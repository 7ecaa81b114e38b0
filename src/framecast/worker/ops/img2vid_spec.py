"""img2vid's render options → the renderer's spec: shared by the worker and ``framecast render``,
and kept apart from the worker's downloads and uploads, so the command line loads no HTTP client."""

from __future__ import annotations

from framecast.contracts.render import MotionFields, RenderBlock
from framecast.render.clip import RenderSpec

__all__ = ["render_spec"]


def render_spec(block: RenderBlock, item: MotionFields | None = None, index: int = 0) -> RenderSpec:
    """The renderer's spec for item ``index`` of a job: its own options over the block's.

    Raises :class:`InputError` naming the field when the options cannot make a clip.
    """
    fit, background = block.fit_for(item)
    return RenderSpec(
        width=block.width,
        height=block.height,
        fps=block.fps,
        motion=block.motion_for(item, index),
        fit=fit,
        background=background,
    )
