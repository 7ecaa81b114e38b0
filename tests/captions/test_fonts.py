"""Caption fonts against the real libass (ffmpeg's ass filter): the face asked for is the face
drawn, its weight is the file's own, and our measurements are the ones libass lays out with.

Every render sees only our faces (fontsdir) and a fontconfig that knows no font, and its
``-v verbose`` log is read by check_font_log, as the caption operation does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from fontTools.ttLib import TTFont

from framecast.captions.font_check import check_font_log
from framecast.captions.fonts import (
    Face,
    FontBook,
    bundled_fonts,
    isolated_fontconfig,
    prepare_fonts_dir,
)
from framecast.config import EncoderConfig
from framecast.contracts.vocab import FONT_FAMILIES
from framecast.errors import InputError, RenderError
from framecast.render.ffmpeg import ffmpeg_binary

WIDTH, HEIGHT = 1280, 360
ARABIC = "مرحبا بالعالم"
LATIN = "WAVE To. Yo, fjord"  # kerned pairs, a ligature candidate, punctuation
Event = tuple[str, float, str]  # ASS Fontname, Fontsize, text with its override tags


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> FontBook:
    return FontBook(tmp_path_factory.mktemp("font-cache"))


def script(events: Sequence[Event]) -> str:
    """An ASS script on a WIDTH × HEIGHT canvas: one style and one event per entry."""
    styles = "".join(
        f"Style: S{n},{font},{size},&H00FFFFFF,&H00FFFFFF,&H00000000,&H00000000,"
        "0,0,0,0,100,100,0,0,1,0,0,7,0,0,0,1\n"
        for n, (font, size, _) in enumerate(events)
    )
    dialogues = "".join(
        f"Dialogue: 0,0:00:00.00,0:00:05.00,S{n},,0,0,0,,{text}\n"
        for n, (_, _, text) in enumerate(events)
    )
    return (
        f"[Script Info]\nScriptType: v4.00+\nPlayResX: {WIDTH}\nPlayResY: {HEIGHT}\n"
        "WrapStyle: 2\nScaledBorderAndShadow: yes\nKerning: yes\n\n[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour,"
        " BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle,"
        " BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
        f"{styles}\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR,"
        f" MarginV, Effect, Text\n{dialogues}"
    )


def event(face: Face, size: float, tags: str, text: str) -> Event:
    """``text`` in ``face`` at ``size``, placed by ``tags``, at the face's own weight."""
    return face.ass_name, size, f"{{{face.ass_bold_tag}{tags}}}{text}"


def render(
    work: Path, faces: Sequence[Face], events: Sequence[Event], isolated: bool = True
) -> tuple[np.ndarray, str]:
    """One frame (8-bit luma, text white on black) and ffmpeg's verbose log."""
    (work / "captions.ass").write_text(script(events), encoding="utf-8")
    fonts = prepare_fonts_dir(faces, work).relative_to(work)  # run in work: no escaping
    env = {**os.environ, **(isolated_fontconfig(work) if isolated else {})}
    command = [ffmpeg_binary(EncoderConfig()), "-hide_banner", "-nostdin", "-v", "verbose"]
    command += ["-f", "lavfi", "-i", f"color=black:s={WIDTH}x{HEIGHT}:d=0.1"]
    command += ["-vf", f"ass=filename=captions.ass:fontsdir={fonts}", "-frames:v", "1"]
    command += ["-f", "rawvideo", "-pix_fmt", "gray", "-"]
    run = subprocess.run(command, cwd=work, env=env, capture_output=True, timeout=60)
    log = run.stderr.decode("utf-8", "replace")
    assert run.returncode == 0, log[-2000:]
    frame = np.frombuffer(run.stdout, np.uint8).reshape(HEIGHT, WIDTH).astype(float)
    return frame - frame.min(), log


def centroid(ink: np.ndarray, axis: int) -> float:
    """Where the ink's mass sits along x (axis 0 summed away) or y (axis 1), in pixels."""
    profile = ink.sum(axis=axis)
    return float((profile * np.arange(profile.size)).sum() / profile.sum())


def test_the_catalogue_is_the_vocabulary(book: FontBook) -> None:
    assert set(bundled_fonts()) == set(FONT_FAMILIES)
    assert book.families() == sorted(FONT_FAMILIES)


def test_the_catalogue_holds_upright_files_only() -> None:
    files = [file for files in bundled_fonts().values() for file in files]
    assert not [file.path.name for file in files if "Italic" in file.path.name or file.italic]
    assert len(bundled_fonts()["Poppins"]) == 9  # Thin to Black


