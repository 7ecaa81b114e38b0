"""The timeline: where each scene starts and ends, in seconds and in frames (pure arithmetic).

Scene ``i`` starts where scene ``i−1`` ends less the transition into ``i`` (they overlap by
it). Every boundary is an absolute time rounded to the frame grid once, so no error adds up
over hundreds of scenes: a scene's frames are ``round(end × fps) − round(start × fps)``. The
last scene is held ``tail`` seconds longer. A narration starts once the transition into its
scene has finished.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from framecast.errors import InputError


@dataclass(frozen=True)
class SceneTime:
    """What decides a scene's place: how long it lasts and the transition into it."""

    length: float  # seconds, the transition into it included
    transition: float = 0.0  # seconds it overlaps the scene before (0: a cut)
    kind: str = "none"  # the transition's name


@dataclass(frozen=True)
class Slot:
    """One scene on the timeline."""

    index: int
    start: float  # seconds (nominal; its first frame is start_frame)
    start_frame: int
    frames: int  # frames it is seen in, the transitions at both ends included
    transition_frames: int  # its first frames, blended over the scene before
    transition: str  # the transition's name ("none": a cut)
    narration_start: float  # seconds: once the transition into it has finished

    @property
    def end_frame(self) -> int:
        return self.start_frame + self.frames


@dataclass(frozen=True)
class Timeline:
    fps: float
    slots: list[Slot]
    frames: int
    tail: float

    @property
    def duration(self) -> float:
        return self.frames / self.fps

    def shown_at(self, frame: int) -> list[tuple[Slot, int]]:
        """The scenes seen in ``frame`` (two during a transition, the outgoing first), each
        with its own frame number."""
        return [
            (s, frame - s.start_frame) for s in self.slots if s.start_frame <= frame < s.end_frame
        ]

    def cut_points(self) -> list[int]:
        """Frames where a segment may start: where a scene is first seen alone (its own
        start after a cut; after a transition, the frame that transition ends)."""
        return [s.start_frame + s.transition_frames for s in self.slots[1:]]

    def segments(self, count: int) -> list[range]:
        """At most ``count`` frame ranges covering the video, cut only where a scene is seen
        alone (never inside a transition), as even in length as those places allow."""
        points = self.cut_points()
        bounds = [0]
        for k in range(1, count):
            ideal = self.frames * k / count
            best = min(points, key=lambda p: abs(p - ideal), default=None)
            if best is not None and bounds[-1] < best < self.frames:
                bounds.append(best)
        bounds.append(self.frames)
        return [range(a, b) for a, b in itertools.pairwise(bounds)]

    def summary(self) -> dict[str, Any]:
        """The timeline as a result carries it: each scene's start and length, in seconds
        (to the millisecond; the frames are ``round(seconds × fps)``)."""
        return {
            "duration": round(self.duration, 6),
            "frames": self.frames,
            "fps": self.fps,
            "starts": [round(s.start_frame / self.fps, 3) for s in self.slots],
            "lengths": [round(s.frames / self.fps, 3) for s in self.slots],
        }

    def public(self) -> dict[str, Any]:
        """The timeline as the answer shows it."""
        return {
            "duration": round(self.duration, 6),
            "frames": self.frames,
            "fps": self.fps,
            "scenes": [
                {
                    "index": s.index,
                    "start": round(s.start_frame / self.fps, 6),
                    "length": round(s.frames / self.fps, 6),
                    "start_frame": s.start_frame,
                    "frames": s.frames,
                    "transition": s.transition,
                    "transition_frames": s.transition_frames,
                    "narration_start": round(s.narration_start, 6),
                }
                for s in self.slots
            ],
        }


def build_timeline(scenes: list[SceneTime], fps: float, tail: float) -> Timeline:
    """The timeline of ``scenes`` at ``fps``; InputError naming the scene whose transitions
    leave it no frame of its own."""
    starts = []
    at = 0.0
    for i, scene in enumerate(scenes):
        if i:
            at -= scene.transition
        starts.append(at)
        at += scene.length
    ends = [start + scene.length for start, scene in zip(starts, scenes, strict=True)]
    ends[-1] += tail
    first = [round(start * fps) for start in starts]
    last = [round(end * fps) for end in ends]
    slots = []
    for i, scene in enumerate(scenes):
        overlap = last[i - 1] - first[i] if i else 0
        frames = last[i] - first[i]
        after = last[i] - first[i + 1] if i + 1 < len(scenes) else 0
        if frames - overlap - after < 1:
            out = scenes[i + 1].transition if i + 1 < len(scenes) else 0.0
            raise InputError(
                f"scenes[{i}]: {scene.length:.3f} s is too short for its transitions"
                f" ({scene.transition:g} s in, {out:g} s out): a scene must be seen alone for"
                " at least one frame"
            )
        slots.append(
            Slot(
                index=i,
                start=starts[i],
                start_frame=first[i],
                frames=frames,
                transition_frames=overlap,
                transition=scene.kind if overlap else "none",
                narration_start=starts[i] + scene.transition,
            )
        )
    return Timeline(fps, slots, last[-1], tail)
