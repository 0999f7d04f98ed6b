"""Reconstructions of held-out audio by a trained run, as WAV files beside their originals.

A run with its checkpoint reconstructs through RAVE's non-streaming forward pass. An imported
TorchScript model (.ts) alone reconstructs through its scripted forward, as nn~ plays it: a
streaming export's latency is estimated (alignment.py) and removed, and recorded in alignment.json.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import soundfile as sf

from ..fileio import write_json

from ..corpus.manifest import evaluation_files, read_manifest, reconstruction_of
from .alignment import estimate_delay
from .audio_files import read_mono
from .models import load_exported, load_run

MAX_DELAY_SECONDS = 2.0  # a RAVE v2 streaming export lags 0.61 s (export/streaming_delay.py)
ALIGNMENT_RECORD = "alignment.json"

log = logging.getLogger(__name__)


def reconstruct_file(model, audio: np.ndarray, seed: int) -> np.ndarray:
    """Encode, sample the posterior (RAVE's forward) and decode one mono signal."""
    import torch

    torch.manual_seed(seed)
    with torch.no_grad():
        y = model.forward(torch.from_numpy(audio.astype(np.float32))[None, None])
    return y[0, 0, : len(audio)].numpy()


def reconstruct_scripted(ts_file: Path, audio: np.ndarray, seed: int, max_delay: int) -> np.ndarray:
    """The scripted forward over the whole signal, followed by max_delay samples of silence so a
    streaming model's delayed output is all there; padded to whole latent frames. The model is
    loaded afresh for each file: a streaming export keeps its convolutions' state between calls,
    and each file starts from silence, as in a fresh nn~ object."""
    import torch

    model = load_exported(ts_file)
    ratio = int(model.encode_params[3])
    padded = np.zeros(-(-(len(audio) + max_delay) // ratio) * ratio, dtype=np.float32)
    padded[: len(audio)] = audio
    torch.manual_seed(seed)
    with torch.no_grad():
        return model.forward(torch.from_numpy(padded)[None, None])[0, 0].numpy()


def aligned(originals: list[np.ndarray], outputs: list[np.ndarray], max_delay: int,
            names: list | None = None, known_delay: int | None = None) -> tuple[list[np.ndarray], dict]:
    """Each output cut to its original's length after removing the model's delay: the delay known
    from the architecture (streaming_delay.py) where given, else the median of the files'
    estimates. One delay per model either way, since latency is a property of the export; the
    estimates are recorded in both cases, as a check on the known delay."""
    estimates = []
    for i, (x, y) in enumerate(zip(originals, outputs)):
        try:
            estimates.append(estimate_delay(x, y, max_delay))
        except ValueError as err:
            raise ValueError(f"{names[i] if names else f'file {i}'}: {err}") from None
    delay = int(np.median(estimates)) if known_delay is None else int(known_delay)
    for i, (x, y) in enumerate(zip(originals, outputs)):
        if len(y) < delay + len(x):
            raise ValueError(f"{names[i] if names else f'file {i}'}: the model returned {len(y)} samples, "
                             f"fewer than the {len(x)} of the original after its delay of {delay}")
    source = "estimated from the output" if known_delay is None else "architecture"
    return [y[delay: delay + len(x)] for x, y in zip(originals, outputs)], {
        "delay_samples": delay, "delay_source": source, "estimates_samples": estimates}


def reconstruct_heldout(model_path: Path, manifest_path: Path, out_dir: Path, seed: int,
                        named: list[str] | None = None) -> list[Path]:
    """Reconstruct every held-out file (or the files named as unseen by an imported run) with a run
    folder (checkpoint) or an exported .ts."""
    manifest = read_manifest(manifest_path)
    sources = evaluation_files(manifest, named)
    if not sources:
        raise ValueError(f"{manifest_path}: no held-out files to reconstruct")
    scripted = Path(model_path).suffix == ".ts"
    model = load_exported(model_path) if scripted else load_run(model_path)
    originals, outputs = [], []
    for source in sources:
        audio, rate = read_mono(source)
        if rate != int(model.sr):
            raise ValueError(f"{source}: {rate} Hz, the model expects {int(model.sr)} Hz")
        if scripted:
            outputs.append(reconstruct_scripted(model_path, audio, seed, int(MAX_DELAY_SECONDS * rate)))
        else:
            outputs.append(reconstruct_file(model, audio, seed))
        originals.append(audio)
    out_dir.mkdir(parents=True, exist_ok=True)
    if scripted:
        outputs, alignment = aligned(originals, outputs, int(MAX_DELAY_SECONDS * rate), names=sources)
        write_json({"model": str(model_path), **alignment}, out_dir / ALIGNMENT_RECORD)
        log.info("%s: output delayed by %d samples (estimated), removed", model_path, alignment["delay_samples"])
    written = []
    for source, y in zip(sources, outputs):
        target = reconstruction_of(manifest, source, out_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        sf.write(target, np.clip(y, -1, 1), rate, subtype="PCM_16")
        log.info("%s -> %s", source, target)
        written.append(target)
    return written
