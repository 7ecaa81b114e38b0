from __future__ import annotations

import json
import random

import pytest

from framecast.captions.model import Cue, Word
from framecast.captions.sidecars import millis, srt_text, timestamp, vtt_text, words_json
from framecast.captions.sources import parse_srt, parse_vtt

CUES = [Cue(0.0, 1.5, "One"), Cue(1.5, 3.25, "Two lines\nhere"), Cue(3661.007, 3662.0, "مرحبا")]


def test_srt_layout() -> None:
    assert srt_text(CUES[:1]) == "1\n00:00:00,000 --> 00:00:01,500\nOne\n"


def test_vtt_layout() -> None:
    assert vtt_text(CUES[:1]) == "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nOne\n"


def test_srt_round_trip() -> None:
    assert parse_srt(srt_text(CUES)) == CUES


def test_vtt_round_trip_with_characters_vtt_escapes() -> None:
    cues = [*CUES[:2], Cue(4.0, 5.0, "a <b> & c --> d {\\an8}"), CUES[2]]
    assert parse_vtt(vtt_text(cues)) == cues


def test_random_ms_times_round_trip_exactly() -> None:
    rng = random.Random(7)
    cues = []
    for i in range(200):
        start = rng.randrange(0, 10_000_000)
        cues.append(Cue(start / 1000, (start + rng.randrange(0, 9000)) / 1000, f"cue {i}"))
    cues.sort(key=lambda cue: cue.start)
    assert parse_srt(srt_text(cues)) == cues


@pytest.mark.parametrize(
    ("seconds", "written"),
    [
        (1.9996, "00:00:02,000"),
        (59.9995, "00:01:00,000"),
        (3599.9999, "01:00:00,000"),
        (1.0004, "00:00:01,000"),
        (0.0015, "00:00:00,002"),
        (-0.2, "00:00:00,000"),
        (360_000.0, "100:00:00,000"),
    ],
)
def test_timestamps_round_to_the_ms(seconds: float, written: str) -> None:
    assert timestamp(seconds) == written


def test_random_times_round_never_truncate_and_never_print_1000_ms() -> None:
    rng = random.Random(11)
    for _ in range(5000):
        seconds = rng.uniform(0, 100_000)
        written = timestamp(seconds)
        hms, ms = written.split(",")
        h, m, s = (int(part) for part in hms.split(":"))
        assert len(ms) == 3 and m < 60 and s < 60
        assert abs((h * 3600 + m * 60 + s) * 1000 + int(ms) - seconds * 1000) <= 0.5 + 1e-6


def test_millis_rounds_halves_up() -> None:
    assert millis(0.0025) == 3 and millis(2.5e-4) == 0


def test_blank_lines_and_arrows_in_text_cannot_break_the_srt() -> None:
    assert parse_srt(srt_text([Cue(0, 1, "a\n\n-->b")])) == [Cue(0, 1, "a\n->b")]


def test_words_json() -> None:
    words = [Word("Olá", 0.12349, 1.9996)]
    assert json.loads(words_json(words)) == [{"word": "Olá", "start": 0.123, "end": 2.0}]
    assert "Olá" in words_json(words)
