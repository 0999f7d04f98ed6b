"""The noise ablation: reconstruction metrics of each (with noise, without noise) pair of runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..fileio import read_json, write_json

# Every reconstruction metric is an error: lower is better.
METRICS = ("multiscale_spectral_distance", "log_mel_l1", "loudness_error_lu", "flatness_error",
           "centroid_error_hz", "frechet_mfcc_distance")


def run_metrics(reconstruction_json: Path) -> dict[str, float]:
    result = read_json(reconstruction_json)
    return {**result["mean"], "frechet_mfcc_distance": result["frechet_mfcc_distance"]}


VERDICTS = ("helps", "does not help", "cannot tell")


def clear(metric: dict) -> bool:
    """A difference that keeps its sign on every seed and exceeds the spread of the per-seed ones."""
    return metric["same_sign_every_seed"] and abs(metric["difference"]) > metric["difference_std"]


def verdict(metrics: dict[str, dict], seeds: int) -> str:
    """What the measured ablation says of the noise generator: it `helps` when most metrics favour it
    clearly and none clearly favours its absence, `does not help` the other way round, and otherwise
    (or with one seed, which has no spread) the data `cannot tell`. Not a significance test."""
    if seeds < 2:
        return "cannot tell"
    better = sum(clear(m) and m["noise_better"] for m in metrics.values())
    worse = sum(clear(m) and not m["noise_better"] for m in metrics.values())
    if better > len(metrics) / 2 and worse == 0:
        return "helps"
    if worse > len(metrics) / 2 and better == 0:
        return "does not help"
    return "cannot tell"


def compare(pairs: list[dict], eval_dir: Path, out: Path) -> dict:
    """pairs: corpus, with_noise and without_noise (runs, one per seed, in the order of seeds).
    Metrics per run come from eval_dir/<run>/reconstruction.json. Runs of the same seed are paired:
    the spread is that of the per-seed differences."""
    rows = []
    for pair in pairs:
        if not len(pair["with_noise"]) == len(pair["without_noise"]) == len(pair["seeds"]):
            raise ValueError(f"ablation pair on {pair['corpus']}: one run per seed on each side, got {pair}")
        with_noise = [run_metrics(eval_dir / run / "reconstruction.json") for run in pair["with_noise"]]
        without = [run_metrics(eval_dir / run / "reconstruction.json") for run in pair["without_noise"]]
        metrics = {}
        for k in METRICS:
            per_seed = [w[k] - wo[k] for w, wo in zip(with_noise, without)]
            difference = float(np.mean(per_seed))
            metrics[k] = {"with_noise": [w[k] for w in with_noise], "without_noise": [wo[k] for wo in without],
                          "difference": difference, "difference_per_seed": per_seed,
                          "difference_std": float(np.std(per_seed, ddof=1)) if len(per_seed) > 1 else None,
                          "noise_better": difference < 0,
                          "same_sign_every_seed": all(d < 0 for d in per_seed) or all(d > 0 for d in per_seed)}
        rows.append({"corpus": pair["corpus"], "with_noise": pair["with_noise"][0],
                     "without_noise": pair["without_noise"][0], "with_noise_runs": pair["with_noise"],
                     "without_noise_runs": pair["without_noise"], "seeds": pair["seeds"], "metrics": metrics,
                     "verdict": verdict(metrics, len(pair["seeds"]))})
    result = {"lower_is_better": True, "pairs": rows}
    write_json(result, out)
    return result
