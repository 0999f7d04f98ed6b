"""Listening-page clips: the same excerpt of an original and of its reconstructions, each played at
the same integrated loudness so that listeners compare timbre, not level."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from ...evaluation.audio_files import read_mono
from ...evaluation.audio_metrics import SILENCE_LUFS, loudness_lufs

PEAK_CEILING_DB = -1.0  # loudness matching never pushes a peak above this
BLOCK_SECONDS = 0.4     # BS.1770's gating block: shorter audio has no integrated loudness


@dataclass(frozen=True)
class Clip:
    path: Path
    seconds: float
    loudness_lufs: float | None  # after matching; None when too short to measure
    gain_db: float        # what matching applied


def loudest_window(audio: np.ndarray, rate: int, seconds: float) -> int:
    """First sample of the `seconds`-long window with the most energy (searched in 0.1 s steps)."""
    length = int(round(seconds * rate))
    if len(audio) <= length:
        return 0
    energy = np.concatenate([[0.0], np.cumsum(np.asarray(audio, dtype=np.float64) ** 2)])
    starts = np.arange(0, len(audio) - length + 1, max(rate // 10, 1))
    return int(starts[np.argmax(energy[starts + length] - energy[starts])])


def match_loudness(audio: np.ndarray, rate: int, target_lufs: float) -> tuple[np.ndarray, float]:
    """`audio` scaled to `target_lufs`, or less where that would lift a peak above the ceiling.

    Audio below BS.1770's absolute gate (silence, a noise floor) is left as it is: raising it would
    play hiss as if it were the model's sound."""
    peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
    if peak == 0.0 or len(audio) < BLOCK_SECONDS * rate:
        return audio, 0.0
    measured = loudness_lufs(audio, rate)
    if measured <= SILENCE_LUFS:
        return audio, 0.0
    gain_db = min(target_lufs - measured, PEAK_CEILING_DB - 20 * np.log10(peak))
    return audio * 10 ** (gain_db / 20), float(gain_db)


def write_clip(source: Path, start: int, seconds: float, target_lufs: float, out: Path) -> Clip:
    """The excerpt of `source` from sample `start`, loudness-matched, as 16-bit WAV."""
    audio, rate = read_mono(source)
    excerpt = audio[start: start + int(round(seconds * rate))]
    if len(excerpt) == 0:
        raise ValueError(f"{source}: shorter than the excerpt's start ({start / rate:.2f} s)")
    matched, gain_db = match_loudness(excerpt, rate, target_lufs)
    out.parent.mkdir(parents=True, exist_ok=True)
    sf.write(out, matched.astype(np.float32), rate, subtype="PCM_16")
    measured = loudness_lufs(matched, rate) if len(matched) >= BLOCK_SECONDS * rate else None
    return Clip(out, len(matched) / rate, measured, gain_db)


def write_thumbnail(wav: Path, png: Path) -> Path:
    """A small log-mel spectrogram image of a clip, without axes."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ...evaluation.audio_metrics import log_mel

    audio, rate = read_mono(wav)
    fig = plt.figure(figsize=(2.4, 0.9), dpi=100)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.imshow(log_mel(audio, rate), origin="lower", aspect="auto", cmap="magma")
    ax.set_axis_off()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, metadata={"Software": None})  # no matplotlib version stamp: same audio, same bytes
    plt.close(fig)
    return png
