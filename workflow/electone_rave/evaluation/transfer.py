"""H3, "without noise the model behaves more like timbre transfer than texture generation", measured.

Each run of a noise-ablation pair also reconstructs the held-out files of another corpus (the
config's `transfer`: MusicNet through the Electone models, and back). Timbre transfer keeps the
input's musical content and renders it in the training corpus' timbre; texture generation keeps
less of the input and more of the training audio's textures. Per run this records:
- how much of the input's content survives, file by file: chroma similarity (the mean cosine
  similarity of input and output chroma frames, librosa's chroma_stft, over the frames where the
  input sounds) and the loudness envelope's correlation (Pearson's, of frame RMS in dB);
- how close the output's timbre is to the training audio: the Fréchet MFCC distance from the
  outputs to the run's training files, beside the inputs' own distance to them.

The pairs' comparison and H3's verdict: transfer_comparison.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..corpus.manifest import files_in_split, read_manifest
from ..fileio import write_json
from . import audio_metrics as m
from .audio_files import read_mono
from .reconstruction_pairs import read_pair
from .transfer_comparison import CONTENT

N_FFT, HOP = 4096, 1024  # ~93 ms frames at 44.1 kHz: enough resolution for 12 pitch classes
REFERENCE_SECONDS = 1800.0  # at most this much training audio, in a seeded order of files, for the distance
SILENCE_DB = -50.0  # input frames quieter than this (RMS, dBFS) carry no content to compare


def frame_rms_db(x: np.ndarray) -> np.ndarray:
    import librosa
    rms = librosa.feature.rms(y=np.asarray(x, dtype=np.float32), frame_length=N_FFT, hop_length=HOP)[0]
    return 20 * np.log10(np.maximum(rms, 1e-6))


def chroma(x: np.ndarray, sample_rate: int) -> np.ndarray:
    import librosa
    return librosa.feature.chroma_stft(y=np.asarray(x, dtype=np.float32), sr=sample_rate, n_fft=N_FFT, hop_length=HOP)


def content_kept(source: np.ndarray, output: np.ndarray, sample_rate: int) -> dict[str, float]:
    """How much of the input's content the output keeps: chroma similarity and loudness correlation,
    over the frames where the input sounds."""
    n = min(len(source), len(output))
    source, output = source[:n], output[:n]
    loud_in, loud_out = frame_rms_db(source), frame_rms_db(output)
    sounding = loud_in > SILENCE_DB
    if sounding.sum() < 2:
        raise ValueError("fewer than two sounding frames: nothing to compare")
    a, b = chroma(source, sample_rate)[:, sounding], chroma(output, sample_rate)[:, sounding]
    cosine = (a * b).sum(0) / np.maximum(np.linalg.norm(a, axis=0) * np.linalg.norm(b, axis=0), 1e-9)
    envelope = np.corrcoef(loud_in[sounding], loud_out[sounding])[0, 1]
    return {"chroma_similarity": float(cosine.mean()),
            "loudness_correlation": float(np.nan_to_num(envelope))}  # a flat output envelope: 0


def training_reference(training_manifest: Path, seed: int = 0) -> list[np.ndarray]:
    """The run's training audio the timbre distance is measured to: its training files in a seeded
    order, up to REFERENCE_SECONDS (MusicNet's 33 hours would not fit in memory)."""
    manifest = read_manifest(training_manifest)
    rows, root = [row for row in manifest["files"] if row["split"] == "train"], Path(manifest["root"])
    signals, seconds = [], 0.0
    for i in np.random.default_rng(seed).permutation(len(rows)):
        if seconds >= REFERENCE_SECONDS:
            break
        x, rate = read_mono(root / rows[i]["file"])
        x = x[: int((REFERENCE_SECONDS - seconds) * rate)]
        signals.append(x)
        seconds += len(x) / rate
    if not signals:
        raise ValueError(f"{training_manifest}: no training files to compare the outputs' timbre with")
    return signals


def evaluate_transfer(source_manifest: Path, outputs: Path, training_manifest: Path, run: str, out: Path) -> dict:
    """A run's reconstructions of another corpus' held-out files (outputs, laid out as reconstruct
    writes them), against their inputs and against the run's training audio."""
    manifest = read_manifest(source_manifest)
    rows, inputs, results = [], [], []
    heldout = files_in_split(manifest, "heldout")
    if not heldout:
        raise ValueError(f"{source_manifest}: no held-out files to play through run {run}")
    for source in heldout:
        x, y, rate = read_pair(manifest, source, outputs)
        try:
            kept = content_kept(x, y, rate)
        except ValueError as why:
            raise ValueError(f"{source}: {why}") from None
        rows.append({"file": source.relative_to(manifest["root"]).as_posix(), **kept})
        inputs.append(x)
        results.append(y)
    training = training_reference(training_manifest)
    result = {
        "run": run, "source": source_manifest.stem, "files": rows,
        "mean": {k: float(np.mean([row[k] for row in rows])) for k in CONTENT},
        # Lower: closer to the training audio's timbre. The inputs' own distance is the reference.
        "frechet_mfcc_to_training": {"outputs": m.frechet_mfcc_distance(training, results, rate),
                                     "inputs": m.frechet_mfcc_distance(training, inputs, rate),
                                     "training_seconds": round(sum(len(x) for x in training) / rate, 3)},
    }
    write_json(result, out)
    return result
