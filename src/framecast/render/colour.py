"""BT.709 out, whatever came in: the tags every output carries and the filters that convert a
decoded picture to them (shared by concatenate and the audio operation's re-encodes)."""

from __future__ import annotations

# Output options tagging a stream BT.709, limited range.
BT709_TAGS = ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709"]
BT709_TAGS += ["-color_range", "tv"]
# The same, as a ``setparams`` filter's options (frames carry them into the encoder).
BT709_PARAMS = "color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv"
# AVColorSpace values swscale converts from; anything else (unspecified above all) is taken
# as BT.709 and left as it is, as the frame pipeline does for its raw frames.
_MATRICES = {4: "fcc", 5: "bt470", 6: "smpte170m", 7: "smpte240m", 9: "bt2020"}
# BT.2020 primaries (9) or an HDR transfer (16: PQ, 18: HLG: phones record it) need more than a
# matrix: zimg converts transfer and primaries to BT.709 too (light above SDR white is clipped),
# to 4:4:4, as zimg refuses to subsample an odd size (scale does it after).
_WIDE_PRIMARIES, _HDR_TRANSFERS = 9, (16, 18)
_TO_BT709 = "zscale=t=bt709:p=bt709:m=bt709:r=tv,format=yuv444p10le"


def to_bt709(
    colorspace: int | None, primaries: int | None, transfer: int | None
) -> tuple[str | None, str]:
    """(a zscale filter to run first for wide-gamut or HDR input, or None; the colour options
    of the ``scale`` filter that follows)."""
    first = None
    if primaries == _WIDE_PRIMARIES or transfer in _HDR_TRANSFERS:
        first, colorspace = _TO_BT709, 1  # zscale's output is BT.709 already
    source = _MATRICES.get(colorspace or 0, "bt709")
    return first, f"in_color_matrix={source}:out_color_matrix=bt709:out_range=tv"
