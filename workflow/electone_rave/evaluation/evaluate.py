"""Metric files of a run: its reconstructions of held-out audio, its prior's generations."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..corpus.manifest import evaluation_files, files_in_split, read_manifest
from ..fileio import write_json
from . import audio_metrics as m
from .audio_files import read_mono
from .codec_metrics import codec_metrics
from .reconstruction_pairs import read_pair


def _mean(rows: list[dict], keys) -> dict[str, float]:
    return {k: float(np.mean([r[k] for r in rows])) for k in keys}


def evaluate_reconstructions(manifest_path: Path, reconstructions: Path, run: str, out: Path,
                             named: list[str] | None = None) -> dict:
    """Metrics over the held-out files, or over the files named as unseen by an imported run."""
    manifest = read_manifest(manifest_path)
    rows, refs, ests = [], [], []
    for original in evaluation_files(manifest, named):
        ref, est, rate = read_pair(manifest, original, reconstructions)
        try:
            scores = {**m.pair_metrics(ref, est, rate), **codec_metrics(ref, est, rate)}
        except ValueError as err:
            raise ValueError(f"{original}: its reconstruction in {reconstructions} cannot be scored: {err}") from None
        rows.append({"file": original.relative_to(manifest["root"]).as_posix(), **scores})
        refs.append(ref)
        ests.append(est)
    metrics = [k for k in rows[0] if k != "file"]
    result = {"run": run, "split": "named as unseen" if named else "heldout", "files": rows, "mean": _mean(rows, metrics),
              "frechet_mfcc_distance": m.frechet_mfcc_distance(refs, ests, rate)}
    write_json(result, out)
    return result


def corpus_statistics(signals: list[np.ndarray], rate: int) -> dict[str, float]:
    return {
        "loudness_lufs": float(np.mean([m.loudness_lufs(x, rate) for x in signals])),
        "spectral_flatness": float(np.mean(np.concatenate([m.spectral_flatness(x) for x in signals]))),
        "spectral_centroid_hz": float(np.mean(np.concatenate([m.spectral_centroid(x, rate) for x in signals]))),
    }


def evaluate_generations(manifest_path: Path, generations: Path, run: str, out: Path) -> dict:
    """Unaligned: the generations' feature statistics against the training audio's."""
    corpus = [read_mono(p) for p in files_in_split(read_manifest(manifest_path), "train")]
    generated = [read_mono(p) for p in sorted(generations.glob("*.wav"))]
    if not generated:
        raise FileNotFoundError(f"{generations}: no generated WAV files")
    rate = corpus[0][1]
    real, fake = [x for x, _ in corpus], [x for x, _ in generated]
    real_stats, fake_stats = corpus_statistics(real, rate), corpus_statistics(fake, rate)
    result = {
        "run": run, "reference": "train split", "generated_files": len(fake),
        "generated_seconds": float(sum(len(x) for x in fake) / rate),
        "frechet_mfcc_distance": m.frechet_mfcc_distance(real, fake, rate),
        "corpus": real_stats, "generated": fake_stats,
        "gap": {k: abs(fake_stats[k] - real_stats[k]) for k in real_stats},
    }
    write_json(result, out)
    return result
