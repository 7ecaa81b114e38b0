"""The ffmpeg runs that make the mix, in a work folder: the loop sources decoded to PCM once,
then the mix to AAC as it is, or brought to a loudness target (:mod:`.loudness`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from framecast.config import EncoderConfig
from framecast.render.audio_graph import AAC, MIX
from framecast.render.audio_spec import LoudnessTarget
from framecast.render.ffmpeg import run_ffmpeg
from framecast.render.loudness import (
    PEAK_MARGIN_DB,
    Loudness,
    limiter,
    measure,
    normalise,
    read_scan,
    scan_filter,
)

__all__ = ["Mixing"]

# A mix at its own levels is only kept from clipping: its true peaks are held this far under
# full scale, where AAC's overshoot still leaves every decoded sample within it.
GUARD_DB = -PEAK_MARGIN_DB


class Mixing:
    """The runs making the AAC file ``audio`` of ``total`` samples at ``rate`` in ``work``."""

    def __init__(
        self,
        work: Path,
        total: int,
        rate: int,
        config: EncoderConfig,
        keep_going: Callable[[], bool] | None,
    ) -> None:
        self.work, self.rate, self.config, self.keep_going = work, rate, config, keep_going
        self.audio = work / "audio.m4a"
        # The limiter and the resamplers may move the end by a sample, and their timestamps
        # (which atrim counts by) off 0: counted afresh, cut and padded to the exact length.
        self.exact = f"asetpts=N/SR/TB,apad=whole_len={total},atrim=end_sample={total}"

    def run(self, arguments: list[str], output: Path | None, what: str) -> None:
        run_ffmpeg(arguments, output, self.config, keep_going=self.keep_going, what=what)

    def one_pass(self, source: Path, stream: int, chain: str, name: str) -> Path:
        """``source``'s audio ``stream`` through ``chain`` into the PCM file ``name``: what a
        loop repeats, sample-exact."""
        made = self.work / name
        arguments = ["-loglevel", "error", "-i", str(source), "-map", f"0:{stream}"]
        arguments += ["-af", chain, "-c:a", "pcm_f32le", "-rf64", "auto", "-f", "wav"]
        self.run([*arguments, "-y", str(made)], made, f"decoding {source.name} to loop it failed")
        return made

    def encode(self, inputs: list[str], graph: str) -> None:
        """The mix, at the levels asked for, to AAC."""
        # Mixing never scales the levels; only peaks that would clip once decoded are held.
        guard = limiter(GUARD_DB, self.rate)
        script = self._script(f"{graph.rstrip()};\n{MIX}{guard},{self.exact}[out]\n")
        arguments = ["-loglevel", "error", *inputs, "-/filter_complex", str(script)]
        arguments += ["-map", "[out]", *AAC, "-y", str(self.audio)]
        self.run(arguments, self.audio, "mixing failed")

    def to_target(
        self,
        inputs: list[str],
        graph: str,
        target: LoudnessTarget,
        muxed: tuple[list[str], Path] | None,
    ) -> dict[str, float]:
        """The mix at ``target``; with ``muxed`` (the arguments putting the mix under a copied
        picture, and their output: cheap) each encode is muxed at once and the output measured
        in the same run. Returns the last reading."""
        mix, readings = self.work / "mix.wav", self.work / "r128.txt"
        # Measured as it is written: float, for the mix may pass full scale before its gain.
        scan = f"{MIX}asplit=2[keep][scan];\n[scan]{scan_filter(readings)},anullsink\n"
        script = self._script(f"{graph.rstrip()};\n{scan}")
        arguments = ["-loglevel", "error", *inputs, "-/filter_complex", str(script)]
        arguments += ["-map", "[keep]", "-c:a", "pcm_f32le", "-rf64", "auto", "-y", str(mix)]
        self.run(arguments, mix, "mixing failed")
        before = read_scan(readings)

        def encode(chain: str) -> Loudness:
            arguments = ["-loglevel", "error", "-i", str(mix), "-af", f"{chain},{self.exact}"]
            self.run([*arguments, *AAC, "-y", str(self.audio)], self.audio, "encoding failed")
            if muxed is None:
                return measure(self.audio, self.config, self.keep_going)
            mux, output = muxed
            measured = ["-map", "1:a:0", "-af", scan_filter(readings), "-f", "null", "-"]
            self.run([*mux, *measured], output, "putting the mix under the picture failed")
            return read_scan(readings)

        return normalise(before, encode, target, self.rate).as_dict()

    def _script(self, graph: str) -> Path:
        # From a file: a graph of hundreds of parts is longer than one argument may be.
        script = self.work / "mix.filtergraph.txt"
        script.write_text(graph, encoding="utf-8")
        return script
