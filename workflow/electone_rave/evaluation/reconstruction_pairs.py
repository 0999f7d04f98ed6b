"""A held-out file and its reconstruction, read together: what every reconstruction measure compares."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..corpus.manifest import reconstruction_of
from .audio_files import read_mono


def read_pair(manifest: dict, original: Path, folder: Path) -> tuple[np.ndarray, np.ndarray, int]:
    """The original's samples, its reconstruction's (in folder, as the manifest lays it out) and their
    rate; a missing reconstruction or one at another rate is named."""
    ref, rate = read_mono(original)
    est_path = reconstruction_of(manifest, original, folder)
    if not est_path.is_file():
        raise FileNotFoundError(f"{est_path}: no reconstruction of {original}")
    est, est_rate = read_mono(est_path)
    if est_rate != rate:
        raise ValueError(f"{est_path}: {est_rate} Hz, its original {original} is {rate} Hz")
    return ref, est, rate
