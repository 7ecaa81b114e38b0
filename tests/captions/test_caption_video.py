"""The caption path end to end on files (build, burn, font check), measured in decoded frames."""

from __future__ import annotations

import random
from pathlib import Path

import av
import numpy as np
import pytest

from framecast.captions.model import Captions, Word
from framecast.captions.sources import read_captions
from framecast.config import EncoderConfig, Settings
from framecast.contracts.caption import CaptionOptions, CaptionStyle, Replacement
from framecast.errors import InputError
from framecast.render.probe import probe, probe_media
from framecast.worker.ops.caption import caption_video
from tests.support.clips import lavfi_clip

FPS = 30
GREEN = "#00FF00FF"


@pytest.fixture(scope="module")
def work_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One work folder for the module: static font instances are made once, then reused."""
    return tmp_path_factory.mktemp("work")


def settings(work_root: Path) -> Settings:
    return Settings(work_dir=work_root, encoding=EncoderConfig(encoder="x264"))


def black_video(path: Path, seconds: float, width: int, height: int) -> Path:
    return lavfi_clip(path, seconds, width, height, fps=FPS, tone_hz=330, source="color")


def frames_rgb(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def green_box(frame: np.ndarray) -> tuple[int, int, int, int] | None:
    """The bounding box of the active colour (pure green) in ``frame``, or None."""
    r, g, b = (frame[..., i].astype(int) for i in range(3))
    mask = (g > 160) & (r < 110) & (b < 110)
    if mask.sum() < 12:
        return None
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def spoken(seconds: float, seed: int = 3) -> list[Word]:
    """Words with uneven lengths and gaps (some long pauses), over ``seconds``."""
    rng = random.Random(seed)
    words, t = [], 0.3
    while t < seconds - 1.0:
        length = rng.uniform(0.18, 0.7)
        gap = rng.choice([0.0, 0.05, 0.12, 0.3, 0.9])
        text = "".join(rng.choice("abcdeghkmnoprstuw") for _ in range(rng.randint(2, 7)))
        words.append(Word(text, round(t, 3), round(t + length, 3)))
        t += length + gap
    return words


def test_each_highlight_switches_within_one_frame_of_its_word_over_60_seconds(
    tmp_path: Path, work_root: Path
) -> None:
    words = spoken(60.0)
    video = black_video(tmp_path / "in.mp4", 60.0, 360, 640)
    style = CaptionStyle(preset="highlight", active_color=GREEN, font="Roboto", size=36)
    out = tmp_path / "out.mp4"
    built, burned = caption_video(
        video,
        Captions(words=words),
        CaptionOptions(style=style),
        None,
        tmp_path,
        out,
        settings(work_root),
    )
    assert burned.frames == 60 * FPS and burned.audio == "copied"
    assert len(built.words) == len(words) > 60
    boxes = [green_box(f) for f in frames_rgb(out)]
    # A highlight "switch" is a frame whose green box differs from the frame before.
    switches = [
        i
        for i in range(1, len(boxes))
        if boxes[i] is not None and (boxes[i - 1] is None or _moved(boxes[i - 1], boxes[i]))
    ]
    expected = [int(np.ceil(w.start * FPS - 1e-6)) for w in words]
    errors = [min(abs(s - e) for s in switches) for e in expected]
    assert max(errors) <= 1, f"worst word is {max(errors)} frames off"
    assert len(switches) == len(words)  # no extra switches: each word lights once
    late = errors[-len(errors) // 4 :]  # no drift: the last quarter is as exact as the rest
    assert max(late) <= 1


def _moved(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return max(abs(p - q) for p, q in zip(a, b, strict=True)) > 2


@pytest.mark.parametrize("family", ["Anton", "Montserrat", "Noto Sans", "Poppins", "Inter"])
def test_the_font_asked_for_is_the_font_drawn(tmp_path: Path, work_root: Path, family: str) -> None:
    video = black_video(tmp_path / "in.mp4", 1.0, 320, 180)
    style = CaptionStyle(font=family, weight=700)
    built, _ = caption_video(
        video,
        Captions(words=[Word("Hello", 0.0, 0.5), Word("there", 0.5, 0.9)]),
        CaptionOptions(style=style),
        None,
        tmp_path,
        tmp_path / "out.mp4",
        settings(work_root),
    )
    font = built.font()
    assert font["family"] == family
    assert font["weight"] == 700 or family == "Anton"  # Anton has one weight: 400


def test_an_unknown_family_is_an_error_naming_the_ones_we_have(
    tmp_path: Path, work_root: Path
) -> None:
    video = black_video(tmp_path / "in.mp4", 1.0, 320, 180)
    with pytest.raises(InputError, match="Montserrat") as caught:
        caption_video(
            video,
            Captions(words=[Word("Hi", 0.0, 0.5)]),
            CaptionOptions(style=CaptionStyle(font="Arial")),
            None,
            tmp_path,
            tmp_path / "out.mp4",
            settings(work_root),
        )
    assert "Arial" in caught.value.message
    assert not (tmp_path / "out.mp4").exists()


def test_a_crlf_srt_gives_every_cue_and_braces_are_drawn(tmp_path: Path, work_root: Path) -> None:
    cues = [f"{i + 1}\r\n00:00:0{i},000 --> 00:00:0{i},900\r\nline {{b}} {i}\r\n" for i in range(5)]
    captions = read_captions("srt", "\ufeff" + "\r\n".join(cues))
    video = black_video(tmp_path / "in.mp4", 5.0, 320, 180)
    built, _ = caption_video(
        video,
        captions,
        CaptionOptions(),
        None,
        tmp_path,
        tmp_path / "out.mp4",
        settings(work_root),
    )
    assert built.pages == 5 and len(built.cues) == 5
    assert all("{b}" in cue.text for cue in built.cues)
    assert probe(tmp_path / "out.mp4").frames == 5 * FPS


def test_whole_word_replacement_leaves_album_alone(tmp_path: Path, work_root: Path) -> None:
    words = [Word(w, i * 0.4, i * 0.4 + 0.3) for i, w in enumerate(["um", "the", "album", "um,"])]
    video = black_video(tmp_path / "in.mp4", 2.0, 320, 180)
    built, _ = caption_video(
        video,
        Captions(words=words),
        CaptionOptions(replace=[Replacement(find="um", replace="")]),
        None,
        tmp_path,
        tmp_path / "out.mp4",
        settings(work_root),
    )
    # "um" goes; "um," leaves its comma on the word before it; "album" is not touched.
    assert [w.text for w in built.words] == ["the", "album,"]


def test_the_sound_is_copied_bit_for_bit(tmp_path: Path, work_root: Path) -> None:
    video = black_video(tmp_path / "in.mp4", 2.0, 320, 180)
    out = tmp_path / "out.mp4"
    caption_video(
        video,
        Captions(words=[Word("Sound", 0.1, 0.6)]),
        CaptionOptions(),
        None,
        tmp_path,
        out,
        settings(work_root),
    )
    assert _audio_packets(out) == _audio_packets(video)
    media = probe_media(out)
    assert media.video is not None and media.video.codec == "h264"


def _audio_packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as container:
        return [bytes(p) for p in container.demux(audio=0) if p.size]


AUTHORED = """[Script Info]
ScriptType: v4.00+
PlayResX: 640
PlayResY: 360

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, \
Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, \
Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,{font},40,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,-1,0,0,0,100,100,0,0,1,2,0,\
2,10,10,20,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:00.00,0:00:01.00,Default,,0,0,0,,Authored {{\\fnAnton}}line
"""


def test_an_authored_ass_is_burned_with_our_files_for_the_fonts_it_names(
    tmp_path: Path, work_root: Path
) -> None:
    video = black_video(tmp_path / "in.mp4", 1.0, 320, 180)
    built, burned = caption_video(
        video,
        read_captions("ass", AUTHORED.format(font="Bebas Neue")),
        CaptionOptions(),
        None,
        tmp_path,
        tmp_path / "out.mp4",
        settings(work_root),
    )
    # The style's face (bold: 700, or the nearest the family has) and the \fn one, both ours:
    # caption_video has checked libass's log against them.
    assert [face.family for face in built.faces] == ["Bebas Neue", "Anton"]
    assert f"Style: Default,{built.faces[0].ass_name}," in built.ass
    assert f"\\fn{built.faces[1].ass_name}\\b{built.faces[1].weight}}}line" in built.ass
    assert burned.frames == FPS and built.cues[0].text == "Authored line"
    assert _lit(frames_rgb(tmp_path / "out.mp4")[FPS // 2]) > 200


def test_an_authored_ass_naming_a_font_we_lack_is_refused(tmp_path: Path, work_root: Path) -> None:
    video = black_video(tmp_path / "in.mp4", 1.0, 320, 180)
    with pytest.raises(InputError, match=r"captions.ass: style 'Default': .*Arial.*Montserrat"):
        caption_video(
            video,
            read_captions("ass", AUTHORED.format(font="Arial")),
            CaptionOptions(),
            None,
            tmp_path,
            tmp_path / "out.mp4",
            settings(work_root),
        )


def _lit(frame: np.ndarray) -> int:
    return int((frame.max(axis=2) > 128).sum())


def test_bold_tags_in_an_authored_ass_draw_the_bold_face(tmp_path: Path, work_root: Path) -> None:
    video = black_video(tmp_path / "in.mp4", 1.0, 320, 180)
    document = AUTHORED.replace(",-1,0,0,0,100", ",0,0,0,0,100").replace(
        "Authored {{\\fnAnton}}line", "Plain {{\\b1}}bold{{\\b0}} again"
    )
    built, _ = caption_video(
        video,
        read_captions("ass", document.format(font="Roboto")),
        CaptionOptions(),
        None,
        tmp_path,
        tmp_path / "out.mp4",
        settings(work_root),
    )
    # libass would otherwise fake bold on the regular face (and the font check refuse it).
    assert [(face.family, face.weight) for face in built.faces] == [
        ("Roboto", 400),
        ("Roboto", 700),
    ]
