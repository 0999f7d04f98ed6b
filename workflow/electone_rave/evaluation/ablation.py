"""The noise ablation: reconstruction metrics of each (with noise, without noise) pair of runs."""

from __future__ import annotations

from pathlib import Path

from ..manifest import read_json, write_json

# Every reconstruction metric is an error: lower is better.
METRICS = ("multiscale_spectral_distance", "log_mel_l1", "loudness_error_lu", "flatness_error",
           "centroid_error_hz", "frechet_mfcc_distance")


def run_metrics(reconstruction_json: Path) -> dict[str, float]:
    result = read_json(reconstruction_json)
    return {**result["mean"], "frechet_mfcc_distance": result["frechet_mfcc_distance"]}


def compare(pairs: list[dict], eval_dir: Path, seeds: list[int], out: Path) -> dict:
    """pairs: the config's ablation list. Metrics per run come from eval_dir/<run>/reconstruction.json."""
    rows = []
    for pair in pairs:
        with_noise = run_metrics(eval_dir / pair["with_noise"] / "reconstruction.json")
        without = run_metrics(eval_dir / pair["without_noise"] / "reconstruction.json")
        rows.append({
            "corpus": pair["corpus"], "with_noise": pair["with_noise"], "without_noise": pair["without_noise"],
            "seeds": seeds,
            "metrics": {k: {"with_noise": [with_noise[k]], "without_noise": [without[k]],
                            "difference": with_noise[k] - without[k],
                            "noise_better": with_noise[k] < without[k]} for k in METRICS},
        })
    result = {"lower_is_better": True, "pairs": rows}
    write_json(result, out)
    return result