def test_every_family_is_drawn_from_its_own_file(book: FontBook, tmp_path: Path) -> None:
    faces = [book.face(family, 400) for family in FONT_FAMILIES]
    faces += [book.face("Montserrat", 800), book.face("Roboto", 800)]  # instanced off-default
    events = [
        event(face, 22, f"\\pos(20,{8 + 30 * n})", ARABIC if "Arabic" in face.family else "Hello")
        for n, face in enumerate(faces)
    ]
    frame, log = render(tmp_path, faces, events)
    check_font_log(log, faces)
    for n, face in enumerate(faces):
        assert f") -> {face.postscript}, 0, {face.postscript}" in log
        assert frame[8 + 30 * n : 38 + 30 * n].sum() > 0, face.ass_name


def test_a_heavier_weight_draws_more_ink(book: FontBook, tmp_path: Path) -> None:
    regular, heavy = book.face("Montserrat", 400), book.face("Montserrat", 800)
    assert (regular.weight, heavy.weight) == (400, 800)
    events = [event(regular, 48, "\\pos(20,20)", "Hamburgefonstiv")]
    events += [event(heavy, 48, "\\pos(20,200)", "Hamburgefonstiv")]
    frame, log = render(tmp_path, [regular, heavy], events)
    check_font_log(log, [regular, heavy])
    assert frame[180:].sum() > 1.4 * frame[:180].sum()


def test_an_instance_is_a_static_file_under_our_own_name(book: FontBook) -> None:
    face = book.face("Montserrat", 800)
    assert (face.ass_name, face.postscript) == ("fcast Montserrat 800", "fcast-Montserrat-800")
    assert face.source == "Montserrat[wght].ttf"
    font = TTFont(face.path)
    assert "fvar" not in font and "gvar" not in font
    names = {n.nameID: n.toUnicode() for n in font["name"].names if n.nameID in (1, 4, 6, 16)}
    assert names == {1: face.ass_name, 4: face.ass_name, 6: face.postscript, 16: face.ass_name}
    assert font["OS/2"].usWeightClass == 800
    assert font["OS/2"].fsSelection & 0x41 == 0x40  # regular, not italic


def test_the_same_face_comes_from_the_cache(book: FontBook) -> None:
    face = book.face("Montserrat", 800)
    written = face.path.stat().st_mtime_ns
    again = FontBook(book.cache_dir).face("montserrat", 800)  # a later job, any spelling
    assert again.path == face.path and again.path.stat().st_mtime_ns == written


@pytest.mark.parametrize(
    ("weight", "drawn", "source"),
    [
        (650, 700, "Poppins-Bold.ttf"),  # a tie above 500 goes heavier
        (350, 300, "Poppins-Light.ttf"),  # and below, lighter
        (880, 900, "Poppins-Black.ttf"),
    ],
)
def test_a_static_family_draws_its_nearest_weight(
    book: FontBook, weight: int, drawn: int, source: str
) -> None:
    face = book.face("Poppins", weight)
    assert (face.weight, face.source, face.ass_name) == (drawn, source, f"fcast Poppins {drawn}")


def test_an_unknown_family_is_refused_with_the_choices(book: FontBook) -> None:
    with pytest.raises(InputError, match=r"style\.font: no font family 'Comic Sans'") as caught:
        book.face("Comic Sans", 400)
    assert all(family in caught.value.message for family in FONT_FAMILIES)


def test_a_fetched_font_file_is_drawn(tmp_path: Path, book: FontBook) -> None:
    upload = tmp_path / "upload-1234.ttf"
    shutil.copyfile(bundled_fonts()["Bebas Neue"][0].path, upload)
    face = FontBook(book.cache_dir, [upload]).face("Bebas Neue", None)
    assert (face.source, face.weight) == ("upload-1234.ttf", 400)
    _, log = render(tmp_path, [face], [event(face, 40, "\\pos(20,20)", "UPLOADED")])
    check_font_log(log, [face])


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_broken_font_file_is_an_input_error(tmp_path: Path, damage: str) -> None:
    upload = tmp_path / "upload.ttf"
    anton = bundled_fonts()["Anton"][0].path.read_bytes()
    upload.write_bytes(b"<html>not found</html>" if damage == "garbage" else anton[:2000])
    with pytest.raises(InputError, match=r"style\.font_url: not a TrueType/OpenType font"):
        FontBook(tmp_path / "cache", [upload])


def test_missing_glyphs_are_named(book: FontBook) -> None:
    assert book.face("Montserrat", None).missing(ARABIC) == "مرحبالع"
    assert book.face("Noto Sans Arabic", None).missing(ARABIC) == ""


