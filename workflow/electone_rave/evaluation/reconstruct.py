"""Reconstructions of held-out audio by a trained run, as WAV files beside their originals."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import soundfile as sf

from ..manifest import files_in_split, read_manifest, reconstruction_of
from .evaluate import read_mono
from .models import load_run

log = logging.getLogger(__name__)


def reconstruct_file(model, audio: np.ndarray, seed: int) -> np.ndarray:
    """Encode, sample the posterior (RAVE's forward) and decode one mono signal."""
    import torch

    torch.manual_seed(seed)
    with torch.no_grad():
        y = model.forward(torch.from_numpy(audio.astype(np.float32))[None, None])
    return y[0, 0, : len(audio)].numpy()


def reconstruct_heldout(run_dir: Path, manifest_path: Path, out_dir: Path, seed: int) -> list[Path]:
    manifest = read_manifest(manifest_path)
    sources = files_in_split(manifest, "heldout")
    if not sources:
        raise ValueError(f"{manifest_path}: no held-out files to reconstruct")
    model = load_run(run_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sources:
        audio, rate = read_mono(source)
        if rate != model.sr:
            raise ValueError(f"{source}: {rate} Hz, the model expects {model.sr} Hz")
        y = reconstruct_file(model, audio, seed)
        target = reconstruction_of(manifest, source, out_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        sf.write(target, np.clip(y, -1, 1), rate, subtype="PCM_16")
        log.info("%s -> %s", source, target)
        written.append(target)
    return written
