"""Deterministic, seeded demo corpora standing in for the private Electone album and MusicNet."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from . import chamber, electone
from .dsp import SAMPLE_RATE, to_pcm16

STYLES = {"electone": electone.synthesize, "chamber": chamber.synthesize}


def file_rng(seed: int, style: str, index: int) -> np.random.Generator:
    """Each file has its own stream, so file i does not depend on how many files are made."""
    return np.random.default_rng([seed, sorted(STYLES).index(style), index])


def generate_corpus(style: str, out_dir: Path, files: int, seconds: float, seed: int) -> list[Path]:
    """Write `files` mono 16-bit 44.1 kHz WAV files of `seconds` each into out_dir."""
    if style not in STYLES:
        raise ValueError(f"unknown demo corpus style {style!r}; choose one of {sorted(STYLES)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(files):
        audio = STYLES[style](seconds, file_rng(seed, style, i))
        path = out_dir / f"{style}_{i:03d}.wav"
        sf.write(path, to_pcm16(audio), SAMPLE_RATE, subtype="PCM_16", format="WAV")
        paths.append(path)
    return paths