# libass centres and right-aligns a line by its advance width (the pen's travel), which is
# what layout needs, so the check measures that and not the ink: the same line set with \an7
# at x=20 and with \an9 at x=1260 is shifted by 1240 - advance. Ink centroids give the shift
# to a fraction of a pixel, whatever the side bearings and antialiasing.
@pytest.mark.parametrize(
    ("family", "weight", "text"),
    [
        ("Montserrat", 800, LATIN),  # instanced, kerned
        ("Anton", 400, LATIN),  # static, TrueType-hinted
        ("Poppins", 700, LATIN),  # static, unhinted: FreeType would auto-hint it
        ("Noto Sans", 400, LATIN),  # a 7-byte prep only: would be auto-hinted too
        ("Noto Sans Arabic", 400, ARABIC),  # right-to-left, joined
    ],
)
def test_widths_are_the_advances_libass_lays_out(
    book: FontBook, tmp_path: Path, family: str, weight: int, text: str
) -> None:
    face = book.face(family, weight)
    events = []
    for size, y in ((36, 10), (72, 190)):
        events.append(event(face, size, f"\\an7\\pos(20,{y})", text))
        events.append(event(face, size, f"\\an9\\pos(1260,{y + 85})", text))
    frame, log = render(tmp_path, [face], events)
    check_font_log(log, [face])
    for size, rows in ((36, slice(0, 180)), (72, slice(180, HEIGHT))):
        band = frame[rows]
        split = band.shape[0] // 2
        shift = centroid(band[split:], 0) - centroid(band[:split], 0)
        assert face.measure(size).width(text) == pytest.approx(1240 - shift, abs=1.0), size


def test_lines_are_spaced_as_measured(book: FontBook, tmp_path: Path) -> None:
    face = book.face("Montserrat", 800)
    frame, log = render(tmp_path, [face], [event(face, 63.5, "\\an7\\pos(20,20)", "H\\NH")])
    check_font_log(log, [face])
    measure = face.measure(63.5)
    rows = np.flatnonzero(frame.sum(axis=1) > 0)
    gap = rows[np.flatnonzero(np.diff(rows) > 1)[0]] + 1  # between the two H's
    spacing = centroid(frame[gap:], 1) + gap - centroid(frame[:gap], 1)
    assert spacing == pytest.approx(measure.line_height, abs=0.3)
    baseline = np.flatnonzero(frame[:gap].max(axis=1) > 127)[-1] + 1  # the first H's foot
    assert baseline == pytest.approx(20 + measure.ascent, abs=1.0)


def test_a_family_libass_cannot_find_is_caught(book: FontBook, tmp_path: Path) -> None:
    face = book.face("Anton", 400)
    _, log = render(tmp_path, [face], [("Comic Sans", 40, "{\\pos(20,20)}Hello")])
    with pytest.raises(RenderError, match="Comic Sans"):
        check_font_log(log, [face])


def test_a_missing_glyph_is_caught(book: FontBook, tmp_path: Path) -> None:
    face = book.face("Anton", 400)
    _, log = render(tmp_path, [face], [event(face, 40, "\\pos(20,20)", ARABIC)])
    with pytest.raises(RenderError, match=r"no glyph for .* \(U\+06"):
        check_font_log(log, [face])


def test_faux_bold_is_caught(book: FontBook, tmp_path: Path) -> None:
    face = book.face("Anton", 400)
    _, log = render(tmp_path, [face], [(face.ass_name, 40, "{\\b1\\pos(20,20)}Hello")])
    with pytest.raises(RenderError, match="fake bold"):
        check_font_log(log, [face])


def test_a_log_without_font_choices_proves_nothing(book: FontBook, tmp_path: Path) -> None:
    face = book.face("Anton", 400)
    _, log = render(tmp_path, [face], [event(face, 40, "\\pos(20,20)", "Hello")])
    quiet = "\n".join(line for line in log.splitlines() if "fontselect" not in line)
    with pytest.raises(RenderError, match="no font chosen"):
        check_font_log(quiet, [face])


def test_a_system_substitute_is_caught(book: FontBook, tmp_path: Path) -> None:
    """Without our fonts and with the system's fontconfig, libass draws a substitute (or, on a
    machine without fonts, nothing): either way the log check refuses it."""
    face = book.face("Anton", 400)
    event_ = event(face, 40, "\\pos(20,20)", "Hello")
    _, log = render(tmp_path, [], [event_], isolated=False)
    with pytest.raises(RenderError, match="fcast Anton 400"):
        check_font_log(log, [face])
