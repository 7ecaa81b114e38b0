"""Captions: sources parsed into timed words, laid out with real font metrics, written as ASS
for libass with exactly the fonts asked for (never the system's), plus SRT/VTT/JSON sidecars."""
