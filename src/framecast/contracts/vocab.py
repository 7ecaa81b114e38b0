"""Option vocabularies: the names a request may use, in one place for the API, worker and CLI."""

from __future__ import annotations

PANS = ("pan_left", "pan_right", "pan_up", "pan_down")
MOVES = ("zoom_in", "zoom_out", *PANS, "static")
MOTIONS = (*MOVES, "random")
RANDOM_MOVES = tuple(m for m in MOVES if m != "static")  # what ``random`` picks from by default
EASING_NAMES = ("linear", "ease_in_out")
FITS = ("cover", "contain", "blur")
ASPECTS = {"16:9": (1920, 1080), "9:16": (1080, 1920), "1:1": (1080, 1080), "4:5": (1080, 1350)}
MAX_SIDE = 3840
MAX_PIXELS = 3840 * 2160  # the largest frame: 4K UHD, either way up

# ffmpeg's xfade transitions (``custom`` left out: it takes expressions, not a name).
TRANSITIONS = (
    "fade", "fadeblack", "fadewhite", "fadegrays", "fadefast", "fadeslow", "dissolve",
    "wipeleft", "wiperight", "wipeup", "wipedown", "wipetl", "wipetr", "wipebl", "wipebr",
    "slideleft", "slideright", "slideup", "slidedown",
    "smoothleft", "smoothright", "smoothup", "smoothdown",
    "coverleft", "coverright", "coverup", "coverdown",
    "revealleft", "revealright", "revealup", "revealdown",
    "circlecrop", "rectcrop", "circleopen", "circleclose", "radial", "distance",
    "vertopen", "vertclose", "horzopen", "horzclose", "pixelize", "hblur", "zoomin",
    "diagtl", "diagtr", "diagbl", "diagbr", "hlslice", "hrslice", "vuslice", "vdslice",
    "squeezeh", "squeezev", "hlwind", "hrwind", "vuwind", "vdwind",
)  # fmt: skip
# compose blends its transitions in its own frame pipeline: these (``none``: a plain cut).
COMPOSE_TRANSITIONS = (
    "none", "fade", "fadeblack", "fadewhite",
    "wipeleft", "wiperight", "wipeup", "wipedown",
    "slideleft", "slideright", "slideup", "slidedown",
)  # fmt: skip
CONCAT_MODES = ("auto", "copy", "reencode")  # copy: stream copy; auto: copy when inputs allow
CONCAT_AUDIO = ("keep", "mute")
AUDIO_ROLES = ("narration", "music")
ORIGINAL_AUDIO = ("keep", "mute", "duck")
FIT_LENGTHS = ("video", "narration", "shortest", "longest")
PICTURE_FITS = ("freeze", "loop", "retime", "trim", "error")
# name: (integrated loudness target in LUFS, true-peak ceiling in dBTP)
LOUDNESS_PRESETS = {"youtube": (-14.0, -1.0), "podcast": (-16.0, -1.5), "broadcast": (-23.0, -1.0)}
CAPTION_PRESETS = (
    "classic", "boxed", "karaoke", "karaoke_fill", "highlight", "pill", "underline",
    "word_by_word", "pop",
)  # fmt: skip
CAPTION_POSITIONS = (
    "top_left", "top_center", "top_right", "middle_left", "middle_center", "middle_right",
    "bottom_left", "bottom_center", "bottom_right",
)  # fmt: skip
SAFE_AREAS = ("tiktok", "reels", "shorts", "youtube")
# The open-licence families installed from PyPI (fontpkg-*); tests pin this list to the packages.
FONT_FAMILIES = (
    "Anton", "Bebas Neue", "Inter", "Luckiest Guy", "Montserrat", "Noto Sans",
    "Noto Sans Arabic", "Poppins", "Roboto",
)  # fmt: skip
