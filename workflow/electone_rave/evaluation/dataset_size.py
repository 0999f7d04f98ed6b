"""H2, "the irregular pred_real/pred_fake curves may come from the small dataset", as a measured sweep.

The arms of a sweep (configs/experiments/dataset_size.yaml) train alike on nested subsets of one
corpus (corpus/training_subset.py) and are scored on its held-out files. Per size this records the
held-out reconstruction errors and the phase-2 discriminator behaviour the replication report
defines (replication.py): how early the gap pred_real - pred_fake peaks, and how far it falls from
that peak by the end. A run's curves are healthy when both exceed the replication's thresholds,
the shape of IRCAM's reference run.

The verdict: the data support the hypothesis when every seed of the largest size has healthy
curves and no seed of the smallest does; they do not when every seed of the smallest size has
healthy curves already (small data did not make them irregular); otherwise, with one seed, or
where a run logged too few phase-2 points for a shape, they cannot tell. Not a significance test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..corpus.training_subset import KEY as SUBSET_KEY
from ..corpus.training_subset import SHAPE_THRESHOLDS
from ..fileio import read_json, write_json
from .ablation import METRICS, run_metrics
from .replication import (MIN_SHAPE_POINTS, NotMeasurable, phase_2_gap, discriminator_gap_decay, discriminator_gap_in_phase_2,
                          discriminator_gap_peak_earliness, series)

PRIMARY = "multiscale_spectral_distance"
SHAPE = SHAPE_THRESHOLDS  # the thresholds a healthy run exceeds
MEASURES = {"discriminator_gap_in_phase_2": discriminator_gap_in_phase_2,
            "discriminator_gap_peak_earliness": discriminator_gap_peak_earliness,
            "discriminator_gap_decay": discriminator_gap_decay}


def discriminator(scalars_csv: Path, phase_1: int, thresholds: dict[str, float]) -> dict:
    """The run's phase-2 gap and its measures. `healthy` is None where the gap cannot be read (no
    phase-2 scalars, non-finite ones) or too few points were logged for a shape; False where the
    gap never rose above 0 (no peak to decay from)."""
    unreadable = {"gap": {"steps": [], "values": []}, "healthy": None, **{name: None for name in MEASURES}}
    try:
        steps, _ = series(scalars_csv, "pred_real")
        gap = phase_2_gap(scalars_csv, phase_1)  # pred_real and pred_fake at the same steps
    except NotMeasurable as why:
        return unreadable | {"not_measurable": {"gap": str(why)}}
    if not np.all(np.isfinite(gap)):
        return unreadable | {"not_measurable": {"gap": f"{scalars_csv}: non-finite pred_real or pred_fake in phase 2"}}
    record = {"gap": {"steps": steps[steps > phase_1].astype(int).tolist(), "values": gap.tolist()}, "not_measurable": {}}
    for name, measure in MEASURES.items():
        try:
            record[name] = measure(scalars_csv, phase_1)
        except NotMeasurable as why:
            record[name], record["not_measurable"][name] = None, str(why)
    if len(gap) < MIN_SHAPE_POINTS:
        record["healthy"] = None
    else:
        record["healthy"] = all(record[name] is not None and record[name] > thresholds[name] for name in SHAPE)
    return record


def arm_size(preprocess_report: Path) -> dict:
    """What an arm trained on, from its database's preprocess report."""
    report = read_json(preprocess_report)
    subset = report.get(SUBSET_KEY)
    return {"percent": subset["percent"] if subset else 100,
            "training_files": sum(row.get("split") == "train" for row in report["files"]),
            "training_seconds": report["database_seconds"]}


def verdict(arms: list[dict], seeds: int) -> tuple[str, str]:
    """H2's verdict from each size's runs (smallest first), and why."""
    healthy = [[run["discriminator"]["healthy"] for run in arm["runs"]] for arm in arms]
    if len(arms) < 2:
        return "cannot tell", "the sweep has one size"
    if seeds < 2:
        return "cannot tell", "one seed"
    if any(h is None for row in healthy for h in row):
        return "cannot tell", "a run logged too few phase-2 points for the gap's shape"
    if all(healthy[-1]) and not any(healthy[0]):
        return "supported", "every seed of the largest size has healthy curves, no seed of the smallest"
    if all(healthy[0]):
        return "not supported", "every seed of the smallest size has healthy curves already"
    if not any(h for row in healthy for h in row):
        return "cannot tell", "no size has healthy curves: the whole corpus may be too small as well"
    return "cannot tell", "the sizes or the seeds disagree"


def trend(values: list[float]) -> str:
    """How a lower-is-better error moves from the smallest size to the largest."""
    steps = np.diff(values)
    return "falls" if np.all(steps < 0) else "rises" if np.all(steps > 0) else "mixed"


def sweep(name: str, corpus: str, arms: list[dict], eval_dir: Path, metrics_dir: Path,
          thresholds: dict[str, float], out: Path) -> dict:
    """arms: smallest first, each {arm, runs (seed order), seeds, preprocess_report}. Per run, the
    held-out errors come from eval_dir/<run>/reconstruction.json, the scalars from
    metrics_dir/<run>/train_scalars.csv and train_summary.json."""
    seeds = arms[0]["seeds"]
    rows = []
    for arm in arms:
        if arm["seeds"] != seeds or len(arm["runs"]) != len(seeds):
            raise ValueError(f"dataset-size sweep {name}: every arm needs one run per seed {seeds}, got {arm}")
        runs = []
        for run, seed in zip(arm["runs"], seeds):
            phase_1 = read_json(metrics_dir / run / "train_summary.json")["phase_1_duration"]
            runs.append({"run": run, "seed": seed, "heldout": run_metrics(eval_dir / run / "reconstruction.json"),
                         "discriminator": discriminator(metrics_dir / run / "train_scalars.csv", phase_1, thresholds)})
        rows.append({"arm": arm["arm"], **arm_size(arm["preprocess_report"]), "runs": runs,
                     "heldout_mean": {k: float(np.mean([r["heldout"][k] for r in runs])) for k in METRICS}})
    said, why = verdict(rows, len(seeds))
    result = {"sweep": name, "corpus": corpus, "seeds": seeds, "thresholds": {k: thresholds[k] for k in SHAPE},
              "lower_is_better": True, "primary": PRIMARY, "arms": rows,
              "heldout_trend": trend([row["heldout_mean"][PRIMARY] for row in rows]),
              "verdict": said, "reason": why}
    write_json(result, out)
    return result
